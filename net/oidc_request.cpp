#include "net/oidc_request.hpp"

#include <algorithm>
#include <cctype>

namespace sesame::net {

namespace {

constexpr std::size_t max_pairs = 64;
constexpr std::size_t max_part_bytes = 4096;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// "Scheme credentials" with the scheme compared without case.
std::optional<std::string_view> credentials_of(std::string_view header, std::string_view scheme) {
    if (header.size() <= scheme.size() || !iequals(header.substr(0, scheme.size()), scheme) ||
        header[scheme.size()] != ' ')
        return std::nullopt;
    std::string_view rest = header.substr(scheme.size() + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
    if (rest.empty()) return std::nullopt;
    return rest;
}

}  // namespace

std::optional<form_params> parse_form(std::string_view text) {
    form_params out;
    while (!text.empty()) {
        const auto amp = text.find('&');
        const std::string_view pair = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
        if (pair.empty()) continue;
        if (out.size() == max_pairs) return std::nullopt;
        const auto eq = pair.find('=');
        std::string name = percent_decode(pair.substr(0, eq));
        std::string value = eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1));
        if (name.size() > max_part_bytes || value.size() > max_part_bytes) return std::nullopt;
        if (std::any_of(out.begin(), out.end(), [&](const auto& kv) { return kv.first == name; })) return std::nullopt;
        out.emplace_back(std::move(name), std::move(value));
    }
    return out;
}

std::optional<std::string> form_value(const form_params& p, std::string_view name) {
    for (const auto& [k, v] : p)
        if (k == name) return v;
    return std::nullopt;
}

authorization_request authorization_request_from(const form_params& p) {
    authorization_request r;
    r.response_type = form_value(p, "response_type");
    r.client_id = form_value(p, "client_id");
    r.redirect_uri = form_value(p, "redirect_uri");
    r.scope = form_value(p, "scope");
    r.state = form_value(p, "state");
    r.nonce = form_value(p, "nonce");
    r.code_challenge = form_value(p, "code_challenge");
    r.code_challenge_method = form_value(p, "code_challenge_method");
    r.prompt = form_value(p, "prompt");
    r.max_age = form_value(p, "max_age");
    r.auth_after = form_value(p, "auth_after");
    return r;
}

std::optional<token_request> token_request_from(const form_params& p, std::string_view authorization) {
    token_request r;
    r.grant_type = form_value(p, "grant_type");
    r.code = form_value(p, "code");
    r.redirect_uri = form_value(p, "redirect_uri");
    r.code_verifier = form_value(p, "code_verifier");
    r.refresh_token = form_value(p, "refresh_token");
    r.scope = form_value(p, "scope");
    r.client_id = form_value(p, "client_id");
    r.client_secret = form_value(p, "client_secret");
    if (authorization.empty()) return r;
    const auto creds = credentials_of(authorization, "Basic");
    if (!creds || creds->size() > 2048) return std::nullopt;
    // RFC 7617 uses base64 with padding; the one decoder is base64url's:
    // map the alphabet and drop the padding first.
    std::string text(*creds);
    while (!text.empty() && text.back() == '=') text.pop_back();
    if (text.find('=') != std::string::npos || text.find_first_of("-_") != std::string::npos) return std::nullopt;
    std::replace(text.begin(), text.end(), '+', '-');
    std::replace(text.begin(), text.end(), '/', '_');
    std::string decoded;
    if (!from_base64url(text, decoded)) return std::nullopt;
    const auto colon = decoded.find(':');
    if (colon == std::string::npos) return std::nullopt;
    r.basic_id = percent_decode(std::string_view(decoded).substr(0, colon));
    r.basic_secret = percent_decode(std::string_view(decoded).substr(colon + 1));
    return r;
}

std::optional<std::string> bearer_token(std::string_view authorization) {
    const auto creds = credentials_of(authorization, "Bearer");
    if (!creds) return std::nullopt;
    return std::string(*creds);
}

std::string login_return_query(const form_params& p, std::optional<std::int64_t> auth_after) {
    form_params kept;
    for (const auto& [k, v] : p) {
        if (k == "auth_after") continue;
        if (k == "prompt") {
            // prompt=login is answered by the login itself.
            std::string rest;
            std::size_t pos = 0;
            while (pos <= v.size()) {
                const auto end = std::min(v.find(' ', pos), v.size());
                const std::string value = v.substr(pos, end - pos);
                if (!value.empty() && value != "login") rest += (rest.empty() ? "" : " ") + value;
                pos = end + 1;
            }
            if (!rest.empty()) kept.emplace_back(k, rest);
            continue;
        }
        kept.emplace_back(k, v);
    }
    if (auth_after) kept.emplace_back("auth_after", std::to_string(*auth_after));
    std::string q = with_query("", kept);
    return q.empty() ? q : q.substr(1);  // without the leading '?'
}

}  // namespace sesame::net
