// net/jwt.hpp with the real OpenSSL crypto: ES256 JWS signing and
// verification round trip, tampered tokens refused, the parser's refusals
// (RFC 7515 §5.2, RFC 8725 §3.1: no "none", no unknown crit).
#include <boost/test/unit_test.hpp>

#include "net/jwt.hpp"
#include "workers/crypto_openssl.hpp"

using namespace sesame;

namespace {

token_claims sample() {
    token_claims c;
    c.typ = "JWT";
    c.iss = "https://sesame.example.fr";
    c.sub = "pairwise-sub";
    c.aud = "client-1";
    c.iat = 1'795'629'731;
    c.exp = c.iat + 600;
    c.auth_time = c.iat - 60;
    c.nonce = "n-0S6_WzA2Mj";
    c.sid = "grant-1";
    return c;
}

std::string b64(std::string_view s) { return base64url(s); }

}  // namespace

BOOST_AUTO_TEST_SUITE(net_jwt)

BOOST_AUTO_TEST_CASE(es256_round_trip_and_tampering) {
    workers::crypto_openssl crypto;
    net::jwt_es256 codec(crypto);
    const es256_key key = crypto.es256_generate();
    const std::vector<jwk> keys{{"k1", key.x, key.y}};
    const std::string token = codec.sign(sample(), "k1", key.private_key);
    const auto parts = net::parse_jws(token);
    BOOST_REQUIRE(parts.has_value());
    BOOST_TEST(parts->kid == "k1");
    BOOST_TEST(parts->signature.size() == 64u);  // raw r||s, RFC 7518 §3.4
    const auto claims = codec.verify(token, keys);
    BOOST_REQUIRE(claims.has_value());
    BOOST_TEST(claims->sub == "pairwise-sub");
    BOOST_TEST(claims->nonce == "n-0S6_WzA2Mj");
    BOOST_TEST(*claims->auth_time == sample().iat - 60);
    BOOST_TEST(claims->typ == "JWT");

    // One claim changed, signature kept: refused.
    token_claims forged = sample();
    forged.sub = "someone-else";
    const auto dot1 = token.find('.'), dot2 = token.rfind('.');
    const std::string tampered = token.substr(0, dot1 + 1) + b64(net::claims_json(forged)) + token.substr(dot2);
    BOOST_TEST(!codec.verify(tampered, keys).has_value());
    // A flipped signature bit, another key, an unknown kid: refused.
    std::string sig;
    BOOST_REQUIRE(from_base64url(token.substr(dot2 + 1), sig));
    sig[10] = char(sig[10] ^ 1);
    BOOST_TEST(!codec.verify(token.substr(0, dot2 + 1) + b64(sig), keys).has_value());
    const es256_key other = crypto.es256_generate();
    BOOST_TEST(!codec.verify(token, {{"k1", other.x, other.y}}).has_value());
    BOOST_TEST(!codec.verify(token, {{"k2", key.x, key.y}}).has_value());
}

BOOST_AUTO_TEST_CASE(parser_refusals) {
    const std::string payload = b64(net::claims_json(sample()));
    const std::string sig = b64(std::string(64, 'x'));
    auto token = [&](std::string header) { return b64(header) + "." + payload + "." + sig; };
    BOOST_TEST(net::parse_jws(token(R"({"alg":"ES256","kid":"k"})")).has_value());
    BOOST_TEST(!net::parse_jws(token(R"({"alg":"none","kid":"k"})")).has_value());
    BOOST_TEST(!net::parse_jws(token(R"({"alg":"HS256","kid":"k"})")).has_value());
    BOOST_TEST(!net::parse_jws(token(R"({"alg":"ES256","crit":["exp"]})")).has_value());
    BOOST_TEST(!net::parse_jws(token(R"(["ES256"])")).has_value());
    BOOST_TEST(!net::parse_jws(b64(R"({"alg":"ES256"})") + "." + payload).has_value());  // two parts
    BOOST_TEST(!net::parse_jws(token(R"({"alg":"ES256"})") + ".x").has_value());       // four parts
    BOOST_TEST(!net::parse_jws(b64(R"({"alg":"ES256"})") + "." + payload + "." + b64("short")).has_value());
    BOOST_TEST(!net::parse_jws(b64(R"({"alg":"ES256"})") + "=." + payload + "." + sig).has_value());  // padding
    BOOST_TEST(!net::parse_claims(R"({"iss":"a","sub":"b","aud":"c","exp":"1","iat":1})", "JWT").has_value());
    BOOST_TEST(!net::parse_claims(R"({"iss":"a","sub":"b","aud":"c","iat":1})", "JWT").has_value());
    BOOST_TEST(net::parse_claims(R"({"iss":"a","sub":"b","aud":"c","exp":2,"iat":1})", "JWT").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
