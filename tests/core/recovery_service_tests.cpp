// The recovery flows (core/password_reset.hpp, identifier_reminder.hpp,
// parent_activation.hpp, email_confirmation.hpp over core/flow_engine.hpp)
// through recovery_service, over the in-memory ports, the deterministic
// crypto fakes and explicit time: single use under interleaved requests,
// attempts counted before the code is checked, the per-account cap, epoch
// kills, decoys that answer and write like real flows.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/recovery_service.hpp"
#include "tests/fakes/fake_crypto.hpp"
#include "tests/fakes/interleaving_ports.hpp"
#include "tests/fakes/memory_ports.hpp"

using namespace sesame;
using namespace std::chrono_literals;
using testing::fake_hasher;

namespace {

const timestamp t0 = from_millis(1'795'629'731'000);  // 2026-11-25T18:02:11Z
const client_info home{"203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"};
const client_info other{"198.51.100.23", "Mozilla/5.0 (iPhone) Safari/604.1"};
constexpr const char* password = "Brume-Cobalt7-Falaise-Oxyde";
constexpr const char* new_password = "Quartz!Violon9-Sapin-Lagune";
constexpr const char* parent_phone = "+33612345678";
constexpr const char* uai = "0931234X";

struct recovery_fixture {
    testing::memory_ports store;
    testing::interleaving_flows flows{store};
    testing::recording_sink sink{store};
    testing::fake_crypto crypto;
    fake_hasher hasher{2};
    account_policy account_rules;
    recovery_policy rules;
    std::unique_ptr<account_service> accounts;
    std::unique_ptr<recovery_service> recovery;

    recovery_fixture() { restart(); }

    // (Re)builds the services with the current `rules`.
    void restart() {
        const account_ports ports{store, store, store, store, sink, store.notifier};
        accounts = std::make_unique<account_service>(ports, crypto, hasher, account_rules);
        accounts->set_dummy_hash(fake_hasher::encode(hasher.cost(), "dummy"));
        recovery = std::make_unique<recovery_service>(ports, flows, *accounts, crypto, hasher, rules, "server-secret");
    }

    account active(const std::string& id, profile p, std::optional<std::string> phone, std::string email = {}) {
        account a;
        a.identifier = id;
        a.prof = p;
        a.first_name = "Marie";
        a.last_name = "Dupont";
        a.establishment = uai;
        a.status = account_status::active;
        a.phone = std::move(phone);
        a.email = std::move(email);
        a.email_validated = !a.email.empty();
        a.password_hash = fake_hasher::encode(hasher.cost(), password);
        put(a);
        return a;
    }
    // A parent not yet activated, with one child born on `birth`.
    account pending_parent(const std::string& id, const std::string& child_ext, std::chrono::year_month_day birth) {
        account child;
        child.identifier = id + ".enfant";
        child.prof = profile::eleve;
        child.establishment = uai;
        child.external_id = child_ext;
        child.birth_date = birth;
        put(child);
        account a;
        a.identifier = id;
        a.prof = profile::parent;
        a.first_name = "Paul";
        a.last_name = "Martin";
        a.establishment = uai;
        a.external_id = "P-" + child_ext;
        a.phone = parent_phone;
        a.children = {child_ext};
        put(a);
        return a;
    }
    void put(const account& a) { store.put_account(a); }
    account stored(const std::string& id) { return store.find_account(id).value(); }

    // The six-digit code of the newest pending message to `to`.
    std::string code_sent_to(const std::string& to) {
        std::string code;
        timestamp newest{};
        static const std::regex six(R"((?:^|[^0-9])([0-9]{6})(?:[^0-9]|$))");
        for (const auto& m : store.all_messages()) {
            std::smatch match;
            if (m.to == to && m.status == message_status::pending && m.created_at >= newest &&
                std::regex_search(m.text, match, six)) {
                newest = m.created_at;
                code = match[1];
            }
        }
        return code;
    }
    std::size_t messages_to(const std::string& to) {
        std::size_t n = 0;
        for (const auto& m : store.all_messages()) n += m.to == to;
        return n;
    }
    // The token after `marker` in the newest message to `to` ("token=").
    std::string link_token_sent_to(const std::string& to, const std::string& marker) {
        std::string token;
        for (const auto& m : store.all_messages()) {
            const auto at = m.text.find(marker);
            if (m.to != to || at == std::string::npos) continue;
            const auto start = at + marker.size();
            const auto end = m.text.find_first_of(" \n\"<&", start);
            token = m.text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        }
        return token;
    }

    // A reset flow for `id` (a parent), verified: its token.
    result<verified_flow> verified_reset(const std::string& id, timestamp now) {
        auto started = recovery->request_password_reset(id, profile::parent, home, now);
        BOOST_REQUIRE(started.ok());
        return verify(started->flow_id, code_sent_to(parent_phone), now + 1min);
    }
    result<verified_flow> verify(const std::string& flow_id, const std::string& code, timestamp now,
                                 flow_kind kind = flow_kind::password_reset, const client_info& client = home) {
        return recovery->verify(flow_id, kind, code, std::nullopt, client, now);
    }
    recovery_flow flow(const std::string& id) { return store.find_flow(id, t0).value(); }
};

std::string code_of(const auto& r) { return r.ok() ? "ok" : to_string(r.error().code); }

// A code that is not `code` (same shape).
std::string wrong(const std::string& code) { return code == "000000" ? "111111" : "000000"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(password_reset_tests)

BOOST_AUTO_TEST_CASE(a_parent_gets_a_code_by_sms_and_resets_the_password_once) {
    recovery_fixture f;
    f.active("marie.dupont", profile::parent, parent_phone);
    auto started = f.recovery->request_password_reset("marie.dupont", profile::parent, home, t0);
    BOOST_REQUIRE(started.ok());
    BOOST_TEST((started->ch == channel::sms));
    const std::string code = f.code_sent_to(parent_phone);
    BOOST_REQUIRE(code.size() == 6);

    auto v = f.verify(started->flow_id, code, t0 + 1min);
    BOOST_REQUIRE(v.ok());
    BOOST_TEST(f.recovery->reset_password(v->token, new_password, home, t0 + 2min).ok());
    const account after = f.stored("marie.dupont");
    BOOST_TEST(after.password_hash == fake_hasher::encode(f.hasher.cost(), new_password));
    BOOST_TEST(after.password_history.front() == fake_hasher::encode(f.hasher.cost(), password));
    BOOST_TEST(code_of(f.recovery->reset_password(v->token, "Orage-Menthe4-Kiwi-Tambour", home, t0 + 3min)) ==
               "token_expired");
    BOOST_TEST(code_of(f.verify(started->flow_id, code, t0 + 3min)) == "flow_closed");
}

BOOST_AUTO_TEST_CASE(two_verifies_of_one_code_interleaved_give_one_token) {
    recovery_fixture f;
    f.active("marie.dupont", profile::parent, parent_phone);
    auto started = f.recovery->request_password_reset("marie.dupont", profile::parent, home, t0);
    BOOST_REQUIRE(started.ok());
    const std::string code = f.code_sent_to(parent_phone);

    // The second verify starts while the first holds the flow, between its
    // read and its write.
    std::optional<result<verified_flow>> second;
    std::atomic<bool> second_done{false};
    std::thread racer;
    f.flows.after_find = [&] {
        racer = std::thread([&] {
            second = f.verify(started->flow_id, code, t0 + 1min, flow_kind::password_reset, other);
            second_done = true;
            f.flows.notify();
        });
        f.flows.wait_for_a_wait_or([&] { return second_done.load(); });
    };
    auto first = f.verify(started->flow_id, code, t0 + 1min);
    racer.join();

    BOOST_TEST(f.flows.waits() == 1u);  // the second waited for the first's lock
    BOOST_TEST(code_of(first) == "ok");
    BOOST_REQUIRE(second.has_value());
    BOOST_TEST(code_of(*second) == "flow_closed");
}

BOOST_AUTO_TEST_CASE(two_resets_with_one_token_interleaved_change_the_password_once) {
    recovery_fixture f;
    f.active("marie.dupont", profile::parent, parent_phone);
    auto v = f.verified_reset("marie.dupont", t0);
    BOOST_REQUIRE(v.ok());

    // The second reset runs whole while the first checks the history (its
    // Argon2 work, done before any lock).
    std::optional<status> second;
    bool interleaved = false;
    f.hasher.after_verify = [&] {
        if (std::exchange(interleaved, true)) return;
        second = f.recovery->reset_password(v->token, "Orage-Menthe4-Kiwi-Tambour", other, t0 + 2min);
    };
    const status first = f.recovery->reset_password(v->token, new_password, home, t0 + 2min);
    BOOST_REQUIRE(second.has_value());
    BOOST_TEST(code_of(*second) == "ok");
    BOOST_TEST(code_of(first) == "token_expired");
    BOOST_TEST(f.stored("marie.dupont").password_hash == fake_hasher::encode(f.hasher.cost(), "Orage-Menthe4-Kiwi-Tambour"));
}

BOOST_AUTO_TEST_CASE(wrong_codes_are_counted_before_any_code_is_checked) {
    recovery_fixture f;
    f.rules.max_attempts = 3;
    f.restart();
    f.active("marie.dupont", profile::parent, parent_phone);
    auto started = f.recovery->request_password_reset("marie.dupont", profile::parent, home, t0);
    const std::string code = f.code_sent_to(parent_phone);
    for (int left = 2; left >= 0; --left) {
        auto r = f.verify(started->flow_id, wrong(code), t0 + 1min);
        BOOST_TEST(code_of(r) == "invalid_code");
        BOOST_TEST(r.error().attempts_left.value_or(-1) == left);
        BOOST_TEST(f.flow(started->flow_id).failed_attempts == std::uint32_t(3 - left));  // stored with the answer
    }
    BOOST_TEST(f.flow(started->flow_id).closed_reason == "out_of_tries");
    // The right code after the last wrong one: the count is read first.
    BOOST_TEST(code_of(f.verify(started->flow_id, code, t0 + 2min)) == "flow_closed");
}

BOOST_AUTO_TEST_CASE(the_per_account_cap_refuses_even_the_right_code_across_flows) {
    recovery_fixture f;
    f.rules.code_failures_per_account = {2, 24h};
    f.restart();
    f.active("marie.dupont", profile::parent, parent_phone);
    auto a = f.recovery->request_password_reset("marie.dupont", profile::parent, home, t0);
    const std::string code_a = f.code_sent_to(parent_phone);
    BOOST_TEST(code_of(f.verify(a->flow_id, wrong(code_a), t0 + 1min)) == "invalid_code");
    BOOST_TEST(code_of(f.verify(a->flow_id, wrong(code_a), t0 + 1min, flow_kind::password_reset, other)) ==
               "invalid_code");
    BOOST_TEST(code_of(f.verify(a->flow_id, code_a, t0 + 2min)) == "rate_limited");
    BOOST_TEST((f.flow(a->flow_id).state == flow_state::open));  // not consumed, not counted

    auto b = f.recovery->request_password_reset("marie.dupont", profile::parent, home, t0 + 5min);
    BOOST_REQUIRE(b.ok());
    BOOST_TEST(code_of(f.verify(b->flow_id, f.code_sent_to(parent_phone), t0 + 6min)) == "rate_limited");
}

BOOST_AUTO_TEST_CASE(a_login_a_newer_request_or_a_confirmed_address_kills_outstanding_codes) {
    recovery_fixture f;
    f.active("marie.dupont", profile::parent, parent_phone, "marie@example.org");
    // A login.
    auto a = f.recovery->request_password_reset("marie.dupont", profile::parent, home, t0);
    const std::string code_a = f.code_sent_to(parent_phone);
    BOOST_REQUIRE(f.accounts->login({"marie.dupont", password, std::nullopt, home}, t0 + 1min).ok());
    BOOST_TEST(code_of(f.verify(a->flow_id, code_a, t0 + 2min)) == "flow_closed");
    BOOST_TEST(code_of(f.recovery->resend(a->flow_id, flow_kind::password_reset, home, t0 + 3min)) == "flow_closed");

    // A newer request.
    auto b = f.recovery->request_password_reset("marie.dupont", profile::parent, home, t0 + 5min);
    const std::string code_b = f.code_sent_to(parent_phone);
    auto c = f.recovery->request_password_reset("marie.dupont", profile::parent, home, t0 + 7min);
    const std::string code_c = f.code_sent_to(parent_phone);
    BOOST_TEST(code_of(f.verify(b->flow_id, code_b, t0 + 8min)) == "flow_closed");

    // A confirmed address.
    auto who = f.accounts->login({"marie.dupont", password, std::nullopt, home}, t0 + 9min);
    BOOST_REQUIRE(who.ok());
    auto d = f.recovery->request_password_reset("marie.dupont", profile::parent, home, t0 + 10min);
    const std::string code_d = f.code_sent_to(parent_phone);
    const authenticated me{f.stored("marie.dupont"), {}};
    BOOST_REQUIRE(f.recovery->request_email_change(me, "marie.new@example.org", home, t0 + 11min).ok());
    const std::string token = f.link_token_sent_to("marie.new@example.org", "token=");
    BOOST_REQUIRE(f.recovery->confirm_email(token, home, t0 + 12min).ok());
    BOOST_TEST(code_of(f.verify(d->flow_id, code_d, t0 + 13min)) == "flow_closed");
    (void)code_c;
}

BOOST_AUTO_TEST_CASE(a_decoy_answers_and_writes_like_a_real_flow) {
    recovery_fixture f;
    f.active("marie.dupont", profile::parent, parent_phone);

    f.sink.clear();
    auto real = f.recovery->request_password_reset("marie.dupont", profile::parent, home, t0);
    const auto real_batches = f.sink.batches();
    f.sink.clear();
    auto decoy = f.recovery->request_password_reset("nobody.here", profile::parent, other, t0);
    const auto decoy_batches = f.sink.batches();
    BOOST_REQUIRE(real.ok());
    BOOST_REQUIRE(decoy.ok());
    // The same answer fields.
    BOOST_TEST(real->flow_id.size() == decoy->flow_id.size());
    BOOST_TEST(real->reference.size() == decoy->reference.size());
    BOOST_TEST((real->ch == decoy->ch));
    BOOST_TEST(real->expires_in.count() == decoy->expires_in.count());
    // One synced batch each, one flow each, stored alike (what a later
    // verify or resend reads).
    BOOST_REQUIRE(real_batches.size() == 1u);
    BOOST_REQUIRE(decoy_batches.size() == 1u);
    BOOST_TEST(real_batches[0].synced == decoy_batches[0].synced);
    BOOST_REQUIRE(real_batches[0].flows_put.size() == 1u);
    BOOST_REQUIRE(decoy_batches[0].flows_put.size() == 1u);
    const recovery_flow& r = real_batches[0].flows_put[0];
    const recovery_flow& d = decoy_batches[0].flows_put[0];
    BOOST_TEST((r.state == d.state));
    BOOST_TEST((r.kind == d.kind));
    BOOST_TEST(r.code_hmac.size() == d.code_hmac.size());
    BOOST_TEST((r.code_expires_at == d.code_expires_at));
    BOOST_TEST(d.decoy);
    BOOST_TEST(decoy_batches[0].outbox.empty());  // nothing is ever sent for a decoy
    BOOST_TEST(f.messages_to(parent_phone) == 1u);

    // A wrong code: the same answer, the same writes.
    f.sink.clear();
    auto real_wrong = f.verify(real->flow_id, wrong(f.code_sent_to(parent_phone)), t0 + 1min);
    auto decoy_wrong = f.verify(decoy->flow_id, "123456", t0 + 1min, flow_kind::password_reset, other);
    const auto batches = f.sink.batches();
    BOOST_TEST(code_of(real_wrong) == code_of(decoy_wrong));
    BOOST_TEST(real_wrong.error().attempts_left.value_or(-1) == decoy_wrong.error().attempts_left.value_or(-1));
    BOOST_REQUIRE(batches.size() == 2u);
    BOOST_TEST(batches[0].synced == batches[1].synced);
    BOOST_TEST(batches[0].flows_put.size() == batches[1].flows_put.size());
    BOOST_TEST(batches[0].outbox.size() == batches[1].outbox.size());
    BOOST_TEST(batches[0].accounts.size() == batches[1].accounts.size());

    // A resend: the same answer, and the same cooldown.
    BOOST_TEST(code_of(f.recovery->resend(real->flow_id, flow_kind::password_reset, home, t0 + 30s)) ==
               code_of(f.recovery->resend(decoy->flow_id, flow_kind::password_reset, other, t0 + 30s)));
    auto real_resent = f.recovery->resend(real->flow_id, flow_kind::password_reset, home, t0 + 2min);
    auto decoy_resent = f.recovery->resend(decoy->flow_id, flow_kind::password_reset, other, t0 + 2min);
    BOOST_REQUIRE(real_resent.ok());
    BOOST_REQUIRE(decoy_resent.ok());
    BOOST_TEST(real_resent->count() == decoy_resent->count());
    BOOST_TEST(f.messages_to(parent_phone) == 2u);
}

BOOST_AUTO_TEST_CASE(a_pupil_gets_a_link_that_verifies_like_the_code) {
    recovery_fixture f;
    f.active("leo.martin", profile::eleve, std::nullopt, "leo@example.org");
    auto started = f.recovery->request_password_reset("leo.martin", profile::eleve, home, t0);
    BOOST_REQUIRE(started.ok());
    BOOST_TEST((started->ch == channel::email));
    const std::string link = f.link_token_sent_to("leo@example.org", "&token=");
    BOOST_REQUIRE(!link.empty());
    auto v = f.recovery->verify(started->flow_id, flow_kind::password_reset, std::nullopt, link, home, t0 + 1min);
    BOOST_TEST(code_of(v) == "ok");
}

BOOST_AUTO_TEST_CASE(a_reused_password_is_refused_and_leaves_the_token_usable) {
    recovery_fixture f;
    f.active("marie.dupont", profile::parent, parent_phone);
    auto v = f.verified_reset("marie.dupont", t0);
    BOOST_REQUIRE(v.ok());
    const status reused = f.recovery->reset_password(v->token, password, home, t0 + 2min);
    BOOST_TEST(code_of(reused) == "weak_password");
    BOOST_TEST(code_of(f.recovery->reset_password(v->token, new_password, home, t0 + 3min)) == "ok");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(identifier_reminder_tests)

BOOST_AUTO_TEST_CASE(identifiers_go_only_to_a_contact_on_an_active_account_with_the_same_answer) {
    recovery_fixture f;
    f.active("marie.dupont", profile::parent, parent_phone);
    f.active("leo.martin", profile::eleve, std::nullopt, "leo@example.org");
    account unvalidated = f.active("zoe.martin", profile::eleve, std::nullopt, "zoe@example.org");
    unvalidated.email_validated = false;
    f.put(unvalidated);

    auto sent = f.recovery->request_identifier(profile::parent, "06 12 34 56 78", home, t0);
    auto unknown = f.recovery->request_identifier(profile::parent, "07 00 00 00 00", home, t0);
    auto not_validated = f.recovery->request_identifier(profile::eleve, "zoe@example.org", home, t0);
    BOOST_REQUIRE(sent.ok());
    BOOST_REQUIRE(unknown.ok());
    BOOST_REQUIRE(not_validated.ok());
    BOOST_TEST(sent->reference.size() == unknown->reference.size());
    BOOST_TEST(f.messages_to(parent_phone) == 1u);
    BOOST_TEST(f.messages_to("+33700000000") == 0u);
    BOOST_TEST(f.messages_to("zoe@example.org") == 0u);
    BOOST_TEST(f.store.find_flow_by_reference(unknown->reference, t0).value().decoy);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(parent_activation_tests)

using namespace std::chrono;

BOOST_AUTO_TEST_CASE(the_right_birth_dates_activate_and_log_in_and_three_wrong_ones_close_the_flow) {
    recovery_fixture f;
    f.pending_parent("paul.martin", "E1", 2014y / 3 / 9);
    auto started = f.recovery->request_activation("06 12 34 56 78", home, t0);
    BOOST_REQUIRE(started.ok());
    auto v = f.verify(started->flow_id, f.code_sent_to(parent_phone), t0 + 1min, flow_kind::activation);
    BOOST_REQUIRE(v.ok());
    BOOST_TEST(v->children == 1u);

    activation_input wrong_dates{v->token, {2014y / 3 / 10}, new_password, std::nullopt, home};
    for (int left = 2; left >= 1; --left) {
        auto r = f.recovery->complete_activation(wrong_dates, t0 + 2min);
        BOOST_TEST(code_of(r) == "birth_dates_mismatch");
        BOOST_TEST(r.error().attempts_left.value_or(-1) == left);
    }
    activation_input right{v->token, {2014y / 3 / 9}, new_password, std::nullopt, home};
    auto done = f.recovery->complete_activation(right, t0 + 3min);
    BOOST_REQUIRE(done.ok());
    BOOST_TEST(!done->token.empty());
    BOOST_TEST((f.stored("paul.martin").status == account_status::active));
    BOOST_TEST(code_of(f.recovery->complete_activation(right, t0 + 4min)) == "token_expired");  // used once
}

BOOST_AUTO_TEST_CASE(the_third_wrong_birth_dates_close_the_flow) {
    recovery_fixture f;
    f.pending_parent("paul.martin", "E1", 2014y / 3 / 9);
    auto started = f.recovery->request_activation("0612345678", home, t0);
    auto v = f.verify(started->flow_id, f.code_sent_to(parent_phone), t0 + 1min, flow_kind::activation);
    BOOST_REQUIRE(v.ok());
    activation_input wrong_dates{v->token, {2015y / 1 / 1}, new_password, std::nullopt, home};
    for (int i = 0; i < 3; ++i) (void)f.recovery->complete_activation(wrong_dates, t0 + 2min);
    activation_input right{v->token, {2014y / 3 / 9}, new_password, std::nullopt, home};
    BOOST_TEST(code_of(f.recovery->complete_activation(right, t0 + 3min)) == "token_expired");
    BOOST_TEST((f.stored("paul.martin").status == account_status::pending));
}

BOOST_AUTO_TEST_CASE(a_mobile_with_no_parent_to_activate_gets_a_decoy_that_sends_nothing) {
    recovery_fixture f;
    f.active("marie.dupont", profile::parent, parent_phone);  // active already: nothing to activate
    f.sink.clear();
    auto started = f.recovery->request_activation("0612345678", home, t0);
    BOOST_REQUIRE(started.ok());
    BOOST_TEST(f.messages_to(parent_phone) == 0u);
    const auto batches = f.sink.batches();
    BOOST_REQUIRE(batches.size() == 1u);
    BOOST_TEST(batches[0].flows_put.size() == 1u);
    BOOST_TEST(code_of(f.verify(started->flow_id, "123456", t0 + 1min, flow_kind::activation)) == "invalid_code");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(email_confirmation_tests)

BOOST_AUTO_TEST_CASE(a_link_confirms_once_tells_the_previous_address_and_a_newer_one_supersedes_it) {
    recovery_fixture f;
    f.active("leo.martin", profile::eleve, std::nullopt, "leo@example.org");
    const authenticated me{f.stored("leo.martin"), {}};
    BOOST_REQUIRE(f.recovery->request_email_change(me, "leo.old@example.org", home, t0).ok());
    const std::string superseded = f.link_token_sent_to("leo.old@example.org", "token=");
    BOOST_REQUIRE(f.recovery->request_email_change(me, "leo.new@example.org", home, t0 + 1min).ok());
    const std::string token = f.link_token_sent_to("leo.new@example.org", "token=");
    BOOST_REQUIRE(!token.empty());

    BOOST_TEST(code_of(f.recovery->confirm_email(superseded, home, t0 + 2min)) == "token_expired");
    BOOST_TEST(code_of(f.recovery->confirm_email(token + "x", home, t0 + 2min)) == "invalid_token");
    const std::uint64_t epoch = f.stored("leo.martin").recovery_epoch;
    auto confirmed = f.recovery->confirm_email(token, home, t0 + 2min);
    BOOST_REQUIRE(confirmed.ok());
    BOOST_TEST(*confirmed == "leo.new@example.org");
    const account after = f.stored("leo.martin");
    BOOST_TEST(after.email_validated);
    BOOST_TEST(after.recovery_epoch == epoch + 1);
    BOOST_TEST(f.messages_to("leo@example.org") == 1u);  // the previous address is told
    BOOST_TEST(code_of(f.recovery->confirm_email(token, home, t0 + 3min)) == "token_expired");
}

BOOST_AUTO_TEST_CASE(an_expired_link_confirms_nothing) {
    recovery_fixture f;
    f.active("leo.martin", profile::eleve, std::nullopt, "leo@example.org");
    const authenticated me{f.stored("leo.martin"), {}};
    BOOST_REQUIRE(f.recovery->request_email_change(me, "leo.new@example.org", home, t0).ok());
    const std::string token = f.link_token_sent_to("leo.new@example.org", "token=");
    BOOST_TEST(code_of(f.recovery->confirm_email(token, home, t0 + f.rules.email_confirm_ttl)) == "token_expired");
    BOOST_TEST(f.stored("leo.martin").email == "leo@example.org");
}

BOOST_AUTO_TEST_SUITE_END()
