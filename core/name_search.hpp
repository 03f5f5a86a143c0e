// The staff console's name-prefix search: which tokens an account is found
// by, how a typed query is folded to match them, and the query a store
// answers. Pure functions. Depends on core (account.hpp) only.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/account.hpp"

namespace sesame {

// Longest token kept in the index (bytes); longer names are cut there.
inline constexpr std::size_t max_name_token_bytes = 48;

// The tokens an account is found by: its identifier, its folded last and
// first names, and each word of a compound name ("Le Gall" -> "legall",
// "le", "gall"); no duplicates, none empty. Empty for staff accounts.
std::vector<std::string> name_search_tokens(const account& a);

// A typed query folded the same way: lower case, accents stripped, spaces,
// hyphens and apostrophes dropped, dots kept for identifiers ("Le G" ->
// "leg", "M.Dup" -> "m.dup"); empty when nothing searchable remains.
std::string name_search_key(std::string_view query);

struct name_search {
    std::string prefix;  // a name_search_key (non-empty)
    std::string after;   // identifier cursor: only identifiers strictly greater
    std::size_t limit = 20;
    // Keeps an account by its establishment (UAI) and profile, without
    // reading it (the caller's scope, the filters).
    std::function<bool(std::string_view establishment, profile prof)> keep;
};

}  // namespace sesame
