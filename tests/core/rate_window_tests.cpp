#include <boost/test/unit_test.hpp>

#include "core/rate_window.hpp"

using namespace sesame;
using namespace std::chrono_literals;

namespace {
const timestamp t0 = from_millis(1'795'629'600'000);  // a whole hour: bucket boundaries align
}

BOOST_AUTO_TEST_SUITE(rate_window_suite)

BOOST_AUTO_TEST_CASE(three_per_ten_seconds) {
    const rate_limit limit{3, 10s};
    rate_window w;
    BOOST_TEST(take(w, limit, t0).allowed);
    BOOST_TEST(take(w, limit, t0 + 1s).allowed);
    BOOST_TEST(take(w, limit, t0 + 2s).allowed);
    const auto d = take(w, limit, t0 + 3s);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.retry_after.count() == duration(7s).count());  // t0 leaves at t0 + 10s
    BOOST_TEST(count_in_window(w, limit, t0 + 3s) == 3u);  // refused attempts are not recorded by take

    const auto almost = check(w, limit, t0 + 10s - 1ms);
    BOOST_TEST(!almost.allowed);
    BOOST_TEST(almost.retry_after.count() == duration(1s).count());  // at least one second
    BOOST_TEST(check(w, limit, t0 + 10s).allowed);  // the first event left at exactly t0 + 10s
    BOOST_TEST(take(w, limit, t0 + 10s).allowed);
    const auto again = check(w, limit, t0 + 10s);
    BOOST_TEST(!again.allowed);
    BOOST_TEST(again.retry_after.count() == duration(1s).count());  // t0 + 1s leaves at t0 + 11s

    BOOST_TEST(is_idle(w, limit, t0 + 20s));
    BOOST_TEST(!is_idle(w, limit, t0 + 19s));
}

BOOST_AUTO_TEST_CASE(add_counts_even_refused_events) {
    const rate_limit limit{3, 10s};
    rate_window w;
    add(w, limit, t0, 5);
    BOOST_TEST(count_in_window(w, limit, t0) == 3u);  // only `count` are needed to decide
    const auto d = check(w, limit, t0 + 2s);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.retry_after.count() == duration(8s).count());
    BOOST_TEST(w.slots.size() <= 3u);
}

BOOST_AUTO_TEST_CASE(bucketed_mode_for_large_limits) {
    const rate_limit limit{10000, 1h};
    rate_window w;
    add(w, limit, t0, 5000);
    add(w, limit, t0 + 30min, 4999);
    BOOST_TEST(w.bucket_ms == 60'000);
    BOOST_TEST(w.slots.size() == 60u);
    BOOST_TEST(count_in_window(w, limit, t0 + 30min) == 9999u);
    BOOST_TEST(take(w, limit, t0 + 30min).allowed);
    const auto d = check(w, limit, t0 + 40min);
    BOOST_TEST(!d.allowed);
    // The t0 bucket leaves at t0 + 1h.
    BOOST_TEST(d.retry_after.count() == duration(20min).count());
    BOOST_TEST(check(w, limit, t0 + 1h).allowed);
    BOOST_TEST(count_in_window(w, limit, t0 + 1h) == 5000u);
    BOOST_TEST(count_in_window(w, limit, t0 + 1h + 30min) == 0u);
    BOOST_TEST(is_idle(w, limit, t0 + 5h));
}

BOOST_AUTO_TEST_CASE(bucketed_never_lets_more_than_the_limit_in_a_window) {
    const rate_limit limit{100, 60s};
    rate_window w;
    int allowed_in_first_minute = 0;
    for (int i = 0; i < 300; ++i)
        if (take(w, limit, t0 + std::chrono::milliseconds(i * 200)).allowed && i * 200 < 60'000) ++allowed_in_first_minute;
    BOOST_TEST(allowed_in_first_minute == 100);
}

BOOST_AUTO_TEST_CASE(limit_changes_convert_the_layout) {
    rate_window w;
    add(w, rate_limit{3, 10s}, t0, 3);
    BOOST_TEST(w.bucket_ms == 0);
    const rate_limit bigger{100, 10s};
    BOOST_TEST(count_in_window(w, bigger, t0 + 1s) == 3u);
    add(w, bigger, t0 + 1s);
    BOOST_TEST(w.bucket_ms > 0);
    BOOST_TEST(count_in_window(w, bigger, t0 + 1s) == 4u);
    BOOST_TEST(count_in_window(w, rate_limit{5, 10s}, t0 + 1s) == 4u);
}

BOOST_AUTO_TEST_CASE(zero_count_refuses_and_zero_window_allows) {
    rate_window w;
    const auto d = check(w, rate_limit{0, 30s}, t0);
    BOOST_TEST(!d.allowed);
    BOOST_TEST(d.retry_after.count() == duration(30s).count());
    add(w, rate_limit{1, 0s}, t0);
    BOOST_TEST(check(w, rate_limit{1, 0s}, t0).allowed);
}

BOOST_AUTO_TEST_CASE(encode_decode_round_trip) {
    rate_window exact;
    const rate_limit small{5, 1h};
    add(exact, small, t0);
    add(exact, small, t0 + 1s, 2);
    add(exact, small, t0 + 7min);
    const std::string bytes = encode_rate_window(exact);
    BOOST_TEST(bytes.size() < 20u);
    const auto back = decode_rate_window(bytes);
    BOOST_REQUIRE(back.has_value());
    BOOST_TEST(back->slots == exact.slots, boost::test_tools::per_element());
    BOOST_TEST(back->bucket_ms == 0);
    BOOST_TEST(count_in_window(*back, small, t0 + 8min) == 4u);

    rate_window buckets;
    const rate_limit large{10000, 1h};
    add(buckets, large, t0, 123);
    add(buckets, large, t0 + 59min, 456);
    const auto back2 = decode_rate_window(encode_rate_window(buckets));
    BOOST_REQUIRE(back2.has_value());
    BOOST_TEST(back2->slots == buckets.slots, boost::test_tools::per_element());
    BOOST_TEST(back2->bucket_ms == buckets.bucket_ms);
    BOOST_TEST(back2->newest_bucket == buckets.newest_bucket);

    const auto empty = decode_rate_window(encode_rate_window(rate_window{}));
    BOOST_REQUIRE(empty.has_value());
    BOOST_TEST(empty->slots.empty());
}

BOOST_AUTO_TEST_CASE(decode_refuses_garbage) {
    rate_window w;
    add(w, rate_limit{5, 1h}, t0, 3);
    const std::string good = encode_rate_window(w);
    BOOST_TEST(!decode_rate_window("").has_value());
    BOOST_TEST(!decode_rate_window("\x07\x00").has_value());              // unknown version
    BOOST_TEST(!decode_rate_window(std::string("\x01\x05", 2)).has_value());  // unknown layout
    BOOST_TEST(!decode_rate_window(good.substr(0, good.size() - 1)).has_value());  // truncated
    BOOST_TEST(!decode_rate_window(good + "x").has_value());              // trailing bytes
    BOOST_TEST(!decode_rate_window(std::string("\x01\x00\x7f", 3)).has_value());  // 127 events
}

BOOST_AUTO_TEST_SUITE_END()
