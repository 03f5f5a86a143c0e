#include "core/contact.hpp"

#include <array>
#include <cstddef>

#include "core/identifier.hpp"

namespace sesame {

namespace {

constexpr std::string_view bullet = "\xE2\x80\xA2";  // U+2022 •

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
    return s;
}

// Overseas territories whose mobiles share the 06 national range.
struct overseas_prefix {
    std::string_view national;  // the three digits after the trunk 0
    std::string_view country;
};
constexpr std::array<overseas_prefix, 8> overseas_mobiles = {{
    {"690", "590"}, {"691", "590"},  // Guadeloupe, Saint-Martin, Saint-Barthélemy
    {"694", "594"},                  // Guyane
    {"696", "596"}, {"697", "596"},  // Martinique
    {"692", "262"}, {"693", "262"},  // La Réunion
    {"639", "262"},                  // Mayotte
}};

constexpr std::array<std::string_view, 5> known_country_codes = {"33", "262", "590", "594", "596"};

std::string make_e164(std::string_view country, std::string_view nsn) {
    std::string out;
    out.reserve(1 + country.size() + nsn.size());
    out += '+';
    out += country;
    out += nsn;
    return out;
}

// A 9-digit national significant number seen through the +33 / 0 plan.
std::optional<std::string> from_french_plan(std::string_view nsn) {
    if (nsn.size() != 9 || (nsn[0] != '6' && nsn[0] != '7')) return std::nullopt;
    for (const auto& o : overseas_mobiles)
        if (nsn.starts_with(o.national)) return make_e164(o.country, nsn);
    return make_e164("33", nsn);
}

// A 9-digit number written with an overseas country code.
std::optional<std::string> from_overseas_plan(std::string_view country, std::string_view nsn) {
    if (nsn.size() != 9) return std::nullopt;
    for (const auto& o : overseas_mobiles)
        if (o.country == country && nsn.starts_with(o.national)) return make_e164(country, nsn);
    return std::nullopt;
}

// Length of a separator starting at s[i], or 0.
std::size_t separator_length(std::string_view s, std::size_t i) {
    const char c = s[i];
    if (c == ' ' || c == '.' || c == '-' || c == '(' || c == ')' || c == '/' || c == '\t') return 1;
    const std::string_view rest = s.substr(i);
    if (rest.starts_with("\xC2\xA0")) return 2;                                        // no-break space
    if (rest.starts_with("\xE2\x80\xAF") || rest.starts_with("\xE2\x80\x89")) return 3;  // narrow, thin
    return 0;
}

}  // namespace

std::optional<std::string> normalize_french_mobile(std::string_view input) {
    const std::string_view s = trim(input);
    std::string digits;
    bool plus = false;
    for (std::size_t i = 0; i < s.size();) {
        const char c = s[i];
        if (is_digit(c)) {
            if (digits.size() >= 15) return std::nullopt;
            digits.push_back(c);
            ++i;
        } else if (c == '+' && digits.empty() && !plus) {
            plus = true;
            ++i;
        } else if (const std::size_t n = separator_length(s, i)) {
            i += n;
        } else {
            return std::nullopt;
        }
    }
    std::string_view d = digits;
    if (!plus) {
        if (d.starts_with("00")) {
            d.remove_prefix(2);
            plus = true;
        } else {
            if (d.size() != 10 || d[0] != '0') return std::nullopt;
            return from_french_plan(d.substr(1));
        }
    }
    for (const std::string_view cc : known_country_codes) {
        if (!d.starts_with(cc)) continue;
        std::string_view nsn = d.substr(cc.size());
        if (nsn.size() == 10 && nsn[0] == '0') nsn.remove_prefix(1);  // "+33 (0)6 ..."
        return cc == "33" ? from_french_plan(nsn) : from_overseas_plan(cc, nsn);
    }
    return std::nullopt;
}

std::string mask_phone(std::string_view e164) {
    if (e164.starts_with('+')) {
        for (const std::string_view cc : known_country_codes) {
            const std::string_view rest = e164.substr(1);
            if (!rest.starts_with(cc)) continue;
            const std::string_view nsn = rest.substr(cc.size());
            bool all_digits = nsn.size() == 9;
            for (char c : nsn) all_digits = all_digits && is_digit(c);
            if (!all_digits) break;
            std::string out = make_e164(cc, {});
            out += ' ';
            out += nsn[0];
            out += ' ';
            for (int k = 0; k < 3; ++k) {
                out += bullet;
                out += bullet;
                out += ' ';
            }
            out += nsn.substr(7);
            return out;
        }
    }
    std::string out;
    const std::size_t keep = e164.size() >= 2 ? 2 : 0;
    for (std::size_t k = 0; k + keep < e164.size(); ++k) out += bullet;
    out += e164.substr(e164.size() - keep);
    return out;
}

std::optional<std::string> normalize_email(std::string_view input) {
    const std::string_view s = trim(input);
    if (s.empty() || s.size() > 254) return std::nullopt;
    if (!utf8_length(s)) return std::nullopt;
    const std::size_t at = s.find('@');
    if (at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos) return std::nullopt;
    const std::string_view local = s.substr(0, at);
    const std::string_view domain = s.substr(at + 1);

    if (local.empty() || local.size() > 64) return std::nullopt;
    if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return std::nullopt;
    for (const char c : local) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7F) return std::nullopt;
        if (std::string_view("<>()[],;:\"\\").find(c) != std::string_view::npos) return std::nullopt;
    }

    std::string out(local);
    out.push_back('@');
    std::size_t labels = 0;
    std::string_view last_label;
    std::string_view rest = domain;
    while (true) {
        const std::size_t dot = rest.find('.');
        const std::string_view label = rest.substr(0, dot);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return std::nullopt;
        for (const char c : label) {
            const auto u = static_cast<unsigned char>(c);
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || u >= 0x80;
            if (!ok) return std::nullopt;
            out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
        }
        ++labels;
        last_label = label;
        if (dot == std::string_view::npos) break;
        out.push_back('.');
        rest = rest.substr(dot + 1);
    }
    if (labels < 2 || last_label.size() < 2) return std::nullopt;
    bool numeric_tld = true;
    for (const char c : last_label) numeric_tld = numeric_tld && is_digit(c);
    if (numeric_tld) return std::nullopt;
    return out;
}

std::string mask_email(std::string_view email) {
    const std::size_t at = email.rfind('@');
    std::string out;
    if (at == std::string_view::npos) {
        for (int k = 0; k < 5; ++k) out += bullet;
        return out;
    }
    const std::string_view local = email.substr(0, at);
    if (!local.empty()) {
        std::size_t i = 0;
        const char32_t cp = decode_utf8(local, i);
        if (cp != invalid_code_point) out += local.substr(0, i);
    }
    for (int k = 0; k < 5; ++k) out += bullet;
    out += email.substr(at);
    return out;
}

}  // namespace sesame
