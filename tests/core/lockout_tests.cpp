#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "core/lockout.hpp"

using namespace sesame;
using namespace std::chrono_literals;

namespace {

const timestamp t0 = from_millis(1'795'629'731'000);  // 2026-11-25T18:02:11Z

// n failures one second apart from `at`; returns the last outcome.
failure_outcome fail_n(lockout_state& s, const lockout_policy& p, timestamp at, int n) {
    failure_outcome last;
    for (int i = 0; i < n; ++i) last = record_failure(s, p, at + std::chrono::seconds(i));
    return last;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lockout)

BOOST_AUTO_TEST_CASE(five_failures_lock_for_fifteen_minutes) {
    const lockout_policy p;
    lockout_state s;
    for (int i = 0; i < 4; ++i) {
        const auto o = record_failure(s, p, t0 + std::chrono::seconds(i));
        BOOST_TEST(o.counted);
        BOOST_TEST(!o.newly_locked);
        BOOST_TEST(!lockout_status(s, p, t0 + std::chrono::seconds(i)).locked);
    }
    BOOST_TEST(s.consecutive_failures == 4u);
    const timestamp fifth = t0 + 4s;
    const auto o = record_failure(s, p, fifth);
    BOOST_TEST(o.newly_locked);
    BOOST_TEST(!o.hard);
    BOOST_REQUIRE(o.until.has_value());
    BOOST_TEST(to_millis(*o.until) == to_millis(fifth + 15min));
    BOOST_TEST(s.consecutive_failures == 0u);
    BOOST_TEST(s.lock_count == 1u);

    const auto st = lockout_status(s, p, fifth + 1min);
    BOOST_TEST(st.locked);
    BOOST_TEST(to_millis(st.until.value()) == to_millis(fifth + 15min));
    BOOST_TEST(lockout_status(s, p, fifth + 15min - 1ms).locked);
    BOOST_TEST(!lockout_status(s, p, fifth + 15min).locked);  // lifts at exactly until
}

BOOST_AUTO_TEST_CASE(attempts_during_a_lock_do_not_count_or_extend) {
    const lockout_policy p;
    lockout_state s;
    const auto o = fail_n(s, p, t0, 5);
    BOOST_REQUIRE(o.newly_locked);
    const auto before = s.recent_failures.size();
    const auto refused = record_failure(s, p, t0 + 10min);
    BOOST_TEST(!refused.counted);
    BOOST_TEST(!refused.newly_locked);
    BOOST_TEST(s.recent_failures.size() == before);
    BOOST_TEST(s.consecutive_failures == 0u);
    BOOST_TEST(to_millis(s.locked_until.value()) == to_millis(*o.until));
}

BOOST_AUTO_TEST_CASE(each_new_lock_doubles_then_hard_lock_at_twenty) {
    const lockout_policy p;
    lockout_state s;
    auto o = fail_n(s, p, t0, 5);
    BOOST_TEST(to_millis(*o.until) == to_millis(t0 + 4s + 15min));

    timestamp next = *o.until;
    o = fail_n(s, p, next, 5);
    BOOST_REQUIRE(o.newly_locked);
    BOOST_TEST(to_millis(*o.until) == to_millis(next + 4s + 30min));

    next = *o.until;
    o = fail_n(s, p, next, 5);
    BOOST_TEST(to_millis(*o.until) == to_millis(next + 4s + 60min));
    BOOST_TEST(s.recent_failures.size() == 15u);

    next = *o.until;
    o = fail_n(s, p, next, 4);
    BOOST_TEST(!o.newly_locked);
    o = record_failure(s, p, next + 10s);  // the 20th failure within 24 h
    BOOST_TEST(o.newly_locked);
    BOOST_TEST(o.hard);
    BOOST_TEST(!o.until.has_value());
    BOOST_TEST(s.hard_locked);

    const auto st = lockout_status(s, p, next + 48h);
    BOOST_TEST(st.locked);
    BOOST_TEST(!st.until.has_value());

    record_success(s);  // never lifts a hard lock
    BOOST_TEST(lockout_status(s, p, next + 48h).locked);
    lift(s);
    BOOST_TEST(!lockout_status(s, p, next + 48h).locked);
    BOOST_TEST(s.recent_failures.empty());
    BOOST_TEST(s.lock_count == 0u);
}

BOOST_AUTO_TEST_CASE(failures_older_than_the_hard_window_do_not_count) {
    lockout_policy p;
    p.threshold = 1000;  // isolate the hard lock
    lockout_state s;
    fail_n(s, p, t0, 19);
    // The first failure (t0) is exactly 24 h old at t0 + 24h: gone.
    auto o = record_failure(s, p, t0 + 24h);
    BOOST_TEST(!o.newly_locked);
    BOOST_TEST(s.recent_failures.size() == 19u);
    // One second later the second one leaves too, but the new one arrives: still 19 + 1 - 1.
    o = record_failure(s, p, t0 + 24h + 1s);
    BOOST_TEST(!o.hard);

    lockout_state s2;
    fail_n(s2, p, t0, 19);
    o = record_failure(s2, p, t0 + 24h - 1ms);  // the first is still inside
    BOOST_TEST(o.hard);
}

BOOST_AUTO_TEST_CASE(success_resets_consecutive_failures_and_lock_count) {
    const lockout_policy p;
    lockout_state s;
    fail_n(s, p, t0, 4);
    record_success(s);
    BOOST_TEST(s.consecutive_failures == 0u);
    auto o = fail_n(s, p, t0 + 1min, 4);
    BOOST_TEST(!o.newly_locked);
    o = record_failure(s, p, t0 + 2min);
    BOOST_REQUIRE(o.newly_locked);
    BOOST_TEST(to_millis(*o.until) == to_millis(t0 + 2min + 15min));

    // After that lock, a success makes the next lock short again.
    record_success(s);
    BOOST_TEST(s.lock_count == 0u);
    o = fail_n(s, p, t0 + 1h, 5);
    BOOST_TEST(to_millis(*o.until) == to_millis(t0 + 1h + 4s + 15min));
}

BOOST_AUTO_TEST_CASE(lock_length_is_capped) {
    lockout_policy p;
    p.hard_threshold = 0;  // disabled
    lockout_state s;
    s.lock_count = 40;  // 15 min * 2^40 would overflow
    const auto o = fail_n(s, p, t0, 5);
    BOOST_REQUIRE(o.until.has_value());
    BOOST_TEST(to_millis(*o.until) == to_millis(t0 + 4s + 24h));
    BOOST_TEST(s.recent_failures.empty());
}

BOOST_AUTO_TEST_SUITE_END()
