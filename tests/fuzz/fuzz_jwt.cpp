// libFuzzer target for the JWS/JWT parser (net/jwt.hpp): any bytes as a
// compact token through parse_jws, then its payload through parse_claims.
// Invariants: an accepted token has a 64-byte signature and a signing input
// that is the token up to its last '.'; accepted claims survive
// claims_json and parse_claims unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "net/jwt.hpp"

namespace {

void check(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz_jwt: invariant violated: %s\n", what);
    std::abort();
}

bool same(const sesame::token_claims& a, const sesame::token_claims& b) {
    return a.iss == b.iss && a.sub == b.sub && a.aud == b.aud && a.exp == b.exp && a.iat == b.iat &&
           a.auth_time == b.auth_time && a.nonce == b.nonce && a.sid == b.sid && a.client_id == b.client_id &&
           a.scope == b.scope && a.jti == b.jti && a.typ == b.typ;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (const auto parts = sesame::net::parse_jws(input)) {
        check(parts->signature.size() == 64, "signature is not 64 bytes");
        check(input.substr(0, input.rfind('.')) == parts->signing_input, "signing input is not the token's prefix");
        if (const auto claims = sesame::net::parse_claims(parts->payload, parts->typ)) {
            const auto again = sesame::net::parse_claims(sesame::net::claims_json(*claims), parts->typ);
            check(again.has_value() && same(*claims, *again), "claims do not survive a round trip");
        }
    }
    // The payload parser alone, on the raw bytes.
    if (const auto claims = sesame::net::parse_claims(input, "JWT")) {
        const auto again = sesame::net::parse_claims(sesame::net::claims_json(*claims), "JWT");
        check(again.has_value() && same(*claims, *again), "raw claims do not survive a round trip");
    }
    return 0;
}
