#include <boost/test/unit_test.hpp>

#include <string>

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "workers/crypto_openssl.hpp"

using namespace sesame;
using sesame::workers::crypto_openssl;

namespace {
const std::string rfc_secret = "12345678901234567890";  // RFC 4226 / RFC 6238 (SHA-1)
}

BOOST_AUTO_TEST_SUITE(workers_crypto_openssl)

BOOST_AUTO_TEST_CASE(sha256_abc_known_vector) {
    crypto_openssl c;
    BOOST_TEST(to_hex(c.sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    BOOST_TEST(to_hex(c.sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

BOOST_AUTO_TEST_CASE(hmac_sha256_rfc4231_case_2) {
    crypto_openssl c;
    BOOST_TEST(to_hex(c.hmac_sha256("Jefe", "what do ya want for nothing?")) ==
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    BOOST_TEST(c.hmac_sha256("", "").size() == 32u);  // empty key and data are fine
}

BOOST_AUTO_TEST_CASE(random_bytes_length_and_uniqueness) {
    crypto_openssl c;
    const auto a = c.random_bytes(32);
    const auto b = c.random_bytes(32);
    BOOST_TEST(a.size() == 32u);
    BOOST_TEST(b.size() == 32u);
    BOOST_TEST(a != b);
    BOOST_TEST(c.random_bytes(0).empty());
    BOOST_TEST(c.random_bytes(1000).size() == 1000u);
}

BOOST_AUTO_TEST_CASE(hotp6_rfc4226_appendix_d) {
    crypto_openssl c;
    const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                              "254676", "287922", "162583", "399871", "520489"};
    for (std::uint64_t counter = 0; counter < 10; ++counter) {
        BOOST_TEST_CONTEXT("counter " << counter) { BOOST_TEST(c.hotp6(rfc_secret, counter) == expected[counter]); }
    }
}

BOOST_AUTO_TEST_CASE(totp_rfc6238_t59_inside_window) {
    crypto_openssl c;
    // RFC 6238 SHA-1 at T=59 is 94287082; its 6-digit form is the last 6 digits.
    // Every match names the step the code belongs to: T=59 is step 1.
    BOOST_TEST(c.totp_match(rfc_secret, "287082", 59, 0).value_or(0) == 1u);
    BOOST_TEST(c.totp_match(rfc_secret, "287082", 59, 1).value_or(0) == 1u);
    BOOST_TEST(c.totp_match(rfc_secret, "287082", 60 + 29, 1).value_or(0) == 1u);  // one step later
    BOOST_TEST(c.totp_match(rfc_secret, "287082", 0, 1).value_or(0) == 1u);        // one step earlier
    BOOST_TEST(c.totp_match(rfc_secret, "287082", 90 + 29, 2).value_or(0) == 1u);  // two steps later
}

BOOST_AUTO_TEST_CASE(totp_rejects_outside_window_and_bad_codes) {
    crypto_openssl c;
    BOOST_TEST(!c.totp_match(rfc_secret, "287082", 60, 0));       // next step, no window
    BOOST_TEST(!c.totp_match(rfc_secret, "287082", 90 + 29, 1));  // two steps later, window 1
    BOOST_TEST(!c.totp_match(rfc_secret, "287083", 59, 1));       // wrong code
    BOOST_TEST(!c.totp_match(rfc_secret, "94287082", 59, 1));     // 8-digit form is not a 6-digit code
    BOOST_TEST(!c.totp_match(rfc_secret, "28708", 59, 1));
    BOOST_TEST(!c.totp_match(rfc_secret, "28708a", 59, 1));
    BOOST_TEST(!c.totp_match(rfc_secret, "", 59, 1));
    BOOST_TEST(!c.totp_match(rfc_secret, "287082", 59, -1));
    BOOST_TEST(!c.totp_match(rfc_secret, "287082", -1, 1));
    BOOST_TEST(!c.totp_match("another secret value", "287082", 59, 1));
}

BOOST_AUTO_TEST_CASE(constant_time_equal_compares_content_and_length) {
    BOOST_TEST(constant_time_equal("abc", "abc"));
    BOOST_TEST(constant_time_equal("", ""));
    BOOST_TEST(!constant_time_equal("abc", "abd"));
    BOOST_TEST(!constant_time_equal("abc", "ab"));
    BOOST_TEST(!constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

BOOST_AUTO_TEST_CASE(to_hex_known_values) {
    BOOST_TEST(to_hex("") == "");
    BOOST_TEST(to_hex(std::string("\x00\x01\xab\xff", 4)) == "0001abff");
}

BOOST_AUTO_TEST_CASE(base64url_round_trip) {
    crypto_openssl c;
    BOOST_TEST(base64url("") == "");
    BOOST_TEST(base64url("f") == "Zg");
    BOOST_TEST(base64url("fo") == "Zm8");
    BOOST_TEST(base64url("foo") == "Zm9v");
    BOOST_TEST(base64url(std::string("\xfb\xff", 2)) == "-_8");  // url alphabet, no padding
    for (std::size_t n = 0; n < 40; ++n) {
        const auto bytes = c.random_bytes(n);
        std::string back;
        BOOST_TEST_CONTEXT("length " << n) {
            BOOST_TEST(from_base64url(base64url(bytes), back));
            BOOST_TEST(back == bytes);
        }
    }
    std::string out;
    BOOST_TEST(!from_base64url("Zm9v=", out));  // padding is not accepted
    BOOST_TEST(!from_base64url("Zm+v", out));   // standard alphabet is not accepted
    BOOST_TEST(!from_base64url("Z", out));      // lone 6-bit tail
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(workers_crypto_openssl_es256)

BOOST_AUTO_TEST_CASE(es256_sign_verify_round_trip) {
    crypto_openssl c;
    const es256_key k = c.es256_generate();
    BOOST_TEST(k.x.size() == 32u);
    BOOST_TEST(k.y.size() == 32u);
    const std::string sig = c.es256_sign(k.private_key, "header.payload");
    BOOST_TEST(sig.size() == 64u);
    BOOST_TEST(c.es256_verify(k.x, k.y, "header.payload", sig));
    BOOST_TEST(!c.es256_verify(k.x, k.y, "header.payloae", sig));
    std::string flipped = sig;
    flipped[63] = char(flipped[63] ^ 0x01);
    BOOST_TEST(!c.es256_verify(k.x, k.y, "header.payload", flipped));
    const es256_key other = c.es256_generate();
    BOOST_TEST(!c.es256_verify(other.x, other.y, "header.payload", sig));
    BOOST_TEST(!c.es256_verify(k.x, k.y, "header.payload", sig.substr(0, 63)));
    BOOST_TEST(!c.es256_verify(std::string(32, '\0'), std::string(32, '\0'), "header.payload", sig));  // not a point
    BOOST_TEST(c.es256_sign(k.private_key, "header.payload") != sig);  // ECDSA draws a fresh nonce
    BOOST_CHECK_THROW(c.es256_sign("not a key", "x"), infrastructure_error);
}

BOOST_AUTO_TEST_CASE(aes256gcm_seals_and_refuses_any_change) {
    crypto_openssl c;
    const std::string key = c.random_bytes(32);
    const std::string sealed = c.aes256gcm_seal(key, "private key bytes", "kid-1");
    BOOST_TEST(sealed.size() == 12u + 17u + 16u);
    BOOST_TEST(sealed.find("private key bytes") == std::string::npos);
    BOOST_TEST(c.aes256gcm_open(key, sealed, "kid-1").value_or("") == "private key bytes");
    BOOST_TEST(!c.aes256gcm_open(key, sealed, "kid-2").has_value());
    BOOST_TEST(!c.aes256gcm_open(c.random_bytes(32), sealed, "kid-1").has_value());
    std::string altered = sealed;
    altered[14] = char(altered[14] ^ 0x80);
    BOOST_TEST(!c.aes256gcm_open(key, altered, "kid-1").has_value());
    BOOST_TEST(!c.aes256gcm_open(key, "short", "kid-1").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
