// JSON Web Tokens as Sésame signs and reads them: the compact JWS
// serialization (RFC 7515 §7.1) with ES256 only (RFC 7518 §3.4), and the
// claims of core's token_claims as a JSON object (RFC 7519). Implements
// core's jwt_codec port over the crypto port's es256 functions. The parser
// is pure and separately fuzzed (tests/fuzz/fuzz_jwt.cpp). Depends on
// Boost.JSON and core.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/crypto.hpp"
#include "core/oidc.hpp"

namespace sesame::net {

inline constexpr std::size_t max_jwt_bytes = 8192;

// A compact JWS taken apart. Refused (nullopt): not exactly three
// base64url parts (no padding), a header that is not a JSON object, an
// `alg` other than ES256 ("none" included: RFC 8725 §3.1), a `crit`
// header (§4.1.11: we understand no extension), a signature that is not 64
// bytes, more than max_jwt_bytes.
struct jws_parts {
    std::string kid;
    std::string typ;            // empty when absent
    std::string payload;        // decoded (JSON text, not yet checked)
    std::string signing_input;  // BASE64URL(header) "." BASE64URL(payload), as received
    std::string signature;      // raw r||s
};
std::optional<jws_parts> parse_jws(std::string_view token);

// The claims of a payload: a JSON object whose iss, sub, aud are strings,
// exp and iat integers, the others of their type when present; nullopt
// otherwise. `typ` is copied from the header.
std::optional<token_claims> parse_claims(std::string_view payload, std::string_view typ);
// The payload of `c` (absent optional claims left out).
std::string claims_json(const token_claims& c);

class jwt_es256 final : public jwt_codec {
public:
    explicit jwt_es256(crypto& c) : crypto_(c) {}
    std::string sign(const token_claims& claims, std::string_view kid, std::string_view private_key) override;
    std::optional<token_claims> verify(std::string_view token, const std::vector<jwk>& keys) override;

private:
    crypto& crypto_;
};

}  // namespace sesame::net
