// The pure steps of the recovery state machines (core/recovery_flow.hpp and
// the flow kinds' headers), the password-history rule and the journal-line
// factory: stored state + input + now → outcome and state to store.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "core/email_confirmation.hpp"
#include "core/identifier_reminder.hpp"
#include "core/journal_entry.hpp"
#include "core/parent_activation.hpp"
#include "core/password_history.hpp"
#include "core/password_reset.hpp"
#include "tests/fakes/fake_crypto.hpp"

using namespace sesame;
using namespace std::chrono_literals;

namespace {

const timestamp t0 = from_millis(1'795'629'731'000);

recovery_flow open_flow() {
    recovery_flow f;
    f.id = "flow";
    f.reference = "R-AAAA-BBBB";
    f.created_at = f.last_sent_at = t0;
    f.code_expires_at = t0 + 30min;
    f.code_hmac = "hmac";
    return f;
}

account active_parent() {
    account a;
    a.identifier = "marie.dupont";
    a.prof = profile::parent;
    a.status = account_status::active;
    a.phone = "+33612345678";
    return a;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(recovery_steps_tests)

BOOST_AUTO_TEST_CASE(a_right_code_consumes_the_flow_and_a_wrong_one_counts_until_it_closes) {
    recovery_flow f = open_flow();
    code_verdict v = decide_code(f, false, {}, 2, 15min, t0);
    BOOST_TEST(!v.verified);
    BOOST_TEST(v.attempts_left == 1u);
    BOOST_TEST((f.state == flow_state::open));
    BOOST_TEST(v.journal_detail.find("1 essai(s) restant(s)") != std::string::npos);
    v = decide_code(f, false, {}, 2, 15min, t0);
    BOOST_TEST(v.attempts_left == 0u);
    BOOST_TEST((f.state == flow_state::closed));
    BOOST_TEST(f.closed_reason == "out_of_tries");

    recovery_flow g = open_flow();
    v = decide_code(g, true, "digest", 2, 15min, t0);
    BOOST_TEST(v.verified);
    BOOST_TEST((g.state == flow_state::verified));
    BOOST_TEST(g.token_digest == "digest");
    BOOST_TEST((g.token_expires_at == t0 + 15min));
    // Consumed: the blocker stops any later verify.
    BOOST_TEST((verify_blocker(g, std::nullopt, 5, t0) == errc::flow_closed));
}

BOOST_AUTO_TEST_CASE(a_resend_waits_for_the_cooldown_and_dies_with_the_epoch) {
    recovery_flow f = open_flow();
    f.account_epoch = 3;
    BOOST_TEST((resend_blocker(f, 3, 5, 60s, t0 + 30s).value().code == errc::rate_limited));
    BOOST_TEST((resend_blocker(f, 4, 5, 60s, t0 + 2min).value().code == errc::flow_closed));
    BOOST_TEST(!resend_blocker(f, 3, 5, 60s, t0 + 2min).has_value());
    renew_code(f, "new-hmac", 30min, t0 + 2min);
    BOOST_TEST(f.code_hmac == "new-hmac");
    BOOST_TEST(f.sends == 1u);
    BOOST_TEST((f.code_expires_at == t0 + 32min));
    f.failed_attempts = 5;
    BOOST_TEST((resend_blocker(f, 3, 5, 60s, t0 + 10min).value().code == errc::flow_closed));
}

BOOST_AUTO_TEST_CASE(a_token_completes_only_its_own_verified_live_real_flow) {
    recovery_flow f = open_flow();
    f.state = flow_state::verified;
    f.token_digest = "d";
    f.token_expires_at = t0 + 15min;
    BOOST_TEST(token_usable(f, flow_kind::password_reset, "d", t0));
    BOOST_TEST(!token_usable(f, flow_kind::activation, "d", t0));
    BOOST_TEST(!token_usable(f, flow_kind::password_reset, "e", t0));
    BOOST_TEST(!token_usable(f, flow_kind::password_reset, "d", t0 + 15min));
    f.decoy = true;
    BOOST_TEST(!token_usable(f, flow_kind::password_reset, "d", t0));
}

BOOST_AUTO_TEST_CASE(a_reset_goes_only_to_an_active_account_of_the_profile_with_a_usable_contact) {
    account a = active_parent();
    BOOST_TEST(!refuse_reset(a, profile::parent).has_value());
    BOOST_TEST((refuse_reset(std::nullopt, profile::parent)->outcome == flow_outcome::unknown_identifier));
    BOOST_TEST((refuse_reset(a, profile::eleve)->outcome == flow_outcome::wrong_profile));
    a.staff = staff_info{};
    BOOST_TEST((refuse_reset(a, profile::parent)->outcome == flow_outcome::unknown_identifier));
    a = active_parent();
    a.phone.reset();
    BOOST_TEST((refuse_reset(a, profile::parent)->outcome == flow_outcome::no_contact));
    a = active_parent();
    a.status = account_status::pending;
    BOOST_TEST((refuse_reset(a, profile::parent)->outcome == flow_outcome::not_activated));
    account pupil = active_parent();
    pupil.prof = profile::eleve;
    pupil.email = "leo@example.org";
    BOOST_TEST((refuse_reset(pupil, profile::eleve)->outcome == flow_outcome::email_not_validated));
    pupil.email_validated = true;
    BOOST_TEST(!refuse_reset(pupil, profile::eleve).has_value());
}

BOOST_AUTO_TEST_CASE(a_reset_rotates_the_password_lifts_locks_and_moves_the_epoch) {
    account a = active_parent();
    a.password_hash = "h0";
    a.password_history = {"h1", "h2", "h3", "h4"};
    a.lockout.hard_locked = true;
    recovery_flow f = open_flow();
    complete_reset(a, f, "new", 5, t0);
    BOOST_TEST(a.password_hash == "new");
    BOOST_TEST(a.password_history == (std::vector<std::string>{"h0", "h1", "h2", "h3"}));
    BOOST_TEST(!a.lockout.hard_locked);
    BOOST_TEST(a.recovery_epoch == 1u);
    BOOST_TEST(f.closed_reason == "used");
}

BOOST_AUTO_TEST_CASE(a_new_password_is_none_of_the_last_ones) {
    testing::fake_hasher hasher{2};
    account a = active_parent();
    a.password_hash = testing::fake_hasher::encode(2, "Brume-Cobalt7-Falaise-Oxyde");
    a.password_history = {testing::fake_hasher::encode(2, "Quartz!Violon9-Sapin-Lagune")};
    BOOST_TEST(new_password_problems(a, "Brume-Cobalt7-Falaise-Oxyde", 12, 5, hasher).size() == 1u);
    BOOST_TEST(new_password_problems(a, "Quartz!Violon9-Sapin-Lagune", 12, 5, hasher).size() == 1u);
    BOOST_TEST(new_password_problems(a, "Quartz!Violon9-Sapin-Lagune", 12, 1, hasher).empty());  // history of 1
    BOOST_TEST(new_password_problems(a, "Orage-Menthe4-Kiwi-Tambour", 12, 5, hasher).empty());
    hasher.reset_counts();
    BOOST_TEST(!new_password_problems(a, "court", 12, 5, hasher).empty());
    BOOST_TEST(hasher.verify_calls() == 0u);  // the policy first: no Argon2 for a weak password

    rotate_password(a, {}, 5);  // an activation code replaces the password
    BOOST_TEST(a.password_hash.empty());
    BOOST_TEST(a.password_history.size() == 2u);
}

BOOST_AUTO_TEST_CASE(birth_dates_match_in_any_order_and_three_wrong_sets_close_the_flow) {
    using namespace std::chrono;
    BOOST_TEST(same_birth_dates(std::vector{2014y / 3 / 9, 2016y / 1 / 2}, {2016y / 1 / 2, 2014y / 3 / 9}));
    BOOST_TEST(!same_birth_dates(std::vector{2014y / 3 / 9}, {2014y / 3 / 10}));
    BOOST_TEST(!same_birth_dates(std::nullopt, {2014y / 3 / 9}));
    recovery_flow f = open_flow();
    f.state = flow_state::verified;
    BOOST_TEST(count_birth_date_failure(f, 3) == 2u);
    BOOST_TEST(count_birth_date_failure(f, 3) == 1u);
    BOOST_TEST((f.state == flow_state::verified));
    BOOST_TEST(count_birth_date_failure(f, 3) == 0u);
    BOOST_TEST(f.closed_reason == "birth_dates");
}

BOOST_AUTO_TEST_CASE(only_pending_parents_await_activation_and_reminders_name_active_accounts) {
    account a = active_parent();
    BOOST_TEST(!awaits_activation(a));
    a.status = account_status::pending;
    BOOST_TEST(awaits_activation(a));
    BOOST_TEST(!reminder_names(a, profile::parent, "+33612345678"));
    a.status = account_status::active;
    BOOST_TEST(reminder_names(a, profile::parent, "+33612345678"));
    account pupil = active_parent();
    pupil.prof = profile::eleve;
    pupil.email = "leo@example.org";
    BOOST_TEST(!reminder_names(pupil, profile::eleve, "leo@example.org"));  // not validated
    pupil.email_validated = true;
    BOOST_TEST(reminder_names(pupil, profile::eleve, "leo@example.org"));
}

BOOST_AUTO_TEST_CASE(a_confirmation_needs_its_own_live_open_link_and_moves_the_epoch) {
    recovery_flow f = open_flow();
    f.kind = flow_kind::email_confirmation;
    f.link_digest = "d";
    f.pending_email = "new@example.org";
    BOOST_TEST(!confirmation_blocker(f, "d", t0).has_value());
    BOOST_TEST((confirmation_blocker(f, "e", t0) == errc::invalid_token));
    BOOST_TEST((confirmation_blocker(std::nullopt, "d", t0) == errc::invalid_token));
    BOOST_TEST((confirmation_blocker(f, "d", t0 + 30min) == errc::token_expired));
    account a = active_parent();
    a.email = "old@example.org";
    a.email_validated = true;
    a.pending_email = "new@example.org";
    BOOST_TEST(confirm_address(a, f, t0) == "old@example.org");
    BOOST_TEST(a.email == "new@example.org");
    BOOST_TEST(a.recovery_epoch == 1u);
    BOOST_TEST((confirmation_blocker(f, "d", t0) == errc::token_expired));  // used
}

BOOST_AUTO_TEST_CASE(a_journal_line_keeps_who_where_and_a_bounded_user_agent) {
    const journal_entry e =
        make_journal_entry(t0, journal_type::login_succeeded, {"203.0.113.7", std::string(300, 'u')}, "self", "x");
    BOOST_TEST(e.ip == "203.0.113.7");
    BOOST_TEST(e.user_agent.size() == 256u);
    BOOST_TEST(e.actor == "self");
    BOOST_TEST(e.detail == "x");
    BOOST_TEST(make_journal_entry(t0, journal_type::account_created, {}, "import").ip.empty());
}

BOOST_AUTO_TEST_SUITE_END()
