// What one attempt does to a message (workers/delivery_attempt.hpp), without
// a sender, a store or a clock: refusals and expiry before a send, then the
// status, attempts, history and retry time after one.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <random>
#include <string>

#include "workers/delivery_attempt.hpp"

namespace {

using namespace std::chrono_literals;
using sesame::channel;
using sesame::duration;
using sesame::message_status;
using sesame::outbox_message;
using sesame::timestamp;
using sesame::workers::attempt_verdict;
using sesame::workers::check_before_send;
using sesame::workers::delivery_options;
using sesame::workers::record_send;
using sesame::workers::send_result;

const timestamp t0 = sesame::from_millis(1'800'000'000'000);

outbox_message sms(std::string to = "+33612345678") {
    outbox_message m;
    m.id = "00000000000000000000000000000001";
    m.ch = channel::sms;
    m.to = std::move(to);
    m.text = "Votre code : 123456";
    m.not_after = t0 + 30min;
    return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(workers_delivery_attempt)

BOOST_AUTO_TEST_CASE(an_sms_to_anything_but_a_french_mobile_is_refused_unsent) {
    for (const char* to : {"+33145678901", "+44712345678", "+33899123456"}) {
        auto m = sms(to);
        const auto v = check_before_send(m, t0);
        BOOST_REQUIRE(v);
        BOOST_TEST(sesame::workers::to_string(*v) == std::string("refused_destination"));
        BOOST_TEST((m.status == message_status::abandoned));
        BOOST_TEST(m.attempts == 0u);
        BOOST_REQUIRE(m.history.size() == 1u);
        BOOST_TEST(m.history[0].result == "refused");
    }
    auto ok = sms();
    BOOST_TEST(!check_before_send(ok, t0));
    BOOST_TEST(ok.history.empty());
}

BOOST_AUTO_TEST_CASE(an_expired_code_is_not_sent) {
    auto m = sms();
    BOOST_TEST(!check_before_send(m, t0 + 30min - 1ms));
    const auto v = check_before_send(m, t0 + 30min);
    BOOST_TEST((v == attempt_verdict::expired));
    BOOST_TEST((m.status == message_status::expired));
    BOOST_TEST(m.history.back().result == "expired");
}

BOOST_AUTO_TEST_CASE(accepted_is_sent_with_the_gateway_id_in_the_history) {
    auto m = sms();
    std::mt19937_64 rng(1);
    const auto rec = record_send(m, {send_result::accepted, "HTTP 202", "gw-9"}, t0, delivery_options{}, rng);
    BOOST_TEST((rec.verdict == attempt_verdict::sent));
    BOOST_TEST((m.status == message_status::sent));
    BOOST_TEST(m.attempts == 1u);
    BOOST_TEST(m.history.back().result == "accepted");
    BOOST_TEST(m.history.back().detail == "HTTP 202 [gateway_id gw-9]");
    BOOST_TEST(rec.detail == m.history.back().detail);
}

BOOST_AUTO_TEST_CASE(a_temporary_failure_waits_within_the_jittered_backoff) {
    delivery_options o;  // 2 s, then 4 s, ...
    std::mt19937_64 rng(7);
    auto m = sms();
    for (std::uint32_t attempt = 1; attempt <= 3; ++attempt) {
        const auto rec = record_send(m, {send_result::temporary_failure, "HTTP 503", ""}, t0, o, rng);
        BOOST_TEST((rec.verdict == attempt_verdict::retry));
        BOOST_TEST((m.status == message_status::pending));
        const auto ceiling = sesame::workers::retry_backoff(o, attempt);
        BOOST_TEST((m.next_attempt_at - t0 >= ceiling / 2));
        BOOST_TEST((m.next_attempt_at - t0 <= ceiling));
    }
    BOOST_TEST(m.attempts == 3u);
    BOOST_TEST(m.history.size() == 3u);
}

BOOST_AUTO_TEST_CASE(the_last_allowed_temporary_failure_abandons_with_a_second_entry) {
    delivery_options o;
    o.max_attempts = 2;
    std::mt19937_64 rng(3);
    auto m = sms();
    record_send(m, {send_result::temporary_failure, "timeout", ""}, t0, o, rng);
    const auto rec = record_send(m, {send_result::temporary_failure, "timeout", ""}, t0 + 5s, o, rng);
    BOOST_TEST((rec.verdict == attempt_verdict::abandoned_exhausted));
    BOOST_TEST((m.status == message_status::abandoned));
    BOOST_REQUIRE(m.history.size() == 3u);
    BOOST_TEST(m.history[1].result == "temporary_failure");
    BOOST_TEST(m.history[2].result == "abandoned");
    BOOST_TEST(m.history[2].detail == "abandonné après 2 tentatives : timeout");
}

BOOST_AUTO_TEST_CASE(a_permanent_failure_abandons_at_once) {
    std::mt19937_64 rng(5);
    auto m = sms();
    const auto rec = record_send(m, {send_result::permanent_failure, "HTTP 400 bad number", ""}, t0, {}, rng);
    BOOST_TEST((rec.verdict == attempt_verdict::abandoned_permanent));
    BOOST_TEST((m.status == message_status::abandoned));
    BOOST_TEST(m.history.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_long_answer_is_cut_on_a_utf8_boundary) {
    std::mt19937_64 rng(5);
    auto m = sms();
    std::string answer(299, 'x');
    answer += "é and more";  // 'é' straddles byte 300
    const auto rec = record_send(m, {send_result::accepted, answer, ""}, t0, {}, rng);
    BOOST_TEST(rec.detail == std::string(299, 'x') + "…");
}

BOOST_AUTO_TEST_SUITE_END()
