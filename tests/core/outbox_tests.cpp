#include <boost/test/unit_test.hpp>

#include "core/outbox.hpp"

using namespace sesame;

BOOST_AUTO_TEST_SUITE(outbox_rules)

const timestamp t0 = from_millis(1'795'629'731'000);

BOOST_AUTO_TEST_CASE(a_report_landing_during_the_send_is_kept) {
    outbox_message ours;
    ours.id = "m1";
    ours.status = message_status::sent;
    ours.history.push_back({t0, "accepted", "HTTP 202"});
    outbox_message stored = ours;
    stored.status = message_status::delivered;
    stored.history = {{t0, "report:delivered", "DLR 1"}};
    keep_reports(ours, stored);
    BOOST_TEST((ours.status == message_status::delivered));
    BOOST_REQUIRE(ours.history.size() == 2u);
    BOOST_TEST(ours.history[1].result == "report:delivered");
    keep_reports(ours, stored);  // idempotent
    BOOST_TEST(ours.history.size() == 2u);
}

BOOST_AUTO_TEST_CASE(without_a_report_the_workers_status_stands) {
    outbox_message ours;
    ours.status = message_status::sent;
    outbox_message stored;
    stored.status = message_status::pending;
    keep_reports(ours, stored);
    BOOST_TEST((ours.status == message_status::sent));
    BOOST_TEST(ours.history.empty());
}

BOOST_AUTO_TEST_CASE(settled_messages_drop_their_text) {
    outbox_message m;
    m.text = "code 123456";
    m.html = "<p>123456</p>";
    m.subject = "Sujet";
    BOOST_TEST(retained_form(m).text == "code 123456");  // pending: must survive a crash
    m.status = message_status::sent;
    const auto kept = retained_form(m);
    BOOST_TEST(kept.text.empty());
    BOOST_TEST(kept.html.empty());
    BOOST_TEST(kept.subject == "Sujet");
}

BOOST_AUTO_TEST_SUITE_END()
