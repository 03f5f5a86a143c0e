#include "workers/smtp_protocol.hpp"

#include <algorithm>
#include <cctype>

namespace sesame::workers {

namespace smtp {

namespace {

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
            !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
            return std::nullopt;
        out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
    }
    return out;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::optional<endpoint> parse_url(std::string_view url) {
    const auto sep = url.find("://");
    if (sep == std::string_view::npos) return std::nullopt;
    std::string scheme(url.substr(0, sep));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    endpoint ep;
    if (scheme == "smtp") {
        ep.sec = security::plain;
        ep.port = 25;
    } else if (scheme == "smtp+starttls") {
        ep.sec = security::starttls;
        ep.port = 587;
    } else if (scheme == "smtps") {
        ep.sec = security::implicit_tls;
        ep.port = 465;
    } else {
        return std::nullopt;
    }
    std::string_view rest = url.substr(sep + 3);
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        const auto colon = userinfo.find(':');
        auto user = percent_decode(userinfo.substr(0, colon));
        if (!user) return std::nullopt;
        ep.user = std::move(*user);
        if (colon != std::string_view::npos) {
            auto password = percent_decode(userinfo.substr(colon + 1));
            if (!password) return std::nullopt;
            ep.password = std::move(*password);
        } else {
            ep.password = std::string();
        }
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        ep.host = std::string(authority.substr(1, close - 1));
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::nullopt;
            port_text = after.substr(1);
            if (port_text.empty()) return std::nullopt;
        }
    } else {
        const auto colon = authority.rfind(':');
        ep.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) return std::nullopt;
        }
    }
    if (ep.host.empty()) return std::nullopt;
    for (unsigned char c : ep.host)
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == '@') return std::nullopt;
    if (!port_text.empty()) {
        if (port_text.size() > 5) return std::nullopt;
        unsigned port = 0;
        for (char c : port_text) {
            if (c < '0' || c > '9') return std::nullopt;
            port = port * 10 + unsigned(c - '0');
        }
        if (port == 0 || port > 65535) return std::nullopt;
        ep.port = static_cast<std::uint16_t>(port);
    }
    return ep;
}

std::string reply::summary() const {
    std::string s = std::to_string(code);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        s += i == 0 ? " " : " / ";
        s += lines[i];
    }
    for (char& c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    if (s.size() > 300) s.resize(300);
    return s;
}

reply_parser::status reply_parser::feed(std::string_view line) {
    if (line.size() < 3 || r_.lines.size() >= 200) return bad;
    for (int i = 0; i < 3; ++i)
        if (line[i] < '0' || line[i] > '9') return bad;
    const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (code < 100 || (r_.code != 0 && code != r_.code)) return bad;
    r_.code = code;
    if (line.size() == 3) {
        r_.lines.emplace_back();
        return done;
    }
    if (line[3] != '-' && line[3] != ' ') return bad;
    r_.lines.emplace_back(line.substr(4));
    return line[3] == '-' ? more : done;
}

reply reply_parser::take() {
    reply r = std::move(r_);
    r_ = reply{};
    return r;
}

capabilities parse_ehlo(const reply& r) {
    capabilities caps;
    for (std::size_t i = 1; i < r.lines.size(); ++i) {
        const std::string line = upper(r.lines[i]);
        std::vector<std::string> words;
        std::size_t pos = 0;
        while (pos < line.size()) {
            const auto start = line.find_first_not_of(" \t", pos);
            if (start == std::string::npos) break;
            const auto end = line.find_first_of(" \t", start);
            words.push_back(line.substr(start, end == std::string::npos ? std::string::npos : end - start));
            pos = end == std::string::npos ? line.size() : end;
        }
        if (words.empty()) continue;
        std::string key = words[0];
        if (key.rfind("AUTH=", 0) == 0) {  // the pre-RFC 4954 "AUTH=LOGIN PLAIN" form
            words.insert(words.begin() + 1, key.substr(5));
            key = "AUTH";
        }
        if (key == "STARTTLS") caps.starttls = true;
        else if (key == "PIPELINING") caps.pipelining = true;
        else if (key == "8BITMIME") caps.eightbitmime = true;
        else if (key == "SMTPUTF8") caps.smtputf8 = true;
        else if (key == "AUTH") {
            for (std::size_t w = 1; w < words.size(); ++w) {
                if (words[w] == "PLAIN") caps.auth_plain = true;
                if (words[w] == "LOGIN") caps.auth_login = true;
            }
        } else if (key == "SIZE" && words.size() > 1) {
            std::uint64_t n = 0;
            bool ok = !words[1].empty() && words[1].size() <= 18;
            for (char c : words[1]) {
                if (c < '0' || c > '9') ok = false;
                else n = n * 10 + std::uint64_t(c - '0');
            }
            if (ok && n > 0) caps.size = n;
        }
    }
    return caps;
}

}  // namespace smtp

}  // namespace sesame::workers
