#include "core/oidc.hpp"

#include <algorithm>

namespace sesame {

const char* to_string(oauth_errc e) {
    switch (e) {
        case oauth_errc::invalid_request: return "invalid_request";
        case oauth_errc::invalid_client: return "invalid_client";
        case oauth_errc::invalid_grant: return "invalid_grant";
        case oauth_errc::unauthorized_client: return "unauthorized_client";
        case oauth_errc::unsupported_grant_type: return "unsupported_grant_type";
        case oauth_errc::unsupported_response_type: return "unsupported_response_type";
        case oauth_errc::invalid_scope: return "invalid_scope";
        case oauth_errc::access_denied: return "access_denied";
        case oauth_errc::login_required: return "login_required";
        case oauth_errc::invalid_token: return "invalid_token";
    }
    return "invalid_request";
}

scope_set parse_scope(std::string_view scope) {
    scope_set s;
    // RFC 6749 §3.3: space-delimited, case-sensitive strings.
    std::size_t pos = 0;
    while (pos < scope.size()) {
        const auto end = std::min(scope.find(' ', pos), scope.size());
        const std::string_view token = scope.substr(pos, end - pos);
        if (token == "openid") s.openid = true;
        else if (token == "profile") s.profile = true;
        else if (token == "email") s.email = true;
        else if (token == "school") s.school = true;
        else if (token == "offline_access") s.offline_access = true;
        pos = end + 1;
    }
    return s;
}

std::string to_string(const scope_set& s) {
    std::string out;
    auto add = [&](bool on, const char* name) {
        if (!on) return;
        if (!out.empty()) out += ' ';
        out += name;
    };
    add(s.openid, "openid");
    add(s.profile, "profile");
    add(s.email, "email");
    add(s.school, "school");
    add(s.offline_access, "offline_access");
    return out;
}

bool scope_within(const scope_set& n, const scope_set& w) {
    return (!n.openid || w.openid) && (!n.profile || w.profile) && (!n.email || w.email) && (!n.school || w.school) &&
           (!n.offline_access || w.offline_access);
}

namespace {

bool unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

}  // namespace

bool pkce_text_valid(std::string_view s) {
    return s.size() >= 43 && s.size() <= 128 && std::all_of(s.begin(), s.end(), unreserved);
}

std::string pkce_s256(crypto& c, std::string_view verifier) { return base64url(c.sha256(verifier)); }

bool redirect_uri_acceptable(std::string_view uri) {
    if (uri.empty() || uri.size() > 2000) return false;
    for (unsigned char ch : uri)
        if (ch <= 0x20 || ch >= 0x7f || ch == '#' || ch == '\\' || ch == '"' || ch == '<' || ch == '>') return false;
    std::string_view rest;
    if (uri.starts_with("https://")) rest = uri.substr(8);
    else if (uri.starts_with("http://")) rest = uri.substr(7);
    else return false;
    const auto host_end = std::min(rest.find_first_of("/?"), rest.size());
    const std::string_view authority = rest.substr(0, host_end);
    // A host is required; userinfo ("user@host") is refused, as it hides
    // the real host from a reader of the URI.
    return !authority.empty() && authority.find('@') == std::string_view::npos && authority[0] != ':';
}

bool uri_registered(const std::vector<std::string>& registered, std::string_view uri) {
    return std::find(registered.begin(), registered.end(), uri) != registered.end();
}

std::string pairwise_sub(crypto& c, std::string_view server_secret, std::string_view client_id,
                         std::string_view identifier) {
    std::string input = "oidc-sub";
    input.push_back('\0');
    input.append(client_id);
    input.push_back('\0');
    input.append(identifier);
    return base64url(c.hmac_sha256(server_secret, input));
}

std::string signing_key_sealing_key(crypto& c, std::string_view server_secret) {
    return c.hmac_sha256(server_secret, "sesame oidc signing key sealing v1");
}

std::string percent_encode(std::string_view s) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (unreserved(static_cast<char>(c))) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 15]);
        }
    }
    return out;
}

std::string with_query(std::string uri, const std::vector<std::pair<std::string, std::string>>& params) {
    char sep = uri.find('?') == std::string::npos ? '?' : '&';
    if (sep == '&' && (uri.back() == '?' || uri.back() == '&')) sep = '\0';
    for (const auto& [name, value] : params) {
        if (sep) uri.push_back(sep);
        sep = '&';
        uri += percent_encode(name);
        uri.push_back('=');
        uri += percent_encode(value);
    }
    return uri;
}

}  // namespace sesame
