// The account use cases of core/account_service.hpp (login, lockout,
// per-address limit, sessions, password change, journal) over the in-memory
// ports and the deterministic crypto fakes: no socket, no disk, no clock.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cctype>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/account_import.hpp"
#include "core/account_service.hpp"
#include "core/activation_code.hpp"
#include "core/notifications.hpp"
#include "tests/fakes/fake_crypto.hpp"
#include "tests/fakes/memory_ports.hpp"

using namespace sesame;
using namespace std::chrono_literals;
using testing::fake_hasher;

namespace {

const timestamp t0 = from_millis(1'795'629'731'000);  // 2026-11-25T18:02:11Z
const timestamp journal_now = t0 + std::chrono::days(30);
const client_info home{"203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"};
const client_info mobile{"198.51.100.23", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Safari/604.1"};

// Strong enough for zxcvbn, unrelated to the names used below.
const std::string strong[] = {"Brume-Cobalt7-Falaise-Oxyde", "Quartz!Violon9-Sapin-Lagune", "Orage-Menthe4-Kiwi-Tambour",
                              "Galet#Phare2-Cactus-Ombrelle", "Fjord-Nuage8-Pivoine-Sextant", "Tulipe-Zinc5-Marais-Boussole",
                              "Hibou-Corail3-Steppe-Lanterne"};

struct service_fixture {
    testing::memory_ports store;
    testing::fake_crypto crypto;
    fake_hasher hasher{2};
    account_policy policy;
    std::string dummy;
    std::string activation_code;  // of the last account added
    std::unique_ptr<account_service> svc;
    int next_external = 0;

    service_fixture() { restart(); }

    // (Re)builds the service with the current `policy`; counts start at zero.
    void restart() {
        svc = std::make_unique<account_service>(store.ports(), crypto, hasher, policy);
        dummy = fake_hasher::encode(hasher.cost(), "\x01dummy:" + to_hex(crypto.random_bytes(16)));
        svc->set_dummy_hash(dummy);
        hasher.reset_counts();
    }

    // An account made like an import would make it; active with `password`
    // (hashed at `cost`, default the hasher's) unless `password` is empty.
    account add_account(const std::string& first, const std::string& last, const std::string& password,
                        profile p = profile::eleve, std::optional<std::string> phone = std::nullopt,
                        std::optional<unsigned> cost = std::nullopt) {
        account_row row;
        row.prof = p;
        row.external_id = "EXT" + std::to_string(++next_external);
        row.first_name = first;
        row.last_name = last;
        row.establishment = "0751234A";
        row.phone = std::move(phone);
        auto made = make_account(
            row, [&](std::string_view id) { return store.identifier_exists(id); }, crypto, t0 - std::chrono::days(1));
        activation_code = made.activation_code;
        account a = made.acc;
        if (!password.empty()) {
            a.password_hash = fake_hasher::encode(cost.value_or(hasher.cost()), password);
            a.status = account_status::active;
            a.must_change_password = false;
            a.activation_digest.clear();
        }
        put(a);
        return a;
    }
    void put(const account& a) { store.put_account(a); }
    account stored(const std::string& id) { return store.find_account(id).value(); }

    result<login_success> login(const std::string& id, const std::string& password, timestamp at,
                                const client_info& client = home, std::optional<std::string> otp = std::nullopt) {
        return svc->login(login_input{id, password, std::move(otp), client}, at);
    }
    std::string token_of(const std::string& id, const std::string& password, timestamp at,
                         const client_info& client = home) {
        auto r = login(id, password, at, client);
        BOOST_REQUIRE(r.ok());
        return r->token;
    }
    authenticated who(const std::string& token, timestamp at, const client_info& client = home) {
        auto r = svc->authenticate(token, client, at);
        BOOST_REQUIRE(r.ok());
        return *r;
    }

    std::vector<journal_entry> journal(const std::string& id) {
        return store.read_journal(id, 100000, {}, journal_now).entries;
    }
    std::size_t count(const std::string& id, std::string_view type) {
        std::size_t n = 0;
        for (const auto& e : journal(id)) n += e.type == type;
        return n;
    }
    std::size_t applies() const { return store.synced_applies() + store.buffered_applies(); }
};

// The wire name of a result's error ("invalid_credentials"), or "ok".
std::string code_of(const auto& r) { return r.ok() ? "ok" : to_string(r.error().code); }

bool has_reason(const domain_error& e, std::string_view part) {
    for (const auto& r : e.reasons)
        if (r.find(part) != std::string::npos) return true;
    return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(account_service)

BOOST_AUTO_TEST_CASE(fake_crypto_digests_are_the_real_ones) {
    testing::fake_crypto c;
    BOOST_TEST(to_hex(c.sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    BOOST_TEST(to_hex(c.sha256(std::string(1000, 'a'))).size() == 64u);
    BOOST_TEST(to_hex(c.hmac_sha256("Jefe", "what do ya want for nothing?")) ==
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");  // RFC 4231 case 2
    const auto a = c.random_bytes(32), b = c.random_bytes(32);
    BOOST_TEST(a.size() == 32u);
    BOOST_TEST(a != b);
    BOOST_TEST(c.hotp6("secret", 1).size() == 6u);
}

BOOST_FIXTURE_TEST_CASE(unknown_identifier_and_wrong_password_look_the_same, service_fixture) {
    policy.login_failures_per_ip = {2, 15min};
    restart();
    const account a = add_account("Marie", "Dupont", "ancien-mot-de-passe");

    auto unknown = login("n.personne", "ancien-mot-de-passe", t0);
    BOOST_REQUIRE(!unknown.ok());
    BOOST_TEST(hasher.verify_calls() == 1u);
    BOOST_TEST(hasher.verified().at(0) == dummy);  // the dummy hash did the same work

    auto wrong = login(a.identifier, "pas-le-bon", t0 + 1s);
    BOOST_REQUIRE(!wrong.ok());
    BOOST_TEST(hasher.verify_calls() == 2u);
    BOOST_TEST(hasher.verified().at(1) == a.password_hash);
    BOOST_TEST(hasher.hash_calls() == 0u);

    BOOST_TEST(code_of(unknown) == "invalid_credentials");
    BOOST_TEST(code_of(wrong) == "invalid_credentials");
    BOOST_TEST(unknown.error().message == wrong.error().message);
    BOOST_TEST(!unknown.error().locked_until.has_value());
    BOOST_TEST(!wrong.error().locked_until.has_value());
    BOOST_TEST(store.count_accounts() == 1u);
    BOOST_TEST(stored(a.identifier).lockout.consecutive_failures == 1u);

    // Both filled the address window (2): even the right password is refused now.
    auto limited = login(a.identifier, "ancien-mot-de-passe", t0 + 2s);
    BOOST_REQUIRE(!limited.ok());
    BOOST_TEST(code_of(limited) == "rate_limited");
    BOOST_TEST(limited.error().retry_after_s.value_or(0) == 898);  // until t0's failure leaves the window
    BOOST_TEST(hasher.verify_calls() == 2u);
    BOOST_TEST(login(a.identifier, "ancien-mot-de-passe", t0 + 2s, mobile).ok());
}

BOOST_FIXTURE_TEST_CASE(login_success_stores_only_the_digest_and_resets_failures, service_fixture) {
    const account a = add_account("Marie", "Dupont", "ancien-mot-de-passe");
    BOOST_TEST(!login(a.identifier, "faux-1", t0).ok());
    BOOST_TEST(!login(a.identifier, "faux-2", t0 + 1s).ok());
    BOOST_TEST(stored(a.identifier).lockout.consecutive_failures == 2u);

    const std::size_t synced = store.synced_applies(), buffered = store.buffered_applies();
    const timestamp at = t0 + 10s;
    auto r = login(a.identifier, "ancien-mot-de-passe", at, mobile);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->token.size() == 43u);  // 32 random bytes, base64url
    BOOST_TEST(r->acc.identifier == a.identifier);
    BOOST_TEST(!r->acc.must_change_password);
    BOOST_TEST(to_millis(r->expires_at) == to_millis(at + 30min));
    BOOST_TEST(store.synced_applies() == synced);
    BOOST_TEST(store.buffered_applies() == buffered + 1);

    const auto sessions = store.sessions_of(a.identifier, at);
    BOOST_REQUIRE(sessions.size() == 1u);
    const session_record& s = sessions.front();
    BOOST_TEST(s.digest == crypto.sha256(r->token));
    BOOST_TEST(s.digest.size() == 32u);
    for (const std::string* field : {&s.digest, &s.identifier, &s.ip, &s.user_agent})
        BOOST_TEST(field->find(r->token) == std::string::npos);
    BOOST_TEST(s.public_id().find(r->token.substr(0, 8)) == std::string::npos);
    BOOST_TEST(to_millis(s.created_at) == to_millis(at));
    BOOST_TEST(to_millis(s.last_seen_at) == to_millis(at));
    BOOST_TEST(to_millis(s.absolute_expires_at) == to_millis(at + 12h));
    BOOST_TEST(s.ip == mobile.ip);
    BOOST_TEST(s.user_agent == mobile.user_agent);

    const account after = stored(a.identifier);
    BOOST_TEST(after.lockout.consecutive_failures == 0u);
    BOOST_TEST(after.lockout.lock_count == 0u);
    const auto j = journal(a.identifier);
    BOOST_REQUIRE(j.size() == 3u);
    BOOST_TEST(j.front().type == journal_type::login_succeeded);
    BOOST_TEST(j.front().ip == mobile.ip);
    BOOST_TEST(j.front().actor == "self");
    BOOST_TEST(count(a.identifier, journal_type::login_failed) == 2u);

    BOOST_TEST(who(r->token, at + 1s).acc.identifier == a.identifier);
}

BOOST_FIXTURE_TEST_CASE(identifier_is_case_insensitive_and_trimmed, service_fixture) {
    const account a = add_account("Marie", "Dupont", "ancien-mot-de-passe");
    BOOST_REQUIRE(a.identifier == "m.dupont");
    auto r = login("  M.Dupont ", "ancien-mot-de-passe", t0);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->acc.identifier == "m.dupont");
    BOOST_TEST(!login("\tM.DUPONT\n", "faux", t0 + 1s).ok());
    BOOST_TEST(stored("m.dupont").lockout.consecutive_failures == 1u);
    // The password is not folded.
    BOOST_TEST(code_of(login("m.dupont", "ANCIEN-MOT-DE-PASSE", t0 + 2s)) == "invalid_credentials");
}

BOOST_FIXTURE_TEST_CASE(five_failures_lock_fifteen_minutes_and_tell_the_parent, service_fixture) {
    policy.lockout.threshold = 5;
    policy.lockout.first_lock = 15min;
    restart();
    const account a = add_account("Paul", "Durand", "ancien-mot-de-passe", profile::parent, "+33612345678");
    const std::size_t synced = store.synced_applies();

    for (int i = 0; i < 5; ++i) {
        auto r = login(a.identifier, "faux-" + std::to_string(i), t0 + std::chrono::seconds(i));
        BOOST_REQUIRE(!r.ok());
        BOOST_TEST(code_of(r) == "invalid_credentials");  // the locking attempt itself answers 401
        if (i < 4) BOOST_TEST(store.all_messages().empty());
    }
    const timestamp until = t0 + 4s + 15min;
    const account locked = stored(a.identifier);
    BOOST_REQUIRE(locked.lockout.locked_until.has_value());
    BOOST_TEST(to_millis(*locked.lockout.locked_until) == to_millis(until));
    BOOST_TEST(locked.lockout.lock_count == 1u);
    BOOST_TEST(locked.lockout.consecutive_failures == 0u);
    BOOST_TEST(store.synced_applies() == synced + 1);  // the lock and its message, durably

    const std::size_t verifies = hasher.verify_calls();
    auto refused = login(a.identifier, "ancien-mot-de-passe", t0 + 5min);
    BOOST_REQUIRE(!refused.ok());
    BOOST_TEST(code_of(refused) == "account_locked");
    BOOST_REQUIRE(refused.error().locked_until.has_value());
    BOOST_TEST(to_millis(*refused.error().locked_until) == to_millis(until));
    BOOST_TEST(hasher.verify_calls() == verifies);  // a locked account is refused before any check
    BOOST_TEST(code_of(login(a.identifier, "ancien-mot-de-passe", until - 1ms)) == "account_locked");

    auto ok = login(a.identifier, "ancien-mot-de-passe", until);  // lifts at exactly until
    BOOST_REQUIRE(ok.ok());
    BOOST_TEST(!stored(a.identifier).lockout.locked_until.has_value());
    BOOST_TEST(stored(a.identifier).lockout.lock_count == 0u);

    const auto messages = store.all_messages();
    BOOST_REQUIRE(messages.size() == 1u);
    const outbox_message& m = messages.front();
    BOOST_TEST((m.ch == channel::sms));
    BOOST_TEST(m.to == "+33612345678");
    BOOST_TEST(m.purpose == "lock_notice");
    BOOST_TEST(m.identifier == a.identifier);
    BOOST_TEST((m.status == message_status::pending));
    BOOST_TEST(m.id.size() == 32u);
    BOOST_TEST(fits_one_gsm7_segment(m.text));
    BOOST_TEST(store.notifier.ids() == std::vector<std::string>{m.id}, boost::test_tools::per_element());

    BOOST_TEST(count(a.identifier, journal_type::login_failed) == 5u);  // locked attempts are not journaled as failures
    BOOST_TEST(count(a.identifier, journal_type::account_locked) == 1u);
    BOOST_TEST(count(a.identifier, journal_type::login_succeeded) == 1u);
    for (const auto& e : journal(a.identifier))
        if (e.type == journal_type::account_locked) {
            BOOST_TEST(e.actor == "system");
            BOOST_TEST(e.detail.find("Blocage temporaire") != std::string::npos);
        }
}

BOOST_FIXTURE_TEST_CASE(twenty_failures_in_a_day_hard_lock, service_fixture) {
    // Default policy: 5 → 15 min, doubling; hard lock at 20 within 24 h.
    const account a = add_account("Paul", "Durand", "ancien-mot-de-passe", profile::parent, "+33612345678");
    timestamp at = t0;
    for (int round = 0; round < 4; ++round) {
        for (int i = 0; i < 5; ++i) {
            BOOST_TEST(code_of(login(a.identifier, "faux", at)) == "invalid_credentials");
            at += 1s;
        }
        const account s = stored(a.identifier);
        if (round < 3) {
            BOOST_REQUIRE(s.lockout.locked_until.has_value());
            BOOST_TEST(to_millis(*s.lockout.locked_until) == to_millis(at - 1s + 15min * (1 << round)));
            BOOST_TEST(!s.lockout.hard_locked);
            at = *s.lockout.locked_until;
        }
    }
    const account hard = stored(a.identifier);
    BOOST_TEST(hard.lockout.hard_locked);
    BOOST_TEST(!hard.lockout.locked_until.has_value());
    BOOST_TEST(hard.lockout.recent_failures.size() == 20u);

    for (timestamp later : {at, at + 2h, t0 + std::chrono::days(3)}) {
        auto r = login(a.identifier, "ancien-mot-de-passe", later);
        BOOST_REQUIRE(!r.ok());
        BOOST_TEST(code_of(r) == "account_locked");
        BOOST_TEST(!r.error().locked_until.has_value());  // only staff or a recovery lifts it
    }
    BOOST_TEST(count(a.identifier, journal_type::account_locked) == 4u);
    BOOST_TEST(journal(a.identifier).front().detail.find("définitif") != std::string::npos);
    BOOST_TEST(store.all_messages().size() == 4u);
    BOOST_TEST(store.notifier.ids().size() == 4u);
}

BOOST_FIXTURE_TEST_CASE(per_address_limit_refuses_even_the_right_password, service_fixture) {
    policy.login_failures_per_ip = {3, 10min};
    restart();
    const account a = add_account("Marie", "Dupont", "ancien-mot-de-passe");
    const account b = add_account("Luc", "Martin", "autre-mot-de-passe");
    BOOST_TEST(!login(a.identifier, "faux", t0, home).ok());
    BOOST_TEST(!login("x.inconnu", "faux", t0 + 1s, home).ok());
    BOOST_TEST(!login(b.identifier, "faux", t0 + 2s, home).ok());

    const std::size_t verifies = hasher.verify_calls();
    auto r = login(a.identifier, "ancien-mot-de-passe", t0 + 3s, home);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(code_of(r) == "rate_limited");
    BOOST_REQUIRE(r.error().retry_after_s.has_value());
    BOOST_TEST(*r.error().retry_after_s > 0);
    BOOST_TEST(*r.error().retry_after_s == 597);  // t0's failure leaves at t0 + 10 min
    BOOST_TEST(hasher.verify_calls() == verifies);
    BOOST_TEST(stored(a.identifier).lockout.consecutive_failures == 1u);  // not counted on the account
    BOOST_TEST(code_of(login("x.inconnu", "faux", t0 + 4s, home)) == "rate_limited");  // same for unknown ones

    BOOST_TEST(login(a.identifier, "ancien-mot-de-passe", t0 + 3s, mobile).ok());  // another address
    BOOST_TEST(login(a.identifier, "ancien-mot-de-passe", t0 + 10min, home).ok());  // the window moved on
}

BOOST_FIXTURE_TEST_CASE(concurrent_failures_lock_exactly_once, service_fixture) {
    // Threshold 5: the first 5 failures to reach the account lock it until
    // t0 + 15 min; the 35 others find it locked (answered 423, neither counted
    // nor journaled). Every attempt uses its thread's own address (5 < 100).
    const account a = add_account("Paul", "Durand", "ancien-mot-de-passe", profile::parent, "+33612345678");
    hasher.after_verify = [] { std::this_thread::yield(); };
    std::atomic<int> invalid{0}, locked{0}, other{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            const client_info c{"203.0.113." + std::to_string(10 + t), "thread"};
            while (!go) std::this_thread::yield();
            for (int i = 0; i < 5; ++i) {
                auto r = login(a.identifier, "faux", t0, c);
                if (r.ok()) ++other;
                else if (r.error().code == errc::invalid_credentials) ++invalid;
                else if (r.error().code == errc::account_locked) ++locked;
                else ++other;
            }
        });
    go = true;
    for (auto& t : threads) t.join();
    hasher.after_verify = nullptr;

    BOOST_TEST(invalid.load() == 5);
    BOOST_TEST(locked.load() == 35);
    BOOST_TEST(other.load() == 0);
    const account s = stored(a.identifier);
    BOOST_TEST(s.lockout.consecutive_failures == 0u);
    BOOST_TEST(s.lockout.lock_count == 1u);
    BOOST_TEST(!s.lockout.hard_locked);
    BOOST_REQUIRE(s.lockout.locked_until.has_value());
    BOOST_TEST(to_millis(*s.lockout.locked_until) == to_millis(t0 + 15min));
    BOOST_TEST(s.lockout.recent_failures.size() == 5u);
    BOOST_TEST(count(a.identifier, journal_type::login_failed) == s.lockout.recent_failures.size());
    BOOST_TEST(count(a.identifier, journal_type::account_locked) == 1u);
    BOOST_TEST(store.all_messages().size() == 1u);
    BOOST_TEST(store.notifier.ids().size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(concurrent_failures_lose_no_update, service_fixture) {
    // No lock within reach: all 40 failures must be counted and journaled.
    policy.lockout.threshold = 41;
    policy.lockout.hard_threshold = 50;
    restart();
    const account a = add_account("Marie", "Dupont", "ancien-mot-de-passe");
    hasher.after_verify = [] { std::this_thread::yield(); };
    std::atomic<int> invalid{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            const client_info c{"203.0.113." + std::to_string(10 + t), "thread"};
            while (!go) std::this_thread::yield();
            for (int i = 0; i < 5; ++i)
                if (auto r = login(a.identifier, "faux", t0 + std::chrono::milliseconds(i), c);
                    !r.ok() && r.error().code == errc::invalid_credentials)
                    ++invalid;
        });
    go = true;
    for (auto& t : threads) t.join();
    hasher.after_verify = nullptr;

    BOOST_TEST(invalid.load() == 40);
    const account s = stored(a.identifier);
    BOOST_TEST(s.lockout.consecutive_failures == 40u);
    BOOST_TEST(s.lockout.recent_failures.size() == 40u);
    BOOST_TEST(!s.lockout.locked_until.has_value());
    BOOST_TEST(count(a.identifier, journal_type::login_failed) == 40u);
}

BOOST_FIXTURE_TEST_CASE(activation_code_is_the_first_password, service_fixture) {
    const account a = add_account("Léa", "Moreau", "");  // pending, as imported
    const std::string code = activation_code;
    BOOST_REQUIRE(a.status == account_status::pending);

    auto wrong = login(a.identifier, "AAAA-BBBB-CCCC-DDDD", t0);
    BOOST_REQUIRE(!wrong.ok());
    BOOST_TEST(code_of(wrong) == "invalid_credentials");
    BOOST_TEST(hasher.verify_calls() == 1u);
    BOOST_TEST(hasher.verified().at(0) == dummy);
    BOOST_TEST(stored(a.identifier).lockout.consecutive_failures == 1u);

    std::string typed;  // lower case, spaces instead of hyphens
    for (char ch : code) typed.push_back(ch == '-' ? ' ' : char(std::tolower(static_cast<unsigned char>(ch))));
    auto r = login(a.identifier, typed, t0 + 1s);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->acc.must_change_password);
    BOOST_TEST(hasher.verify_calls() == 2u);  // the dummy hash still runs (timing)
    BOOST_TEST(hasher.verified().at(1) == dummy);
    BOOST_TEST(hasher.hash_calls() == 0u);
    const account after = stored(a.identifier);
    BOOST_TEST(after.must_change_password);
    BOOST_TEST(after.lockout.consecutive_failures == 0u);
    BOOST_TEST(after.password_hash.empty());
    BOOST_TEST(journal(a.identifier).front().detail == "Première connexion avec le code d'activation.");
}

BOOST_FIXTURE_TEST_CASE(authenticate_checks_tokens_and_timeouts, service_fixture) {
    const account a = add_account("Marie", "Dupont", "ancien-mot-de-passe");
    const std::string token = token_of(a.identifier, "ancien-mot-de-passe", t0);

    BOOST_TEST(code_of(svc->authenticate("", home, t0)) == "unauthenticated");
    BOOST_TEST(code_of(svc->authenticate("garbage", home, t0)) == "unauthenticated");
    BOOST_TEST(code_of(svc->authenticate(std::string(200, 'A'), home, t0)) == "unauthenticated");
    std::string altered = token;
    altered[5] = altered[5] == 'A' ? 'B' : 'A';
    BOOST_TEST(code_of(svc->authenticate(altered, home, t0)) == "unauthenticated");
    BOOST_TEST(code_of(svc->authenticate(crypto.sha256(token), home, t0)) == "unauthenticated");  // the digest is no token

    // Touched at most once a minute.
    const std::size_t writes = applies();
    BOOST_TEST(who(token, t0 + 30s, mobile).session.digest == crypto.sha256(token));
    BOOST_TEST(applies() == writes);
    BOOST_TEST(who(token, t0 + 60s, mobile).acc.identifier == a.identifier);
    BOOST_TEST(applies() == writes + 1);
    BOOST_TEST(store.buffered_applies() >= 1u);
    auto s = store.sessions_of(a.identifier, t0 + 60s).at(0);
    BOOST_TEST(to_millis(s.last_seen_at) == to_millis(t0 + 60s));
    BOOST_TEST(s.ip == mobile.ip);
    who(token, t0 + 61s);
    who(token, t0 + 119s);
    BOOST_TEST(applies() == writes + 1);
    BOOST_TEST(to_millis(store.sessions_of(a.identifier, t0 + 119s).at(0).last_seen_at) == to_millis(t0 + 60s));

    // Idle timeout: expired at exactly last_seen + 30 min.
    const std::string idle = token_of(a.identifier, "ancien-mot-de-passe", t0);
    const std::string fresh = token_of(a.identifier, "ancien-mot-de-passe", t0);
    BOOST_TEST(code_of(svc->authenticate(idle, home, t0 + 30min)) == "unauthenticated");
    BOOST_TEST(svc->authenticate(fresh, home, t0 + 30min - 1ms).ok());

    // Absolute timeout: 12 h even for a session used every 20 minutes.
    const std::string busy = token_of(a.identifier, "ancien-mot-de-passe", t0);
    timestamp at = t0;
    while (at + 20min < t0 + 12h) {
        at += 20min;
        BOOST_REQUIRE(svc->authenticate(busy, home, at).ok());
    }
    BOOST_TEST(svc->authenticate(busy, home, t0 + 12h - 1ms).ok());
    BOOST_TEST(code_of(svc->authenticate(busy, home, t0 + 12h)) == "unauthenticated");

    // Logout ends the session.
    svc->logout(token, t0 + 5min);
    BOOST_TEST(code_of(svc->authenticate(token, home, t0 + 5min)) == "unauthenticated");
}

BOOST_FIXTURE_TEST_CASE(change_password_with_a_wrong_current_counts_as_a_failed_login, service_fixture) {
    policy.login_failures_per_ip = {1, 15min};
    restart();
    const account a = add_account("Marie", "Dupont", "ancien-mot-de-passe");
    const authenticated me = who(token_of(a.identifier, "ancien-mot-de-passe", t0), t0);

    auto r = svc->change_password(me, {"pas-le-bon", strong[0], home}, t0 + 1min);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(code_of(r) == "invalid_credentials");
    BOOST_TEST(hasher.hash_calls() == 0u);
    const account after = stored(a.identifier);
    BOOST_TEST(after.password_hash == a.password_hash);
    BOOST_TEST(after.lockout.consecutive_failures == 1u);
    BOOST_TEST(after.lockout.recent_failures.size() == 1u);
    BOOST_TEST(count(a.identifier, journal_type::login_failed) == 1u);
    // ... and in the address window (limit 1 here).
    BOOST_TEST(code_of(login(a.identifier, "ancien-mot-de-passe", t0 + 2min)) == "rate_limited");
}

BOOST_FIXTURE_TEST_CASE(change_password_refuses_weak_passwords_in_french, service_fixture) {
    const account a = add_account("Marie", "Dupont", "ancien-mot-de-passe");
    const authenticated me = who(token_of(a.identifier, "ancien-mot-de-passe", t0), t0);

    auto short_one = svc->change_password(me, {"ancien-mot-de-passe", "Court1!", home}, t0 + 1min);
    BOOST_REQUIRE(!short_one.ok());
    BOOST_TEST(code_of(short_one) == "weak_password");
    BOOST_TEST(has_reason(short_one.error(), "au moins 12 caractères"));

    auto named = svc->change_password(me, {"ancien-mot-de-passe", "Dupont-Cobalt7-Falaise", home}, t0 + 1min);
    BOOST_REQUIRE(!named.ok());
    BOOST_TEST(code_of(named) == "weak_password");
    BOOST_TEST(has_reason(named.error(), "votre nom"));

    BOOST_TEST(hasher.hash_calls() == 0u);
    BOOST_TEST(stored(a.identifier).password_hash == a.password_hash);
    BOOST_TEST(stored(a.identifier).lockout.consecutive_failures == 0u);  // a weak choice is no failed login
}

BOOST_FIXTURE_TEST_CASE(password_history_holds_five_including_the_current, service_fixture) {
    const account a = add_account("Marie", "Dupont", strong[0]);
    const std::string token = token_of(a.identifier, strong[0], t0);
    timestamp at = t0 + 1min;
    auto change = [&](const std::string& current, const std::string& next) {
        at += 1min;
        return svc->change_password(who(token, at), {current, next, home}, at);
    };
    auto refused_as_reused = [&](const status& r) {
        return !r.ok() && r.error().code == errc::weak_password && r.error().reasons.size() == 1u &&
               has_reason(r.error(), "déjà utilisé");
    };

    BOOST_TEST(refused_as_reused(change(strong[0], strong[0])));  // the current one
    for (int i = 1; i <= 5; ++i) BOOST_REQUIRE(change(strong[i - 1], strong[i]).ok());
    // Current strong[5]; history strong[4..1].
    const account now = stored(a.identifier);
    BOOST_TEST(now.password_history.size() == 4u);
    for (int i = 1; i <= 4; ++i) BOOST_TEST(refused_as_reused(change(strong[5], strong[i])));
    BOOST_TEST(refused_as_reused(change(strong[5], strong[5])));
    BOOST_TEST(change(strong[5], strong[0]).ok());  // the 6th-oldest is allowed again

    const account last = stored(a.identifier);
    BOOST_TEST(last.password_hash == fake_hasher::encode(2, strong[0]));
    BOOST_REQUIRE(last.password_history.size() == 4u);
    for (int i = 0; i < 4; ++i) BOOST_TEST(last.password_history[i] == fake_hasher::encode(2, strong[5 - i]));
}

BOOST_FIXTURE_TEST_CASE(change_password_revokes_the_other_sessions, service_fixture) {
    account a = add_account("Marie", "Dupont", "ancien-mot-de-passe");
    a = stored(a.identifier);
    a.must_change_password = true;  // e.g. a staff-issued provisional password
    put(a);
    const std::string current = token_of(a.identifier, "ancien-mot-de-passe", t0, home);
    const std::string other1 = token_of(a.identifier, "ancien-mot-de-passe", t0 + 1s, mobile);
    const std::string other2 = token_of(a.identifier, "ancien-mot-de-passe", t0 + 2s, mobile);
    const authenticated me = who(current, t0 + 1min);
    BOOST_REQUIRE(me.acc.must_change_password);

    hasher.reset_counts();
    const std::size_t synced = store.synced_applies(), buffered = store.buffered_applies();
    const timestamp at = t0 + 2min;
    BOOST_REQUIRE(svc->change_password(me, {"ancien-mot-de-passe", strong[1], home}, at).ok());
    BOOST_TEST(hasher.hash_calls() == 1u);
    BOOST_TEST(store.synced_applies() == synced + 1);  // the user is told it succeeded: durable
    BOOST_TEST(store.buffered_applies() == buffered);

    const auto left = store.sessions_of(a.identifier, at);
    BOOST_REQUIRE(left.size() == 1u);
    BOOST_TEST(left.front().digest == crypto.sha256(current));
    BOOST_TEST(svc->authenticate(current, home, at).ok());
    BOOST_TEST(code_of(svc->authenticate(other1, mobile, at)) == "unauthenticated");
    BOOST_TEST(code_of(svc->authenticate(other2, mobile, at)) == "unauthenticated");

    const account after = stored(a.identifier);
    BOOST_TEST(!after.must_change_password);
    BOOST_TEST(after.password_hash == fake_hasher::encode(2, strong[1]));
    BOOST_REQUIRE(after.password_changed_at.has_value());
    BOOST_TEST(to_millis(*after.password_changed_at) == to_millis(at));
    const auto j = journal(a.identifier);
    BOOST_TEST(j.front().type == journal_type::password_changed);
    BOOST_TEST(j.front().detail == "2 autre(s) session(s) fermée(s).");
    BOOST_TEST(count(a.identifier, journal_type::activation_completed) == 0u);

    // The very next login with the new password succeeds; the old one is dead.
    BOOST_TEST(login(a.identifier, strong[1], at + 1s).ok());
    BOOST_TEST(code_of(login(a.identifier, "ancien-mot-de-passe", at + 2s)) == "invalid_credentials");
    // A request that saw the old password hash is refused.
    auto stale = svc->change_password(me, {"ancien-mot-de-passe", strong[2], home}, at + 3s);
    BOOST_REQUIRE(!stale.ok());
    BOOST_TEST(code_of(stale) == "invalid_credentials");
    BOOST_TEST(stored(a.identifier).password_hash == fake_hasher::encode(2, strong[1]));
}

BOOST_FIXTURE_TEST_CASE(first_password_change_completes_the_activation, service_fixture) {
    const account a = add_account("Léa", "Moreau", "");
    const std::string code = activation_code;
    const authenticated me = who(token_of(a.identifier, code, t0), t0 + 1min);
    hasher.reset_counts();

    BOOST_REQUIRE(svc->change_password(me, {code, strong[3], home}, t0 + 2min).ok());
    BOOST_TEST(hasher.verified().at(0) == dummy);  // the code is checked behind a dummy verify
    const account after = stored(a.identifier);
    BOOST_TEST((after.status == account_status::active));
    BOOST_TEST(!after.must_change_password);
    BOOST_TEST(after.activation_digest.empty());
    BOOST_TEST(after.password_history.empty());
    BOOST_TEST(after.password_hash == fake_hasher::encode(2, strong[3]));
    BOOST_TEST(journal(a.identifier).front().type == journal_type::activation_completed);
    BOOST_TEST(count(a.identifier, journal_type::password_changed) == 0u);

    BOOST_TEST(code_of(login(a.identifier, code, t0 + 3min)) == "invalid_credentials");  // single use
    auto r = login(a.identifier, strong[3], t0 + 4min);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(!r->acc.must_change_password);
}

BOOST_FIXTURE_TEST_CASE(an_older_cost_is_rehashed_at_the_next_login, service_fixture) {
    const account a = add_account("Marie", "Dupont", "ancien-mot-de-passe", profile::eleve, std::nullopt, 1u);
    BOOST_REQUIRE(a.password_hash == fake_hasher::encode(1, "ancien-mot-de-passe"));

    BOOST_TEST(!login(a.identifier, "faux", t0).ok());
    BOOST_TEST(hasher.hash_calls() == 0u);  // never for a wrong password
    BOOST_TEST(stored(a.identifier).password_hash == a.password_hash);

    BOOST_REQUIRE(login(a.identifier, "ancien-mot-de-passe", t0 + 1s).ok());
    BOOST_TEST(hasher.hash_calls() == 1u);
    BOOST_TEST(stored(a.identifier).password_hash == fake_hasher::encode(2, "ancien-mot-de-passe"));

    BOOST_REQUIRE(login(a.identifier, "ancien-mot-de-passe", t0 + 2s).ok());
    BOOST_TEST(hasher.hash_calls() == 1u);  // current cost: left alone
}

BOOST_FIXTURE_TEST_CASE(a_password_changed_during_a_login_is_not_undone, service_fixture) {
    // The password changes (another request) while this login verifies the
    // old one: the login must neither succeed with the dead password nor
    // write back a rehash of it over the new hash.
    const account a = add_account("Marie", "Dupont", "ancien-mot-de-passe", profile::eleve, std::nullopt, 1u);
    bool changed = false;
    hasher.after_verify = [&] {
        if (changed) return;
        changed = true;
        account acc = stored(a.identifier);
        acc.password_history.insert(acc.password_history.begin(), acc.password_hash);
        acc.password_hash = fake_hasher::encode(2, strong[1]);
        put(acc);
    };
    auto r = login(a.identifier, "ancien-mot-de-passe", t0);
    hasher.after_verify = nullptr;
    BOOST_TEST(!r.ok());
    BOOST_TEST(stored(a.identifier).password_hash == fake_hasher::encode(2, strong[1]));
    BOOST_TEST(store.sessions_of(a.identifier, t0).empty());
    BOOST_TEST(login(a.identifier, strong[1], t0 + 1s).ok());
}

BOOST_FIXTURE_TEST_CASE(a_code_replaced_during_a_login_or_change_no_longer_works, service_fixture) {
    // Staff issue a new activation code while a request checks the old one.
    const account a = add_account("Léa", "Moreau", "");
    const std::string old_code = activation_code;
    auto reissue = [&] {
        account acc = stored(a.identifier);
        acc.activation_digest = activation_digest(crypto, generate_activation_code(crypto));
        put(acc);
    };
    bool done = false;
    hasher.after_verify = [&] {
        if (!std::exchange(done, true)) reissue();
    };
    BOOST_TEST(code_of(login(a.identifier, old_code, t0)) == "invalid_credentials");
    hasher.after_verify = nullptr;
    BOOST_TEST(store.sessions_of(a.identifier, t0).empty());

    // A password change authenticated before the new code was issued.
    const account b = add_account("Hugo", "Petit", "");
    const std::string b_code = activation_code;
    const authenticated me = who(token_of(b.identifier, b_code, t0), t0 + 1s);
    account acc = stored(b.identifier);
    acc.activation_digest = activation_digest(crypto, generate_activation_code(crypto));
    put(acc);
    auto r = svc->change_password(me, {b_code, strong[2], home}, t0 + 1min);
    BOOST_TEST(code_of(r) == "invalid_credentials");
    BOOST_TEST(stored(b.identifier).password_hash.empty());
    BOOST_TEST((stored(b.identifier).status == account_status::pending));
}

BOOST_FIXTURE_TEST_CASE(sessions_can_be_listed_and_revoked, service_fixture) {
    const account a = add_account("Marie", "Dupont", "ancien-mot-de-passe");
    const account b = add_account("Luc", "Martin", "autre-mot-de-passe");
    const std::string mine = token_of(a.identifier, "ancien-mot-de-passe", t0, home);
    const std::string stale = token_of(a.identifier, "ancien-mot-de-passe", t0 + 1s, mobile);
    const std::string laptop = token_of(a.identifier, "ancien-mot-de-passe", t0 + 20min, client_info{"192.0.2.9", "Laptop"});
    const std::string theirs = token_of(b.identifier, "autre-mot-de-passe", t0);
    who(mine, t0 + 25min);
    const timestamp at = t0 + 35min;  // `stale` idle since t0 + 1 s
    const authenticated me = who(mine, at);
    const authenticated them = who(theirs, t0 + 25min);

    auto listed = svc->sessions(me, at);
    BOOST_REQUIRE(listed.size() == 2u);  // newest first, idle-expired hidden
    BOOST_TEST(listed[0].digest == crypto.sha256(laptop));
    BOOST_TEST(listed[1].digest == crypto.sha256(mine));
    BOOST_TEST(store.sessions_of(a.identifier, at).size() == 3u);

    session_record stale_record;
    stale_record.digest = crypto.sha256(stale);
    const std::string stale_id = stale_record.public_id();
    BOOST_TEST(code_of(svc->revoke_session(me, "0123456789abcdef", home, at)) == "not_found");
    BOOST_TEST(code_of(svc->revoke_session(me, stale_id, home, at)) == "not_found");
    BOOST_TEST(code_of(svc->revoke_session(me, them.session.public_id(), home, at)) == "not_found");
    BOOST_TEST(svc->authenticate(theirs, home, at).ok());
    BOOST_TEST(count(a.identifier, journal_type::session_revoked) == 0u);

    BOOST_REQUIRE(svc->revoke_session(me, listed[0].public_id(), home, at).ok());
    BOOST_TEST(code_of(svc->authenticate(laptop, home, at)) == "unauthenticated");
    BOOST_TEST(svc->sessions(me, at).size() == 1u);
    const auto j = journal(a.identifier);
    BOOST_TEST(j.front().type == journal_type::session_revoked);
    BOOST_TEST(j.front().detail == "Appareil déconnecté : Laptop");

    const std::string phone1 = token_of(a.identifier, "ancien-mot-de-passe", at + 1s, mobile);
    const std::string phone2 = token_of(a.identifier, "ancien-mot-de-passe", at + 2s, mobile);
    svc->revoke_other_sessions(me, home, at + 3s);
    const auto left = store.sessions_of(a.identifier, at + 3s);
    BOOST_REQUIRE(left.size() == 1u);
    BOOST_TEST(left.front().digest == crypto.sha256(mine));
    BOOST_TEST(code_of(svc->authenticate(phone1, mobile, at + 3s)) == "unauthenticated");
    BOOST_TEST(code_of(svc->authenticate(phone2, mobile, at + 3s)) == "unauthenticated");
    BOOST_TEST(svc->authenticate(theirs, home, at + 3s).ok());
    BOOST_TEST(count(a.identifier, journal_type::session_revoked) == 2u);

    // Nothing left to close: no journal line; the one write ends the single
    // sign-on grants of sessions that expired on their own.
    svc->revoke_other_sessions(me, home, at + 4s);
    BOOST_TEST(count(a.identifier, journal_type::session_revoked) == 2u);
    const changes last = store.last_applied();
    BOOST_TEST(last.sessions_deleted.empty());
    BOOST_REQUIRE(last.oidc.grants_of_account_ended.size() == 1u);
    BOOST_TEST(last.oidc.grants_of_account_ended.front().second == crypto.sha256(mine));
}

BOOST_FIXTURE_TEST_CASE(activity_pages_newest_first, service_fixture) {
    const account a = add_account("Marie", "Dupont", "ancien-mot-de-passe");
    const account b = add_account("Luc", "Martin", "autre-mot-de-passe");
    for (int i = 0; i < 4; ++i) BOOST_TEST(!login(a.identifier, "faux", t0 + std::chrono::seconds(i), mobile).ok());
    BOOST_TEST(!login(b.identifier, "faux", t0 + 10s).ok());
    const authenticated me = who(token_of(a.identifier, "ancien-mot-de-passe", t0 + 4s), t0 + 5s);

    std::vector<journal_entry> seen;
    std::string cursor;
    std::vector<std::size_t> sizes;
    do {
        auto page = svc->activity(me, 2, cursor, t0 + 1h);
        sizes.push_back(page.entries.size());
        seen.insert(seen.end(), page.entries.begin(), page.entries.end());
        cursor = page.next;
    } while (!cursor.empty() && sizes.size() < 10);
    BOOST_TEST(sizes == (std::vector<std::size_t>{2, 2, 1}), boost::test_tools::per_element());
    BOOST_REQUIRE(seen.size() == 5u);  // b's failure is not in a's journal
    BOOST_TEST(seen[0].type == journal_type::login_succeeded);
    BOOST_TEST(seen[0].ip == home.ip);
    for (std::size_t i = 1; i < 5; ++i) {
        BOOST_TEST(seen[i].type == journal_type::login_failed);
        BOOST_TEST(seen[i].ip == mobile.ip);
        BOOST_TEST(seen[i].user_agent == mobile.user_agent);
        BOOST_TEST(to_millis(seen[i].at) == to_millis(t0 + std::chrono::seconds(4 - int(i))));
        BOOST_TEST(to_millis(seen[i - 1].at) > to_millis(seen[i].at));
    }
    BOOST_TEST(svc->activity(me, 0, {}, t0 + 1h).entries.empty());
}

// A secretariat account whose authenticator code is "123456".
struct staff_fixture : service_fixture {
    account a;
    staff_fixture() {
        a = stored(add_account("Claire", "Bernard", "ancien-mot-de-passe").identifier);
        a.staff = staff_info{staff_role::secretariat, {"0751234A"}, "totp-secret", 0};
        put(a);
        crypto.accept_totp("123456");
    }
};

BOOST_FIXTURE_TEST_CASE(staff_need_the_authenticator_code, staff_fixture) {

    auto missing = login(a.identifier, "ancien-mot-de-passe", t0);
    BOOST_REQUIRE(!missing.ok());
    BOOST_TEST(code_of(missing) == "otp_required");
    BOOST_TEST(code_of(login(a.identifier, "ancien-mot-de-passe", t0 + 1s, home, "654321")) == "otp_required");
    BOOST_TEST(stored(a.identifier).lockout.consecutive_failures == 2u);
    const std::size_t checks = crypto.totp_checks();
    BOOST_TEST(code_of(login(a.identifier, "faux", t0 + 2s, home, "123456")) == "invalid_credentials");
    BOOST_TEST(crypto.totp_checks() == checks);  // no code check without the password
    BOOST_TEST(login(a.identifier, "ancien-mot-de-passe", t0 + 3s, home, "123456").ok());
    BOOST_TEST(stored(a.identifier).lockout.consecutive_failures == 0u);
    BOOST_TEST(stored(a.identifier).staff->last_totp_step == std::uint64_t(to_millis(t0 + 3s) / 30'000));
}

BOOST_FIXTURE_TEST_CASE(an_authenticator_code_is_accepted_once, staff_fixture) {
    // The fake matches the code to the current 30 s step: start at a step's beginning.
    const timestamp step_start = from_millis(to_millis(t0) / 30'000 * 30'000);
    BOOST_TEST(login(a.identifier, "ancien-mot-de-passe", step_start, home, "123456").ok());
    auto replayed = login(a.identifier, "ancien-mot-de-passe", step_start + 5s, home, "123456");
    BOOST_REQUIRE(!replayed.ok());
    BOOST_TEST(code_of(replayed) == "otp_required");
    // The next step's code is accepted.
    BOOST_TEST(login(a.identifier, "ancien-mot-de-passe", step_start + 30s, home, "123456").ok());
}

BOOST_AUTO_TEST_SUITE_END()
