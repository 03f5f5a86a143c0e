#include "net/jwt.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace sesame::net {

namespace json = boost::json;

namespace {

std::optional<json::object> parse_object(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.as_object());
}

// A string member: absent is fine (empty), another type is not.
bool read_string(const json::object& o, std::string_view key, std::string& out, bool required = false) {
    const auto* v = o.if_contains(key);
    if (!v) return !required;
    if (!v->is_string()) return false;
    out.assign(v->as_string().data(), v->as_string().size());
    return true;
}

bool read_int(const json::object& o, std::string_view key, std::optional<std::int64_t>& out) {
    const auto* v = o.if_contains(key);
    if (!v) return true;
    if (v->is_int64()) out = v->as_int64();
    else if (v->is_uint64() && v->as_uint64() <= std::uint64_t(INT64_MAX)) out = std::int64_t(v->as_uint64());
    else return false;
    return true;
}

}  // namespace

std::optional<jws_parts> parse_jws(std::string_view token) {
    if (token.empty() || token.size() > max_jwt_bytes) return std::nullopt;
    const auto first = token.find('.');
    if (first == std::string_view::npos) return std::nullopt;
    const auto second = token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
    jws_parts p;
    std::string header_text;
    if (!from_base64url(token.substr(0, first), header_text) ||
        !from_base64url(token.substr(first + 1, second - first - 1), p.payload) ||
        !from_base64url(token.substr(second + 1), p.signature))
        return std::nullopt;
    if (p.signature.size() != 64) return std::nullopt;
    const auto header = parse_object(header_text);
    if (!header) return std::nullopt;
    std::string alg;
    if (!read_string(*header, "alg", alg, true) || alg != "ES256") return std::nullopt;
    if (header->if_contains("crit")) return std::nullopt;
    if (!read_string(*header, "kid", p.kid) || !read_string(*header, "typ", p.typ)) return std::nullopt;
    p.signing_input.assign(token.substr(0, second));
    return p;
}

std::optional<token_claims> parse_claims(std::string_view payload, std::string_view typ) {
    const auto o = parse_object(payload);
    if (!o) return std::nullopt;
    token_claims c;
    c.typ = typ;
    std::optional<std::int64_t> exp, iat;
    if (!read_string(*o, "iss", c.iss, true) || !read_string(*o, "sub", c.sub, true) ||
        !read_string(*o, "aud", c.aud, true) || !read_int(*o, "exp", exp) || !read_int(*o, "iat", iat) ||
        !exp || !iat || !read_int(*o, "auth_time", c.auth_time) || !read_string(*o, "nonce", c.nonce) ||
        !read_string(*o, "sid", c.sid) || !read_string(*o, "client_id", c.client_id) ||
        !read_string(*o, "scope", c.scope) || !read_string(*o, "jti", c.jti))
        return std::nullopt;
    c.exp = *exp;
    c.iat = *iat;
    return c;
}

std::string claims_json(const token_claims& c) {
    json::object o;
    o["iss"] = c.iss;
    o["sub"] = c.sub;
    o["aud"] = c.aud;
    o["exp"] = c.exp;
    o["iat"] = c.iat;
    if (c.auth_time) o["auth_time"] = *c.auth_time;
    if (!c.nonce.empty()) o["nonce"] = c.nonce;
    if (!c.sid.empty()) o["sid"] = c.sid;
    if (!c.client_id.empty()) o["client_id"] = c.client_id;
    if (!c.scope.empty()) o["scope"] = c.scope;
    if (!c.jti.empty()) o["jti"] = c.jti;
    return json::serialize(o);
}

std::string jwt_es256::sign(const token_claims& claims, std::string_view kid, std::string_view private_key) {
    json::object header;
    header["alg"] = "ES256";
    header["typ"] = claims.typ.empty() ? "JWT" : claims.typ;
    header["kid"] = kid;
    std::string token = base64url(json::serialize(header));
    token.push_back('.');
    token += base64url(claims_json(claims));
    const std::string signature = crypto_.es256_sign(private_key, token);
    token.push_back('.');
    token += base64url(signature);
    return token;
}

std::optional<token_claims> jwt_es256::verify(std::string_view token, const std::vector<jwk>& keys) {
    auto parts = parse_jws(token);
    if (!parts) return std::nullopt;
    for (const auto& k : keys) {
        if (k.kid != parts->kid) continue;
        if (!crypto_.es256_verify(k.x, k.y, parts->signing_input, parts->signature)) return std::nullopt;
        return parse_claims(parts->payload, parts->typ);
    }
    return std::nullopt;
}

}  // namespace sesame::net
