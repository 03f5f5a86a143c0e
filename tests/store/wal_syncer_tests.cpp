// Unit tests of store/wal_syncer.hpp with a fake log: one fsync round for
// every writer waiting, waiters answered after the round that covers them,
// a failed sync final.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <future>
#include <optional>
#include <string>
#include <mutex>
#include <vector>

#include "store/error.hpp"
#include "store/wal_syncer.hpp"

using namespace sesame::store;

namespace {

// A log whose sync the test holds until it releases it.
struct fake_log {
    std::atomic<std::uint64_t> written{0};
    std::mutex mu;
    std::condition_variable cv;
    bool held = false;
    int syncs_started = 0;
    std::optional<std::string> fail_with;

    std::optional<std::string> sync() {
        std::unique_lock lk(mu);
        ++syncs_started;
        cv.notify_all();
        cv.wait(lk, [&] { return !held; });
        return fail_with;
    }
    void hold() {
        std::lock_guard lk(mu);
        held = true;
    }
    void release() {
        {
            std::lock_guard lk(mu);
            held = false;
        }
        cv.notify_all();
    }
    void wait_for_syncs(int n) {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return syncs_started >= n; });
    }
};


}  // namespace

BOOST_AUTO_TEST_SUITE(wal_syncer_tests)

BOOST_AUTO_TEST_CASE(waiters_that_arrive_during_a_round_share_the_next_one) {
    fake_log log;
    wal_syncer syncer([&] { return log.written.load(); }, [&] { return log.sync(); });
    log.hold();
    log.written = 1;
    std::promise<bool> first;
    syncer.when_durable(1, [&](bool ok) { first.set_value(ok); });
    log.wait_for_syncs(1);  // round 1 is in its fsync, covering sequence 1 only
    constexpr int writers = 50;
    std::vector<std::promise<bool>> later(writers);
    for (int i = 0; i < writers; ++i) {
        log.written = 2 + i;
        syncer.when_durable(2 + i, [&later, i](bool ok) { later[i].set_value(ok); });
    }
    log.release();
    BOOST_TEST(first.get_future().get());
    for (auto& p : later) BOOST_TEST(p.get_future().get());
    BOOST_TEST(syncer.rounds() == 2u);  // 51 waiters, two fsyncs
}

BOOST_AUTO_TEST_CASE(a_position_already_synced_is_answered_at_once) {
    fake_log log;
    wal_syncer syncer([&] { return log.written.load(); }, [&] { return log.sync(); });
    log.written = 3;
    syncer.wait(3);
    bool answered = false;
    syncer.when_durable(2, [&](bool ok) { answered = ok; });
    BOOST_TEST(answered);
    BOOST_TEST(syncer.rounds() == 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_sync_is_final) {
    fake_log log;
    log.fail_with = "EIO";
    wal_syncer syncer([&] { return log.written.load(); }, [&] { return log.sync(); });
    log.written = 1;
    std::promise<bool> told;
    syncer.when_durable(1, [&](bool ok) { told.set_value(ok); });
    BOOST_TEST(!told.get_future().get());
    BOOST_CHECK_THROW(syncer.wait(1), store_error);
    bool later = true;
    syncer.when_durable(5, [&](bool ok) { later = ok; });
    BOOST_TEST(!later);
}

BOOST_AUTO_TEST_CASE(stopping_syncs_for_the_waiters_left) {
    fake_log log;
    std::promise<bool> told;
    {
        wal_syncer syncer([&] { return log.written.load(); }, [&] { return log.sync(); });
        log.written = 1;
        syncer.when_durable(1, [&](bool ok) { told.set_value(ok); });
    }
    BOOST_TEST(told.get_future().get());
}

BOOST_AUTO_TEST_SUITE_END()
