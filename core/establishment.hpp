// UAI codes and the académie of each establishment (2020 map, Normandie
// merged). Pure functions; standard library only.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sesame {

// Seven digits then an upper-case letter. The check letter is not verified:
// the school's records are authoritative.
bool is_valid_uai(std::string_view uai);

// Trims ASCII whitespace and upper-cases the letter; nullopt when the
// result is not a valid UAI.
std::optional<std::string> normalize_uai(std::string_view uai);

// The académie of an establishment, without "Académie de": "075..." ->
// "Paris", "0931234X" -> "Créteil", "620..."/"720..." -> "Corse", "974..." ->
// "La Réunion". Departments 001-095 (and 020 for Corsica) and 971-974, 976.
// Unknown departments, and strings shorter than 3 characters, give "".
std::string_view academie_for_uai(std::string_view uai);

// Every académie name academie_for_uai can return, sorted, no duplicates
// (for validating the académie scopes of support staff).
std::span<const std::string_view> all_academies();

}  // namespace sesame
