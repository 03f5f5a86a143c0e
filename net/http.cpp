#include "net/http.hpp"

#include <algorithm>
#include <cctype>

namespace sesame::net {

const char* to_string(method m) {
    switch (m) {
        case method::get: return "GET";
        case method::head: return "HEAD";
        case method::post: return "POST";
        case method::put: return "PUT";
        case method::patch: return "PATCH";
        case method::del: return "DELETE";
        case method::options: return "OPTIONS";
        case method::other: return "OTHER";
    }
    return "OTHER";
}

std::string_view request::param(std::string_view name) const {
    for (const auto& [k, v] : params)
        if (k == name) return v;
    return {};
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '%' && i + 2 < s.size()) {
            const int hi = hex_value(s[i + 1]);
            const int lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(char(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(plus_is_space && c == '+' ? ' ' : c);
    }
    return out;
}

std::optional<std::string> request::query_param(std::string_view name) const {
    std::string_view q = query;
    while (!q.empty()) {
        const auto amp = q.find('&');
        const std::string_view pair = q.substr(0, amp);
        q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
        const auto eq = pair.find('=');
        const std::string key = percent_decode(pair.substr(0, eq));
        if (key == name) return eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1));
    }
    return std::nullopt;
}

std::string_view request::cookie_value(std::string_view name) const {
    std::string_view c = cookie;
    while (!c.empty()) {
        const auto semi = c.find(';');
        std::string_view item = c.substr(0, semi);
        c = semi == std::string_view::npos ? std::string_view{} : c.substr(semi + 1);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        const auto eq = item.find('=');
        if (eq != std::string_view::npos && item.substr(0, eq) == name) return item.substr(eq + 1);
    }
    return {};
}

std::string request::media_type() const {
    std::string_view ct = content_type.substr(0, content_type.find(';'));
    while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
    while (!ct.empty() && ct.front() == ' ') ct.remove_prefix(1);
    std::string out(ct);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
    return out;
}

response response::json(unsigned status, std::string body) {
    response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

response response::text(unsigned status, std::string body, std::string content_type) {
    response r;
    r.status = status;
    r.body = std::move(body);
    r.content_type = std::move(content_type);
    return r;
}

response response::no_content() {
    response r;
    r.status = 204;
    r.content_type.clear();
    return r;
}

}  // namespace sesame::net
