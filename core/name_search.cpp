#include "core/name_search.hpp"

#include <algorithm>

#include "core/identifier.hpp"

namespace sesame {

namespace {

void add_token(std::vector<std::string>& out, std::string t) {
    if (t.size() > max_name_token_bytes) t.resize(max_name_token_bytes);
    if (!t.empty() && std::find(out.begin(), out.end(), t) == out.end()) out.push_back(std::move(t));
}

void add_name(std::vector<std::string>& out, std::string_view name) {
    add_token(out, fold_to_ascii_lower(name));
    // Each word of a compound name, split where the fold drops characters
    // between letters (spaces, hyphens, apostrophes).
    std::size_t start = 0;
    for (std::size_t i = 0; i <= name.size(); ++i) {
        if (i == name.size() || name[i] == ' ' || name[i] == '-' || name[i] == '\'') {
            if (i > start && (start > 0 || i < name.size())) add_token(out, fold_to_ascii_lower(name.substr(start, i - start)));
            start = i + 1;
        }
    }
}

}  // namespace

std::vector<std::string> name_search_tokens(const account& a) {
    std::vector<std::string> out;
    if (a.staff || a.prof == profile::staff) return out;
    add_token(out, a.identifier);
    add_name(out, a.last_name);
    add_name(out, a.first_name);
    return out;
}

std::string name_search_key(std::string_view query) {
    std::string out;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= query.size(); ++i) {
        if (i == query.size() || query[i] == '.') {
            out += fold_to_ascii_lower(query.substr(start, i - start));
            if (i < query.size()) out.push_back('.');
            start = i + 1;
        }
    }
    if (out.size() > max_name_token_bytes) out.resize(max_name_token_bytes);
    // A query of dots alone finds nothing (checked after the cut, so that
    // folding a key again gives the same key).
    if (std::all_of(out.begin(), out.end(), [](char c) { return c == '.'; })) out.clear();
    return out;
}

}  // namespace sesame
