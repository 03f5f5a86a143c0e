#include <boost/test/unit_test.hpp>

#include "core/time.hpp"

using namespace sesame;

BOOST_AUTO_TEST_SUITE(time_format)

BOOST_AUTO_TEST_CASE(rfc3339_round_trip) {
    const auto t = parse_rfc3339("2026-11-25T18:02:11Z");
    BOOST_REQUIRE(t.has_value());
    BOOST_TEST(format_rfc3339(*t) == "2026-11-25T18:02:11Z");
    BOOST_TEST(to_millis(*t) == 1795629731000LL);
}

BOOST_AUTO_TEST_CASE(rfc3339_rejects_garbage) {
    BOOST_TEST(!parse_rfc3339("2026-13-25T18:02:11Z").has_value());
    BOOST_TEST(!parse_rfc3339("yesterday").has_value());
    BOOST_TEST(!parse_rfc3339("2026-11-25T18:02:11+01:00").has_value());
}

BOOST_AUTO_TEST_CASE(manual_clock_moves_only_when_told) {
    manual_clock c{from_millis(1000)};
    BOOST_TEST(to_millis(c.now()) == 1000);
    c.advance(std::chrono::seconds(2));
    BOOST_TEST(to_millis(c.now()) == 3000);
}

BOOST_AUTO_TEST_SUITE_END()
