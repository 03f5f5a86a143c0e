// Account identifiers (name folding, "m.dupont1" generation, login
// normalisation) and UTF-8 helpers. Depends on std and core/error.hpp.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sesame {

// Folds UTF-8 text to [a-z0-9]: ASCII letters lower-cased, accents stripped
// (Latin-1 Supplement, Latin Extended-A, Romanian ș/ț and combining marks:
// é→e, ç→c, ï→i, œ→oe, æ→ae, ß→ss, ł→l...), everything else dropped (spaces,
// hyphens, apostrophes, punctuation, other scripts, invalid bytes).
std::string fold_to_ascii_lower(std::string_view utf8);

// The identifier before uniqueness: first letter of the folded first name,
// ".", the folded last name, digits left out (a trailing number is reserved
// for uniqueness). An empty fold falls back to "x":
// ("Marie", "Dupont") -> "m.dupont"; ("Éloïse", "Le Bœuf-Martin") ->
// "e.leboeufmartin"; ("", "Дмитрий") -> "x.x".
std::string base_identifier(std::string_view first_name, std::string_view last_name);

// The smallest free identifier among base, base1, base2, ... as judged by
// is_taken (called once per candidate, in that order). Throws
// infrastructure_error if ten million candidates are all taken.
std::string next_free_identifier(std::string_view base,
                                 const std::function<bool(std::string_view)>& is_taken);

// What a typed login is looked up as: ASCII whitespace trimmed, ASCII
// letters lower-cased (identifiers are ASCII, so login is case-insensitive).
std::string normalize_login(std::string_view login);

// UTF-8 helpers shared by the name and password rules.
inline constexpr char32_t invalid_code_point = 0xFFFFFFFF;
// Decodes the code point at s[i] (i < s.size()) and advances i past it. An
// invalid, overlong, surrogate or truncated sequence yields
// invalid_code_point and advances one byte.
char32_t decode_utf8(std::string_view s, std::size_t& i);
// Number of code points; nullopt when s is not valid UTF-8.
std::optional<std::size_t> utf8_length(std::string_view s);

}  // namespace sesame
