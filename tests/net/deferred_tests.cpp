// Unit tests of net/deferred.hpp: a use case runs on the calling thread
// under run_deferred, and the coroutine resumes only once the commit log
// says its writes are durable, on its own executor.
#include <boost/test/unit_test.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <stdexcept>

#include "net/deferred.hpp"
#include "tests/fakes/fake_commit_log.hpp"

using namespace sesame;
namespace asio = boost::asio;

BOOST_AUTO_TEST_SUITE(deferred_tests)

BOOST_AUTO_TEST_CASE(the_answer_waits_for_the_fsync) {
    asio::io_context io;
    testing::fake_commit_log log;
    std::optional<int> answer;
    auto use_case = [&] {
        ++log.written;  // its batch reaches the log
        return 42;
    };
    auto handler = [&]() -> asio::awaitable<void> { answer = co_await net::run_deferred(log, use_case); };
    asio::co_spawn(io, handler(), asio::detached);
    io.poll();  // runs the coroutine until it suspends on the fsync
    BOOST_TEST(log.deferred_runs == 1);
    BOOST_TEST(!answer.has_value());
    log.sync();
    io.run();
    BOOST_REQUIRE(answer.has_value());
    BOOST_TEST(*answer == 42);
}

BOOST_AUTO_TEST_CASE(a_failed_fsync_is_an_infrastructure_error) {
    asio::io_context io;
    testing::fake_commit_log log;
    bool threw = false;
    auto use_case = [&] { ++log.written; };
    auto handler = [&]() -> asio::awaitable<void> {
        try {
            co_await net::run_deferred(log, use_case);
        } catch (const infrastructure_error&) {
            threw = true;
        }
    };
    asio::co_spawn(io, handler(), asio::detached);
    io.poll();
    log.fail();
    io.run();
    BOOST_TEST(threw);
}

BOOST_AUTO_TEST_CASE(the_use_cases_exception_comes_back_without_waiting) {
    asio::io_context io;
    testing::fake_commit_log log;
    bool threw = false;
    auto use_case = []() -> int { throw std::invalid_argument("bad"); };
    auto handler = [&]() -> asio::awaitable<void> {
        try {
            co_await net::run_deferred(log, use_case);
        } catch (const std::invalid_argument&) {
            threw = true;
        }
    };
    asio::co_spawn(io, handler(), asio::detached);
    io.run();
    BOOST_TEST(threw);
    BOOST_TEST(log.waiting.empty());
}

BOOST_AUTO_TEST_SUITE_END()
