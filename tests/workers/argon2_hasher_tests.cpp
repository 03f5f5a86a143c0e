#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>

#include "workers/argon2_hasher.hpp"
#include "workers/crypto_openssl.hpp"

using sesame::workers::argon2_hasher;
using sesame::workers::crypto_openssl;

namespace {
// A tiny cost keeps the suite fast; production uses m=19456, t=2.
struct tiny_hasher {
    crypto_openssl rng;
    argon2_hasher hasher{rng, 64, 1};
};
constexpr const char* tiny_prefix = "$argon2id$v=19$m=64,t=1,p=1$";
}  // namespace

BOOST_FIXTURE_TEST_SUITE(workers_argon2_hasher, tiny_hasher)

BOOST_AUTO_TEST_CASE(hash_is_a_phc_argon2id_string) {
    const auto h = hasher.hash("correct horse battery staple");
    BOOST_TEST(h.rfind(tiny_prefix, 0) == 0u, h);
    // salt (16 bytes -> 22 chars) and tag (32 bytes -> 43 chars), unpadded base64
    BOOST_TEST(h.size() == std::string(tiny_prefix).size() + 22 + 1 + 43);
}

BOOST_AUTO_TEST_CASE(verify_accepts_the_right_password_only) {
    const auto h = hasher.hash("correct horse battery staple");
    BOOST_TEST(hasher.verify(h, "correct horse battery staple"));
    BOOST_TEST(!hasher.verify(h, "correct horse battery stapl"));
    BOOST_TEST(!hasher.verify(h, ""));
}

BOOST_AUTO_TEST_CASE(same_password_gets_a_fresh_salt) {
    const auto a = hasher.hash("same password here");
    const auto b = hasher.hash("same password here");
    BOOST_TEST(a != b);
    BOOST_TEST(hasher.verify(a, "same password here"));
    BOOST_TEST(hasher.verify(b, "same password here"));
}

BOOST_AUTO_TEST_CASE(verify_returns_false_on_malformed_input) {
    const std::string good = hasher.hash("pw");
    BOOST_TEST(!hasher.verify("", "pw"));
    BOOST_TEST(!hasher.verify("not a hash", "pw"));
    BOOST_TEST(!hasher.verify(good.substr(0, good.size() - 10), "pw"));  // truncated tag
    BOOST_TEST(!hasher.verify(good + "!", "pw"));
    BOOST_TEST(!hasher.verify(good + std::string(1, '\0'), "pw"));      // embedded NUL
    std::string argon2i = good;
    argon2i.replace(0, 10, "$argon2i$");
    BOOST_TEST(!hasher.verify(argon2i, "pw"));
    BOOST_TEST(!hasher.verify("$argon2id$v=19$m=64,t=1,p=1$$", "pw"));
    BOOST_TEST(!hasher.verify("$argon2id$v=19$m=x,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA", "pw"));
    BOOST_TEST(hasher.verify(good, "pw"));  // the untouched one still verifies
}

BOOST_AUTO_TEST_CASE(needs_rehash_compares_the_cost) {
    const auto h = hasher.hash("pw");
    BOOST_TEST(!hasher.needs_rehash(h));
    argon2_hasher more_memory{rng, 128, 1};
    argon2_hasher more_time{rng, 64, 2};
    BOOST_TEST(more_memory.needs_rehash(h));
    BOOST_TEST(more_time.needs_rehash(h));
    BOOST_TEST(!more_time.needs_rehash(more_time.hash("pw")));
    BOOST_TEST(more_time.verify(h, "pw"));  // an old cost still verifies
    BOOST_TEST(hasher.needs_rehash("garbage"));
    BOOST_TEST(hasher.needs_rehash("$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA"));
    BOOST_TEST(hasher.needs_rehash("$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA"));
}

BOOST_AUTO_TEST_CASE(dummy_hash_has_the_configured_cost) {
    const auto d = hasher.make_dummy_hash();
    BOOST_TEST(d.rfind(tiny_prefix, 0) == 0u, d);
    BOOST_TEST(!hasher.needs_rehash(d));
    BOOST_TEST(d != hasher.make_dummy_hash());
    BOOST_TEST(!hasher.verify(d, ""));
}

BOOST_AUTO_TEST_CASE(owasp_minimum_and_invalid_cost) {
    BOOST_TEST(!argon2_hasher::below_owasp_minimum(19456, 2));
    BOOST_TEST(argon2_hasher::below_owasp_minimum(19455, 2));
    BOOST_TEST(argon2_hasher::below_owasp_minimum(19456, 1));
    BOOST_TEST(argon2_hasher::below_owasp_minimum(64, 1));
    BOOST_CHECK_THROW(argon2_hasher(rng, 64, 0), std::invalid_argument);
    BOOST_CHECK_THROW(argon2_hasher(rng, 4, 1), std::invalid_argument);
    BOOST_CHECK_THROW(argon2_hasher(rng, 64, 1, 0), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
