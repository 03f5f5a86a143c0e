#include <boost/test/unit_test.hpp>

#include <set>

#include "core/activation_code.hpp"
#include "core/staff_account.hpp"
#include "tests/fakes/fake_crypto.hpp"

using namespace sesame;

namespace {

const timestamp t0 = from_millis(1'795'629'731'000);

std::variant<staff_enrolment, staff_refusal> make(const staff_request& r, std::set<std::string> taken = {}) {
    static testing::fake_crypto crypto;
    static testing::fake_hasher hasher;
    return make_staff_account(
        r, [&](std::string_view id) { return taken.count(std::string(id)) > 0; }, crypto, hasher, t0);
}

staff_refusal refusal(const staff_request& r, std::set<std::string> taken = {}) {
    auto made = make(r, std::move(taken));
    BOOST_REQUIRE(std::holds_alternative<staff_refusal>(made));
    return std::get<staff_refusal>(made);
}

std::vector<std::string> scope_of(staff_role role, std::string_view scope) {
    auto parsed = parse_staff_scope(role, scope);
    BOOST_REQUIRE(std::holds_alternative<std::vector<std::string>>(parsed));
    return std::get<std::vector<std::string>>(parsed);
}

bool scope_refused(staff_role role, std::string_view scope) {
    return std::holds_alternative<std::string>(parse_staff_scope(role, scope));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(staff_account)

BOOST_AUTO_TEST_CASE(base32_rfc4648_vectors) {
    BOOST_TEST(base32("") == "");
    BOOST_TEST(base32("f") == "MY");
    BOOST_TEST(base32("fo") == "MZXQ");
    BOOST_TEST(base32("foo") == "MZXW6");
    BOOST_TEST(base32("foob") == "MZXW6YQ");
    BOOST_TEST(base32("fooba") == "MZXW6YTB");
    BOOST_TEST(base32("foobar") == "MZXW6YTBOI");
    BOOST_TEST(base32(std::string("\xff\x00", 2)) == "74AA");
}

BOOST_AUTO_TEST_CASE(totp_uri_encodes_label_and_issuer) {
    BOOST_TEST(totp_uri("Sésame", "mme.durand", "foobar") ==
               "otpauth://totp/S%C3%A9same:mme.durand?secret=MZXW6YTBOI&issuer=S%C3%A9same&algorithm=SHA1&digits=6"
               "&period=30");
}

BOOST_AUTO_TEST_CASE(logins) {
    BOOST_TEST(is_valid_staff_login("mme.durand"));
    BOOST_TEST(is_valid_staff_login("cpe_lycee-2"));
    BOOST_TEST(!is_valid_staff_login("x"));
    BOOST_TEST(!is_valid_staff_login("2cool"));
    BOOST_TEST(!is_valid_staff_login("Mme.Durand"));  // make_staff_account lower-cases first
    BOOST_TEST(!is_valid_staff_login("mme durand"));
    BOOST_TEST(!is_valid_staff_login("durand@ac-paris"));
    BOOST_TEST(!is_valid_staff_login(std::string(65, 'a')));
}

BOOST_AUTO_TEST_CASE(scopes_follow_the_role) {
    BOOST_TEST(scope_of(staff_role::secretariat, " 0751234a, 0931234X,0751234A ") ==
               (std::vector<std::string>{"0751234A", "0931234X"}));
    BOOST_TEST(scope_of(staff_role::support, "creteil, LA REUNION") ==
               (std::vector<std::string>{"Créteil", "La Réunion"}));
    BOOST_TEST(scope_of(staff_role::admin, "").empty());
    BOOST_TEST(scope_of(staff_role::admin, " , ").empty());
    BOOST_TEST(scope_refused(staff_role::direction, ""));
    BOOST_TEST(scope_refused(staff_role::vie_scolaire, "075123A"));
    BOOST_TEST(scope_refused(staff_role::support, "Atlantis"));
    BOOST_TEST(scope_refused(staff_role::support, "0751234A"));  // support is scoped by académie
    BOOST_TEST(scope_refused(staff_role::admin, "0751234A"));
}

BOOST_AUTO_TEST_CASE(enrolment_holds_a_hashed_provisional_password_and_a_totp_secret) {
    auto made = make({"  Mme.Durand ", "direction", "0751234A"});
    BOOST_REQUIRE(std::holds_alternative<staff_enrolment>(made));
    const auto& e = std::get<staff_enrolment>(made);
    BOOST_TEST(e.acc.identifier == "mme.durand");
    BOOST_TEST((e.acc.prof == profile::staff));
    BOOST_TEST((e.acc.status == account_status::active));
    BOOST_TEST(e.acc.must_change_password);
    BOOST_TEST(looks_like_activation_code(e.provisional_password));
    BOOST_TEST(e.acc.password_hash == testing::fake_hasher::encode(2, e.provisional_password));
    BOOST_REQUIRE(e.acc.staff.has_value());
    BOOST_TEST((e.acc.staff->role == staff_role::direction));
    BOOST_TEST(e.acc.staff->scope == std::vector<std::string>{"0751234A"});
    BOOST_TEST(e.acc.staff->totp_secret.size() == 20u);
    BOOST_TEST(e.totp_uri == totp_uri("Sésame", "mme.durand", e.acc.staff->totp_secret));
    BOOST_TEST((e.acc.created_at == t0));
}

BOOST_AUTO_TEST_CASE(two_enrolments_never_share_secrets) {
    auto a = std::get<staff_enrolment>(make({"a.un", "admin", ""}));
    auto b = std::get<staff_enrolment>(make({"b.deux", "admin", ""}));
    BOOST_TEST(a.provisional_password != b.provisional_password);
    BOOST_TEST(a.acc.staff->totp_secret != b.acc.staff->totp_secret);
}

BOOST_AUTO_TEST_CASE(refusals_say_which_option_and_why) {
    using reason = staff_refusal::reason;
    auto r = refusal({"", "admin", ""});
    BOOST_TEST((r.why == reason::bad_option));
    BOOST_TEST(r.message.find("--login") != std::string::npos);
    r = refusal({"mme.durand", "chef", ""});
    BOOST_TEST((r.why == reason::bad_option));
    BOOST_TEST(r.message.find("--role") != std::string::npos);
    r = refusal({"mme.durand", "secretariat", ""});
    BOOST_TEST((r.why == reason::bad_option));
    BOOST_TEST(r.message.find("--scope") != std::string::npos);
    // A long value is cut in the message, never inside a UTF-8 character.
    r = refusal({"mme.durand", "support", std::string(39, 'a') + "é" + std::string(20, 'b')});
    BOOST_TEST(r.message.find(std::string(39, 'a') + "…") != std::string::npos);
    r = refusal({"Mme.Durand", "admin", ""}, {"mme.durand"});
    BOOST_TEST((r.why == reason::login_taken));
    BOOST_TEST(r.message.find("mme.durand") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
