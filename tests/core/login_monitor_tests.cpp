// core/login_monitor.hpp: refused logins counted by reason, the sliding
// minute and its alarm, with explicit time.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "core/login_monitor.hpp"

using namespace sesame;
using namespace std::chrono_literals;

namespace {

const timestamp t0 = from_millis(1'795'629'720'000);  // a minute boundary

}  // namespace

BOOST_AUTO_TEST_SUITE(login_monitor_tests)

BOOST_AUTO_TEST_CASE(counts_by_reason_and_renders_metrics) {
    metrics_registry registry;
    manual_clock c(t0);
    login_monitor m(registry, 1000, c);
    m.failed(login_refusal::unknown_identifier, t0);
    m.failed(login_refusal::unknown_identifier, t0);
    m.failed(login_refusal::wrong_password, t0);
    m.succeeded();
    BOOST_TEST(m.failures(login_refusal::unknown_identifier) == 2u);
    BOOST_TEST(m.failures(login_refusal::wrong_password) == 1u);
    BOOST_TEST(m.failures(login_refusal::locked) == 0u);
    const std::string text = registry.render();
    BOOST_TEST(text.find("sesame_login_failures_total{reason=\"unknown_identifier\"} 2") != std::string::npos);
    BOOST_TEST(text.find("sesame_login_successes_total 1") != std::string::npos);
    BOOST_TEST(text.find("sesame_login_failure_alarm 0") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_alarm_follows_the_sliding_minute) {
    metrics_registry registry;
    manual_clock c(t0);
    login_monitor m(registry, 10, c);
    for (int i = 0; i < 10; ++i) m.failed(login_refusal::wrong_password, t0 + 1s);
    BOOST_TEST(!m.alarm(t0 + 2s));  // 10 is the threshold, not past it
    m.failed(login_refusal::unknown_identifier, t0 + 30s);
    BOOST_TEST(m.alarm(t0 + 30s));
    BOOST_TEST(m.failures_last_minute(t0 + 30s) == 11u);
    c.set(t0 + 30s);
    BOOST_TEST(registry.render().find("sesame_login_failure_alarm 1") != std::string::npos);
    BOOST_TEST(registry.render().find("sesame_login_failure_alerts_total 1") != std::string::npos);
    // Half of the next minute: half of the previous minute still counts.
    BOOST_TEST(m.failures_last_minute(t0 + 90s) == 5u);
    BOOST_TEST(!m.alarm(t0 + 90s));
    // Two minutes later, nothing is left.
    BOOST_TEST(m.failures_last_minute(t0 + 3min) == 0u);
}

BOOST_AUTO_TEST_CASE(threshold_zero_never_alarms) {
    metrics_registry registry;
    manual_clock c(t0);
    login_monitor m(registry, 0, c);
    for (int i = 0; i < 100; ++i) m.failed(login_refusal::locked, t0);
    BOOST_TEST(!m.alarm(t0));
    BOOST_TEST(m.failures(login_refusal::locked) == 100u);
}

BOOST_AUTO_TEST_SUITE_END()
