// Line-oriented text helpers shared by the mix and scenario file parsers.
// Header-only; standard library only.
#pragma once

#include <string_view>

namespace sesame::bench::text {

constexpr std::string_view blanks = " \t\r";

inline std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(blanks);
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(blanks);
    return s.substr(b, e - b + 1);
}

// Takes the next line off `rest` (without its '\n'), trimmed, into `line`;
// false once `rest` is empty.
inline bool next_line(std::string_view& rest, std::string_view& line) {
    if (rest.empty()) return false;
    const auto nl = rest.find('\n');
    line = trim(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    return true;
}

}  // namespace sesame::bench::text
