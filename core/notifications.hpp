// The French texts of the messages Sésame sends, built as outbox messages.
// SMS texts fit one GSM-7 segment (160 characters, GSM-7 alphabet only).
// Depends on core only.
#pragma once

#include <optional>
#include <string>

#include "core/account.hpp"
#include "core/outbox.hpp"

namespace sesame {

// True when every character is in the GSM 03.38 basic set and the text
// fits one 160-septet segment.
bool fits_one_gsm7_segment(std::string_view utf8);

// The message telling an account's contact that it was locked; nullopt
// when the account has no usable contact (no phone for a parent, no
// validated e-mail for a pupil).
std::optional<outbox_message> lock_notice(const account& acc, bool hard, std::optional<timestamp> until,
                                          std::string id, timestamp now);

}  // namespace sesame
