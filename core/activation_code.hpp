// Activation codes: 80 random bits shown once as "ABCD-EFGH-JKLM-NPQR"
// (32 unambiguous symbols: no I, O, 0, 1), handed out by the school, used as
// the first password; only their SHA-256 is stored. Depends on core/crypto.
#pragma once

#include <string>
#include <string_view>

#include "core/crypto.hpp"

namespace sesame {

std::string generate_activation_code(crypto& c);
// Upper-cases and drops spaces and hyphens, so "abcd efgh-jklm npqr" matches.
std::string normalize_activation_code(std::string_view typed);
// What is stored: SHA-256 of the normalised code.
std::string activation_digest(crypto& c, std::string_view code);
// True when `typed` could be an activation code at all (16 symbols of the alphabet).
bool looks_like_activation_code(std::string_view typed);

}  // namespace sesame
