#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

#include "workers/hash_pool.hpp"

using sesame::workers::hash_pool;

namespace {
// Occupies a pool thread until release() is called; started() resolves once
// the job is running. Synchronisation by futures only, never sleeps.
struct blocker {
    std::promise<void> started_p;
    std::promise<void> release_p;
    std::shared_future<void> release_f = release_p.get_future().share();

    std::function<void()> job() {
        return [this] {
            started_p.set_value();
            release_f.wait();
        };
    }
    void wait_started() { started_p.get_future().wait(); }
    void release() { release_p.set_value(); }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(workers_hash_pool)

BOOST_AUTO_TEST_CASE(threads_count) {
    hash_pool two(2, 4);
    BOOST_TEST(two.threads() == 2u);
    hash_pool automatic(0, 4);
    BOOST_TEST(automatic.threads() >= 1u);
}

BOOST_AUTO_TEST_CASE(refuses_past_max_waiting_then_runs_all_accepted) {
    hash_pool pool(1, 1);
    blocker b;
    BOOST_REQUIRE(pool.try_submit(b.job()));
    b.wait_started();
    BOOST_TEST(pool.running() == 1u);
    BOOST_TEST(pool.waiting() == 0u);

    std::promise<void> second_done;
    BOOST_TEST(pool.try_submit([&] { second_done.set_value(); }));  // waits behind the busy thread
    BOOST_TEST(pool.waiting() == 1u);

    bool third_ran = false;
    BOOST_TEST(!pool.try_submit([&] { third_ran = true; }));  // the queue is full: refused at once
    BOOST_TEST(pool.rejected() == 1u);
    BOOST_TEST(pool.waiting() == 1u);

    b.release();
    second_done.get_future().get();
    pool.stop();
    BOOST_TEST(pool.completed() == 2u);
    BOOST_TEST(pool.rejected() == 1u);
    BOOST_TEST(!third_ran);
    BOOST_TEST(pool.running() == 0u);
    BOOST_TEST(pool.waiting() == 0u);
}

BOOST_AUTO_TEST_CASE(zero_waiting_accepts_only_onto_an_idle_thread) {
    hash_pool pool(1, 0);
    blocker b;
    BOOST_REQUIRE(pool.try_submit(b.job()));  // the thread is idle
    b.wait_started();
    BOOST_TEST(!pool.try_submit([] {}));  // no thread idle, no job may wait
    BOOST_TEST(pool.rejected() == 1u);
    b.release();
    pool.stop();
    BOOST_TEST(pool.completed() == 1u);
}

BOOST_AUTO_TEST_CASE(a_throwing_job_does_not_kill_its_thread) {
    hash_pool pool(1, 4);
    BOOST_REQUIRE(pool.try_submit([] { throw std::runtime_error("boom"); }));
    BOOST_REQUIRE(pool.try_submit([] { throw 42; }));
    std::promise<int> later;
    BOOST_REQUIRE(pool.try_submit([&] { later.set_value(7); }));
    BOOST_TEST(later.get_future().get() == 7);  // the only thread survived both
    pool.stop();
    BOOST_TEST(pool.failed() == 2u);
    BOOST_TEST(pool.completed() == 3u);
}

BOOST_AUTO_TEST_CASE(stop_refuses_new_jobs_and_drains_queued_ones) {
    hash_pool pool(1, 8);
    blocker b;
    BOOST_REQUIRE(pool.try_submit(b.job()));
    b.wait_started();
    std::atomic<int> ran{0};
    for (int i = 0; i < 3; ++i) BOOST_REQUIRE(pool.try_submit([&] { ++ran; }));
    BOOST_TEST(pool.waiting() == 3u);

    std::thread stopper([&] { pool.stop(); });  // blocks until drained
    while (!pool.stopped()) std::this_thread::yield();
    BOOST_TEST(!pool.try_submit([&] { ++ran; }));  // no longer accepting
    BOOST_TEST(pool.waiting() == 3u);             // queued jobs are kept...
    b.release();
    stopper.join();
    BOOST_TEST(ran.load() == 3);  // ...and run before stop() returns
    BOOST_TEST(pool.completed() == 4u);
    BOOST_TEST(pool.rejected() == 1u);
    pool.stop();  // idempotent
}

BOOST_AUTO_TEST_CASE(destructor_drains_too) {
    std::atomic<int> ran{0};
    {
        hash_pool pool(2, 16);
        for (int i = 0; i < 10; ++i) BOOST_REQUIRE(pool.try_submit([&] { ++ran; }));
    }
    BOOST_TEST(ran.load() == 10);
}

BOOST_AUTO_TEST_SUITE_END()
