// The French texts of the messages Sésame sends, built as outbox messages.
// SMS texts fit one GSM-7 segment (160 characters, GSM-7 alphabet only).
// Depends on core only.
#pragma once

#include <optional>
#include <vector>
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

// What every message builder needs besides its own data.
struct message_context {
    std::string id;           // outbox message id
    std::string reference;    // "R-..." or empty
    std::string identifier;   // the account concerned, or empty
    std::string public_url;   // base of links
    std::string public_host;  // WebOTP line host
    timestamp now{};
};

// Forgotten password, parent (SMS): the code, its lifetime, and the WebOTP
// line "@host #123456" last.
outbox_message recovery_code_sms(const message_context& ctx, const std::string& to, const std::string& code,
                                 duration ttl);
// Forgotten password, pupil (e-mail): the reset link and the same code.
outbox_message recovery_code_email(const message_context& ctx, const std::string& to, const std::string& first_name,
                                   const std::string& code, const std::string& link, duration ttl);
// Parent activation (SMS).
outbox_message activation_code_sms(const message_context& ctx, const std::string& to, const std::string& code,
                                   duration ttl);
// Forgotten identifier: the identifier(s) attached to the contact.
outbox_message identifier_reminder(const message_context& ctx, channel ch, const std::string& to,
                                   const std::vector<std::string>& identifiers);
// After a reset or a change: the password of `identifier` changed; what to do if it was not them.
outbox_message password_changed_notice(const message_context& ctx, channel ch, const std::string& to);
// E-mail confirmation link for a new address.
outbox_message email_confirmation(const message_context& ctx, const std::string& to, const std::string& first_name,
                                  const std::string& link, duration ttl);
// To the previous address or phone after a contact change.
outbox_message contact_changed_notice(const message_context& ctx, channel ch, const std::string& to,
                                      const std::string& what);

// "30 min", "2 h", "45 s".
std::string french_duration(duration d);

// Text for HTML element content or a double-quoted attribute: & < > " escaped.
std::string html_escape(std::string_view s);

}  // namespace sesame
