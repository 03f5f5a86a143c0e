#include "config/ini.hpp"

#include <algorithm>

namespace sesame::config {
namespace {

std::string_view trim(std::string_view s) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

bool is_name(std::string_view s) {
    return !s.empty() && s.front() != '.' && s.back() != '.' && std::all_of(s.begin(), s.end(), is_name_char);
}

}  // namespace

std::variant<std::vector<file_entry>, file_syntax_error> parse_config_text(std::string_view text) {
    constexpr std::string_view bom = "\xEF\xBB\xBF";
    if (text.substr(0, bom.size()) == bom) text.remove_prefix(bom.size());

    std::vector<file_entry> entries;
    std::string section;
    int line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const std::size_t newline = text.find('\n');
        const std::string_view raw = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);

        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;

        if (line.front() == '[') {
            if (line.back() != ']') {
                return file_syntax_error{line_number, "section mal fermée « " + std::string(line) + " » (attendu [nom])"};
            }
            const std::string_view name = trim(line.substr(1, line.size() - 2));
            if (!is_name(name)) {
                return file_syntax_error{line_number, "nom de section invalide « " + std::string(line) + " »"};
            }
            section = std::string(name);
            continue;
        }

        const std::size_t eq = line.find('=');
        if (eq == std::string_view::npos) {
            // The line is not echoed: it may be a misspelt secret.
            return file_syntax_error{line_number, "ni une section [nom] ni une ligne clé = valeur"};
        }
        const std::string_view name = trim(line.substr(0, eq));
        if (!is_name(name)) {
            return file_syntax_error{line_number, "nom de clé invalide « " + std::string(name) + " »"};
        }
        std::string_view value = trim(line.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        std::string key = section.empty() ? std::string(name) : section + "." + std::string(name);
        entries.push_back(file_entry{std::move(key), std::string(value), line_number});
    }
    return entries;
}

}  // namespace sesame::config
