#include "config/syntax.hpp"

#include <algorithm>
#include <limits>

namespace sesame::config {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_hex_digit(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), to_lower);
    return out;
}

// A decimal number without superfluous leading zeros ("0", "17", not "017").
std::optional<std::uint64_t> parse_canonical_uint(std::string_view s, std::uint64_t max) {
    if (s.size() > 1 && s.front() == '0') return std::nullopt;
    return parse_uint(s, max);
}

bool is_hex_group(std::string_view g) {
    return !g.empty() && g.size() <= 4 && std::all_of(g.begin(), g.end(), is_hex_digit);
}

// Colon-separated hex groups; the last one may be a dotted IPv4 address
// (worth two groups) when `v4_tail` is allowed. Adds to `count`.
bool parse_ipv6_groups(std::string_view s, bool v4_tail, int& count) {
    std::size_t start = 0;
    for (;;) {
        const std::size_t colon = s.find(':', start);
        const std::string_view group =
            s.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start);
        if (colon == std::string_view::npos) {
            if (v4_tail && group.find('.') != std::string_view::npos) {
                if (!is_ipv4_address(group)) return false;
                count += 2;
                return true;
            }
            if (!is_hex_group(group)) return false;
            ++count;
            return true;
        }
        if (!is_hex_group(group)) return false;
        ++count;
        start = colon + 1;
    }
}

bool has_control_or_space(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
    });
}

bool looks_secret(std::string_view name) {
    const std::string n = lower(name);
    for (const char* word : {"pass", "pwd", "secret", "token", "key"}) {
        if (n.find(word) != std::string::npos) return true;
    }
    return false;
}

// Masks the values of secret-looking parameters in "?a=b&c=d#frag" (the part
// of a URL after its authority); the path and the fragment are kept.
std::string mask_query(std::string_view rest) {
    const std::size_t q = rest.find('?');
    if (q == std::string_view::npos) return std::string(rest);
    const std::size_t hash = rest.find('#', q);
    const std::string_view query =
        rest.substr(q + 1, hash == std::string_view::npos ? std::string_view::npos : hash - q - 1);
    std::string out(rest.substr(0, q + 1));
    std::size_t start = 0;
    for (;;) {
        const std::size_t amp = query.find('&', start);
        const std::string_view param =
            query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
        const std::size_t eq = param.find('=');
        if (eq != std::string_view::npos && looks_secret(param.substr(0, eq))) {
            out.append(param.substr(0, eq + 1)).append("***");
        } else {
            out.append(param);
        }
        if (amp == std::string_view::npos) break;
        out.push_back('&');
        start = amp + 1;
    }
    if (hash != std::string_view::npos) out.append(rest.substr(hash));
    return out;
}

}  // namespace

std::optional<duration> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    std::int64_t unit_ms = 1000;
    switch (text.back()) {
        case 's': unit_ms = 1000; text.remove_suffix(1); break;
        case 'm': unit_ms = 60 * 1000; text.remove_suffix(1); break;
        case 'h': unit_ms = 60 * 60 * 1000; text.remove_suffix(1); break;
        default: break;
    }
    const auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / unit_ms);
    const auto n = parse_uint(text, max);
    if (!n) return std::nullopt;
    return duration{static_cast<std::int64_t>(*n) * unit_ms};
}

std::string format_duration(duration d) {
    const auto ms = d.count();
    if (ms == 0) return "0s";
    if (ms % (60 * 60 * 1000) == 0) return std::to_string(ms / (60 * 60 * 1000)) + "h";
    // One minute reads "60s", as API.md writes it.
    if (ms % (60 * 1000) == 0 && ms > 60 * 1000) return std::to_string(ms / (60 * 1000)) + "m";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

std::optional<bool> parse_bool(std::string_view text) {
    if (text == "true") return true;
    if (text == "false") return false;
    return std::nullopt;
}

std::optional<std::uint64_t> parse_uint(std::string_view text, std::uint64_t max) {
    if (!all_digits(text)) return std::nullopt;
    std::uint64_t n = 0;
    for (char c : text) {
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (n > (max - digit) / 10) return std::nullopt;
        n = n * 10 + digit;
    }
    return n;
}

bool is_ipv4_address(std::string_view text) {
    int parts = 0;
    std::size_t start = 0;
    for (;;) {
        const std::size_t dot = text.find('.', start);
        const std::string_view part =
            text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (part.size() > 3 || !parse_canonical_uint(part, 255)) return false;
        ++parts;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return parts == 4;
}

bool is_ipv6_address(std::string_view text) {
    if (text.size() < 2 || text.size() > 45) return false;
    const std::size_t gap = text.find("::");
    int count = 0;
    if (gap == std::string_view::npos) {
        return parse_ipv6_groups(text, true, count) && count == 8;
    }
    if (text.find("::", gap + 1) != std::string_view::npos) return false;
    const std::string_view left = text.substr(0, gap);
    const std::string_view right = text.substr(gap + 2);
    if (!left.empty() && !parse_ipv6_groups(left, false, count)) return false;
    if (!right.empty() && !parse_ipv6_groups(right, true, count)) return false;
    return count <= 7;
}

bool is_ip_address(std::string_view text) { return is_ipv4_address(text) || is_ipv6_address(text); }

bool is_ip_address_or_range(std::string_view text) {
    const std::size_t slash = text.find('/');
    if (slash == std::string_view::npos) return is_ip_address(text);
    const std::string_view address = text.substr(0, slash);
    const std::string_view prefix = text.substr(slash + 1);
    if (is_ipv4_address(address)) return prefix.size() <= 2 && parse_canonical_uint(prefix, 32).has_value();
    if (is_ipv6_address(address)) return prefix.size() <= 3 && parse_canonical_uint(prefix, 128).has_value();
    return false;
}

bool is_host_name(std::string_view text) {
    if (text.empty() || text.size() > 253) return false;
    std::string_view last_label;
    std::size_t start = 0;
    for (;;) {
        const std::size_t dot = text.find('.', start);
        const std::string_view label =
            text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        for (char c : label) {
            const bool ok = is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
            if (!ok) return false;
        }
        last_label = label;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    // A numeric last label is a malformed IPv4 address, not a name.
    return !all_digits(last_label);
}

std::optional<host_port> parse_host_port(std::string_view text) {
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        if (!is_ipv6_address(host)) return std::nullopt;
        const std::string_view after = text.substr(close + 1);
        if (after.size() < 2 || after.front() != ':') return std::nullopt;
        port = after.substr(1);
    } else {
        const std::size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (!is_ipv4_address(host) && !is_host_name(host)) return std::nullopt;
    }
    if (port.size() > 5) return std::nullopt;
    const auto p = parse_uint(port, 65535);
    if (!p) return std::nullopt;
    return host_port{std::string(host), static_cast<std::uint16_t>(*p)};
}

std::optional<url_parts> parse_url(std::string_view text) {
    if (has_control_or_space(text)) return std::nullopt;
    const std::size_t sep = text.find("://");
    if (sep == std::string_view::npos || sep == 0) return std::nullopt;
    const std::string_view scheme = text.substr(0, sep);
    const auto scheme_char = [](char c) {
        return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '+' || c == '-' ||
               c == '.';
    };
    if (!std::all_of(scheme.begin(), scheme.end(), scheme_char) || is_digit(scheme.front())) {
        return std::nullopt;
    }
    url_parts url;
    url.scheme = lower(scheme);
    const std::string_view after = text.substr(sep + 3);
    const std::size_t end = after.find_first_of("/?#");
    std::string_view authority = after.substr(0, end);
    url.rest = std::string(end == std::string_view::npos ? std::string_view{} : after.substr(end));

    const std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        const std::size_t colon = userinfo.find(':');
        url.user = std::string(userinfo.substr(0, colon));
        if (colon != std::string_view::npos) url.password = std::string(userinfo.substr(colon + 1));
        authority = authority.substr(at + 1);
    }

    std::string_view host = authority;
    std::optional<std::string_view> port;
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = authority.substr(1, close - 1);
        if (!is_ipv6_address(host)) return std::nullopt;
        const std::string_view tail = authority.substr(close + 1);
        if (!tail.empty()) {
            if (tail.front() != ':') return std::nullopt;
            port = tail.substr(1);
        }
    } else {
        const std::size_t colon = authority.find(':');
        if (colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            port = authority.substr(colon + 1);
        }
        if (!is_ipv4_address(host) && !is_host_name(host)) return std::nullopt;
    }
    if (port) {
        if (port->size() > 5) return std::nullopt;
        const auto p = parse_uint(*port, 65535);
        if (!p || *p == 0) return std::nullopt;
        url.port = static_cast<std::uint16_t>(*p);
    }
    url.host = std::string(host);
    return url;
}

std::string mask_url(std::string_view text) {
    const std::size_t sep = text.find("://");
    const std::size_t authority_start = sep == std::string_view::npos ? 0 : sep + 3;
    if (!parse_url(text)) {
        const std::size_t at = text.rfind('@');
        if (at == std::string_view::npos || at < authority_start) return std::string(text);
        return std::string(text.substr(0, authority_start)) + "***" + std::string(text.substr(at));
    }
    const std::string_view after = text.substr(authority_start);
    const std::size_t end = after.find_first_of("/?#");
    const std::string_view authority = after.substr(0, end);
    const std::string_view rest = end == std::string_view::npos ? std::string_view{} : after.substr(end);
    std::string out(text.substr(0, authority_start));
    const std::size_t at = authority.rfind('@');
    if (at == std::string_view::npos) {
        out.append(authority);
    } else {
        const std::string_view userinfo = authority.substr(0, at);
        const std::size_t colon = userinfo.find(':');
        if (colon == std::string_view::npos) {
            out.append("***");
        } else {
            out.append(userinfo.substr(0, colon)).append(":***");
        }
        out.append(authority.substr(at));
    }
    out.append(mask_query(rest));
    return out;
}

}  // namespace sesame::config
