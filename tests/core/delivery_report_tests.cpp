// apply_delivery_report (core/delivery_report.hpp) over the in-memory outbox:
// status transitions, the attempt lines kept, dedupe, durability, unknown
// ids and bad statuses; Kannel's DLR numbers; the detail sanitiser.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "core/delivery_report.hpp"
#include "tests/fakes/memory_ports.hpp"

using namespace sesame;
using namespace std::chrono_literals;

namespace {

const timestamp t0 = from_millis(1'795'629'731'000);
const std::string id = "0123456789abcdef0123456789abcdef";

// The memory outbox, recording each update's durability.
class recording_outbox final : public outbox_repository {
public:
    testing::memory_ports store;
    std::vector<bool> updates;  // durable flag of each update_message

    std::vector<outbox_message> pending_outbox(timestamp now) override { return store.pending_outbox(now); }
    std::optional<outbox_message> find_message(std::string_view i) override { return store.find_message(i); }
    void update_message(const outbox_message& m, bool durable) override {
        updates.push_back(durable);
        store.update_message(m, durable);
    }
    std::unique_lock<std::mutex> lock_message(std::string_view i) override { return store.lock_message(i); }
    outbox_message get() { return *store.find_message(id); }
};

struct fixture {
    recording_outbox repo;
    explicit fixture(message_status st = message_status::sent) {
        outbox_message m;
        m.id = id;
        m.to = "+33612345678";
        m.text = "Votre code : 123456";
        m.status = st;
        m.attempts = 1;
        m.history.push_back(delivery_attempt{t0, "accepted", "HTTP 202"});
        repo.store.put_message(m);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(delivery_report)

BOOST_AUTO_TEST_CASE(delivered_report_moves_sent_to_delivered_durably) {
    fixture f;
    auto st = apply_delivery_report(f.repo, id, "delivered", "DELIVRD", t0 + 5s);
    BOOST_TEST_REQUIRE(st.ok());
    const auto m = f.repo.get();
    BOOST_TEST(to_string(m.status) == std::string("delivered"));
    BOOST_TEST_REQUIRE(m.history.size() == 2u);
    BOOST_TEST(m.history.back().result == "report:delivered");
    BOOST_TEST(m.history.back().detail == "DELIVRD");
    BOOST_TEST(to_millis(m.history.back().at) == to_millis(t0 + 5s));
    BOOST_TEST(m.attempts == 1u);  // a report is not a send
    BOOST_TEST(f.repo.updates == std::vector<bool>{true});
}

BOOST_AUTO_TEST_CASE(failed_report_moves_sent_to_failed) {
    fixture f;
    BOOST_TEST_REQUIRE(apply_delivery_report(f.repo, id, "failed", "UNDELIV err:001", t0).ok());
    const auto m = f.repo.get();
    BOOST_TEST(to_string(m.status) == std::string("failed"));
    BOOST_TEST(m.history.back().result == "report:failed");
    BOOST_TEST(m.history.back().detail == "UNDELIV err:001");
}

BOOST_AUTO_TEST_CASE(buffered_report_only_adds_the_line) {
    fixture f;
    BOOST_TEST_REQUIRE(apply_delivery_report(f.repo, id, "buffered", "", t0).ok());
    const auto m = f.repo.get();
    BOOST_TEST(to_string(m.status) == std::string("sent"));
    BOOST_TEST_REQUIRE(m.history.size() == 2u);
    BOOST_TEST(m.history.back().result == "report:buffered");
    BOOST_TEST(f.repo.updates.size() == 1u);
}

BOOST_AUTO_TEST_CASE(buffered_then_delivered_keeps_both_lines) {
    fixture f;
    BOOST_TEST_REQUIRE(apply_delivery_report(f.repo, id, "buffered", "ENROUTE", t0).ok());
    BOOST_TEST_REQUIRE(apply_delivery_report(f.repo, id, "delivered", "DELIVRD", t0 + 1s).ok());
    const auto m = f.repo.get();
    BOOST_TEST(to_string(m.status) == std::string("delivered"));
    BOOST_TEST_REQUIRE(m.history.size() == 3u);
    BOOST_TEST(m.history[1].result == "report:buffered");
    BOOST_TEST(m.history[2].result == "report:delivered");
}

BOOST_AUTO_TEST_CASE(identical_consecutive_report_changes_nothing) {
    fixture f;
    BOOST_TEST_REQUIRE(apply_delivery_report(f.repo, id, "delivered", "ok", t0).ok());
    BOOST_TEST_REQUIRE(apply_delivery_report(f.repo, id, "delivered", "ok", t0 + 1s).ok());
    const auto m = f.repo.get();
    BOOST_TEST(m.history.size() == 2u);
    BOOST_TEST(f.repo.updates.size() == 1u);  // the repeat wrote nothing
    // A different detail is a new line, same status.
    BOOST_TEST_REQUIRE(apply_delivery_report(f.repo, id, "delivered", "ok again", t0 + 2s).ok());
    BOOST_TEST(f.repo.get().history.size() == 3u);
}

BOOST_AUTO_TEST_CASE(late_failure_never_undoes_delivered) {
    fixture f;
    BOOST_TEST_REQUIRE(apply_delivery_report(f.repo, id, "delivered", "", t0).ok());
    BOOST_TEST_REQUIRE(apply_delivery_report(f.repo, id, "failed", "late", t0 + 1s).ok());
    const auto m = f.repo.get();
    BOOST_TEST(to_string(m.status) == std::string("delivered"));
    BOOST_TEST(m.history.back().result == "report:failed");
}

BOOST_AUTO_TEST_CASE(delivered_after_failed_and_on_abandoned) {
    fixture f(message_status::abandoned);
    BOOST_TEST_REQUIRE(apply_delivery_report(f.repo, id, "failed", "", t0).ok());
    BOOST_TEST(to_string(f.repo.get().status) == std::string("failed"));
    BOOST_TEST_REQUIRE(apply_delivery_report(f.repo, id, "delivered", "", t0 + 1s).ok());
    BOOST_TEST(to_string(f.repo.get().status) == std::string("delivered"));
}

BOOST_AUTO_TEST_CASE(pending_message_becomes_delivered_so_it_is_not_resent) {
    fixture f(message_status::pending);
    BOOST_TEST_REQUIRE(apply_delivery_report(f.repo, id, "delivered", "", t0).ok());
    BOOST_TEST(to_string(f.repo.get().status) == std::string("delivered"));
    BOOST_TEST(f.repo.store.pending_outbox(t0).empty());
}

BOOST_AUTO_TEST_CASE(never_sent_messages_keep_their_status) {
    for (auto st : {message_status::expired, message_status::refused}) {
        fixture f(st);
        BOOST_TEST_REQUIRE(apply_delivery_report(f.repo, id, "delivered", "", t0).ok());
        const auto m = f.repo.get();
        BOOST_TEST(to_string(m.status) == to_string(st));
        BOOST_TEST(m.history.back().result == "report:delivered");
    }
}

BOOST_AUTO_TEST_CASE(unknown_id_is_not_found_and_writes_nothing) {
    fixture f;
    auto st = apply_delivery_report(f.repo, "ffffffffffffffffffffffffffffffff", "delivered", "", t0);
    BOOST_TEST_REQUIRE(!st.ok());
    BOOST_TEST((st.error().code == errc::not_found));
    BOOST_TEST(f.repo.updates.empty());
}

BOOST_AUTO_TEST_CASE(bad_status_is_invalid_request_on_status) {
    fixture f;
    for (const char* bad : {"", "DELIVERED", "sent", "1"}) {
        auto st = apply_delivery_report(f.repo, id, bad, "", t0);
        BOOST_TEST_REQUIRE(!st.ok());
        BOOST_TEST((st.error().code == errc::invalid_request));
        BOOST_TEST(st.error().field == "status");
    }
    BOOST_TEST(f.repo.updates.empty());
    BOOST_TEST(f.repo.get().history.size() == 1u);
}

BOOST_AUTO_TEST_CASE(report_lines_are_capped_but_status_still_moves) {
    fixture f;
    for (std::size_t i = 0; i < max_report_lines + 5; ++i)
        BOOST_TEST_REQUIRE(apply_delivery_report(f.repo, id, "buffered", "try " + std::to_string(i), t0).ok());
    BOOST_TEST(f.repo.get().history.size() == 1u + max_report_lines);
    BOOST_TEST_REQUIRE(apply_delivery_report(f.repo, id, "delivered", "", t0).ok());
    const auto m = f.repo.get();
    BOOST_TEST(to_string(m.status) == std::string("delivered"));
    BOOST_TEST(m.history.size() == 1u + max_report_lines);
}

BOOST_AUTO_TEST_CASE(detail_is_sanitised_before_storing) {
    fixture f;
    BOOST_TEST_REQUIRE(apply_delivery_report(f.repo, id, "delivered",
                                             "id:42 sub:001 dlvrd:001 stat:DELIVRD err:000 text:Votre code : 123456",
                                             t0)
                           .ok());
    BOOST_TEST(f.repo.get().history.back().detail == "id:42 sub:001 dlvrd:001 stat:DELIVRD err:000");
}

BOOST_AUTO_TEST_CASE(sanitiser_cuts_controls_length_and_utf8_safely) {
    BOOST_TEST(sanitize_report_detail("  a\r\nb\t ") == "a  b");
    BOOST_TEST(sanitize_report_detail("Text:secret") == "");
    BOOST_TEST(sanitize_report_detail("context:kept") == "context:kept");  // "text:" only at a word start
    const std::string long_accents(150, 'a');
    std::string s = long_accents;
    for (int i = 0; i < 60; ++i) s += "é";  // 2 bytes each
    const std::string out = sanitize_report_detail(s);
    BOOST_TEST(out.size() <= report_detail_limit);
    BOOST_TEST(out.size() == report_detail_limit);  // 150 + 25 * 2 fits exactly
    s = std::string(199, 'a') + "é";
    BOOST_TEST(sanitize_report_detail(s) == std::string(199, 'a'));  // never half a character
}

BOOST_AUTO_TEST_CASE(kannel_dlr_numbers) {
    BOOST_TEST((kannel_dlr_of(1)->status == report_status::delivered));
    BOOST_TEST((kannel_dlr_of(2)->status == report_status::failed));
    BOOST_TEST((kannel_dlr_of(4)->status == report_status::buffered));
    BOOST_TEST((kannel_dlr_of(8)->status == report_status::buffered));
    BOOST_TEST((kannel_dlr_of(16)->status == report_status::failed));
    for (std::uint64_t bad : {0u, 3u, 31u, 0x22u, 0x42u}) BOOST_TEST(!kannel_dlr_of(bad).has_value());
    BOOST_TEST(parse_report_status("buffered").has_value());
    BOOST_TEST(!parse_report_status("Buffered").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
