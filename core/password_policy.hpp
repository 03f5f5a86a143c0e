// Password rules (SPEC §3): length, identifier and names, zxcvbn strength,
// with French reasons. Depends on std, core/identifier.hpp and libzxcvbn.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sesame {

struct password_context {
    std::string_view identifier;  // may be empty (not yet known)
    std::string_view first_name;
    std::string_view last_name;
    std::uint32_t min_length = 12;  // password.min_length
};

inline constexpr std::uint32_t max_password_length = 128;  // code points
// zxcvbn score 3 starts at 10^8 guesses: log2(1e8) bits.
inline constexpr double min_password_entropy_bits = 26.575424759098897;

// Why a password is refused; empty when it is acceptable. Deterministic.
// Checks, in this order of reasons:
//  - length in code points: at least ctx.min_length, at most 128; invalid
//    UTF-8 is refused;
//  - containment, folded (case and accents ignored, punctuation dropped):
//    the identifier, the first name, the last name, and each part of a
//    compound name, when it has 3 letters or more;
//  - zxcvbn with the identifier, the names and a list of common French
//    passwords and AZERTY key runs as user dictionary: under 26.6 bits (fewer
//    than 10^8 guesses) it is refused, with hints for the patterns found
//    (repetitions, sequences, keyboard runs, dates, common words, look-alike
//    substitutions, personal data in disguise).
std::vector<std::string> password_weaknesses(std::string_view password, const password_context& ctx);

}  // namespace sesame
