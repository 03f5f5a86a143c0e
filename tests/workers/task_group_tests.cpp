// task_group on a single-threaded io_context: waiting for every task, the
// deadline, terminal cancellation of what still runs, a failing task.
#include <boost/test/unit_test.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>

#include "workers/task_group.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using sesame::workers::task_group;

// Waits on a timer that never expires: ends only when cancelled.
asio::awaitable<void> hang(int& ended) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_at(steady::time_point::max());
    try {
        co_await t.async_wait(asio::use_awaitable);
    } catch (...) {
        ++ended;
        throw;
    }
}

asio::awaitable<void> quick(int& ended) {
    ++ended;
    co_return;
}

asio::awaitable<void> failing() {
    throw std::runtime_error("boom");
    co_return;
}

// Runs group.wait(deadline) to completion; its result.
bool wait(asio::io_context& io, task_group& group, steady::time_point deadline) {
    std::optional<bool> result;
    asio::co_spawn(io, group.wait(deadline), [&](std::exception_ptr, bool r) { result = r; });
    io.restart();
    while (!result) io.run_one();
    return *result;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(workers_task_group)

BOOST_AUTO_TEST_CASE(wait_completes_once_every_task_ended_even_a_failing_one) {
    asio::io_context io;
    task_group group(asio::make_strand(io), "test_task_failed");
    int ended = 0;
    group.spawn("a", quick(ended));
    group.spawn("b", quick(ended));
    group.spawn("c", failing());
    BOOST_TEST(group.live() == 3u);
    BOOST_TEST(wait(io, group, steady::time_point::max()));
    BOOST_TEST(ended == 2);
    BOOST_TEST(group.live() == 0u);
}

BOOST_AUTO_TEST_CASE(a_hung_task_passes_the_deadline_then_cancel_all_ends_it) {
    asio::io_context io;
    task_group group(asio::make_strand(io), "test_task_failed");
    int ended = 0;
    group.spawn("hung", hang(ended));
    group.spawn("quick", quick(ended));
    BOOST_TEST(!wait(io, group, steady::now() + 5ms));
    BOOST_TEST(group.live() == 1u);
    group.cancel_all();
    BOOST_TEST(wait(io, group, steady::time_point::max()));
    BOOST_TEST(ended == 2);
}

BOOST_AUTO_TEST_CASE(an_empty_group_is_done_at_once) {
    asio::io_context io;
    task_group group(asio::make_strand(io), "test_task_failed");
    BOOST_TEST(wait(io, group, steady::now()));
}

BOOST_AUTO_TEST_SUITE_END()
