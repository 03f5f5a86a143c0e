// connection_pool on a single-threaded io_context: slots, reuse order, idle
// expiry, waiting in arrival order, the deadline and cancellation. Waits end
// on the pool's own wake-ups or deadlines; nothing sleeps.
#include <boost/test/unit_test.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "workers/connection_pool.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

struct fake_connection {
    explicit fake_connection(int n, int* closed) : id(n), closed_count(closed) {}
    ~fake_connection() { ++*closed_count; }
    int id;
    int* closed_count;
};

using pool_type = sesame::workers::connection_pool<fake_connection>;

// Runs `a` to completion on `io`; rethrows its exception.
template <class T>
T run(asio::io_context& io, asio::awaitable<T> a) {
    std::exception_ptr error;
    std::optional<T> value;
    asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
        error = e;
        if (!e) value.emplace(std::move(v));
    });
    io.restart();
    io.run();
    if (error) std::rethrow_exception(error);
    return std::move(*value);
}

asio::awaitable<pool_type::lease> acquire(pool_type& p, steady::duration wait) {
    co_return co_await p.acquire(steady::now() + wait);
}

// Opens one connection per id through the pool and keeps each idle.
void keep_idle(asio::io_context& io, pool_type& pool, std::vector<int> ids, int* closed) {
    std::vector<pool_type::lease> leases;
    for (int id : ids) {
        leases.push_back(run(io, acquire(pool, 1s)));
        leases.back().connection = std::make_unique<fake_connection>(id, closed);
    }
    for (auto& l : leases) l.keep();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(workers_connection_pool)

BOOST_AUTO_TEST_CASE(new_slots_up_to_the_limit_then_the_deadline_gives_an_empty_lease) {
    asio::io_context io;
    pool_type pool(2, 60s);
    auto a = run(io, acquire(pool, 1s));
    auto b = run(io, acquire(pool, 1s));
    BOOST_TEST(static_cast<bool>(a));
    BOOST_TEST(!a.reused());
    BOOST_TEST(!a.connection);  // a new slot: the holder connects
    BOOST_TEST(pool.open() == 2u);
    auto c = run(io, acquire(pool, 5ms));  // full: waits until its deadline
    BOOST_TEST(!static_cast<bool>(c));
    BOOST_TEST(pool.waiting() == 0u);
    BOOST_TEST(pool.open() == 2u);
}

BOOST_AUTO_TEST_CASE(a_kept_connection_is_reused_most_recent_first_and_a_dropped_one_closed) {
    asio::io_context io;
    int closed = 0;
    pool_type pool(3, 60s);
    {
        auto dropped = run(io, acquire(pool, 1s));
        dropped.connection = std::make_unique<fake_connection>(3, &closed);
        keep_idle(io, pool, {1, 2}, &closed);
        // `dropped` is let go without keep(): closed, its slot freed
    }
    BOOST_TEST(closed == 1);
    BOOST_TEST(pool.idle() == 2u);
    BOOST_TEST(pool.open() == 2u);
    auto again = run(io, acquire(pool, 1s));
    BOOST_TEST(again.reused());
    BOOST_REQUIRE(again.connection);
    BOOST_TEST(again.connection->id == 2);  // the most recently kept
    again.discard();
    BOOST_TEST(closed == 2);
    BOOST_TEST(pool.open() == 1u);
}

BOOST_AUTO_TEST_CASE(an_idle_connection_past_max_idle_is_closed_not_reused) {
    asio::io_context io;
    int closed = 0;
    pool_type pool(1, -1ms);  // every idle connection is past it
    keep_idle(io, pool, {1}, &closed);
    auto b = run(io, acquire(pool, 1s));
    BOOST_TEST(closed == 1);
    BOOST_TEST(!b.reused());
    BOOST_TEST(!b.connection);
    BOOST_TEST(pool.open() == 1u);
}

BOOST_AUTO_TEST_CASE(waiters_are_served_in_arrival_order_when_connections_come_back) {
    asio::io_context io;
    int closed = 0;
    pool_type pool(1, 60s);
    auto held = run(io, acquire(pool, 1s));
    held.connection = std::make_unique<fake_connection>(7, &closed);
    std::vector<std::string> order;
    std::vector<pool_type::lease> got(2);
    auto waiter = [&](int n) -> asio::awaitable<void> {
        auto l = co_await pool.acquire(steady::now() + 10s);
        order.push_back("waiter" + std::to_string(n) + (l.reused() ? ":reused" : ":new"));
        got[n] = std::move(l);
    };
    asio::co_spawn(io, waiter(0), asio::detached);
    asio::co_spawn(io, waiter(1), asio::detached);
    io.restart();
    io.poll();
    BOOST_TEST(pool.waiting() == 2u);
    held.keep();  // wakes the first waiter with the connection
    io.restart();
    io.poll();
    BOOST_TEST(order == std::vector<std::string>{"waiter0:reused"});
    got[0].discard();  // frees the slot: the second gets a new one
    io.restart();
    io.poll();
    BOOST_TEST((order == std::vector<std::string>{"waiter0:reused", "waiter1:new"}));
    BOOST_TEST(pool.waiting() == 0u);
    BOOST_TEST(closed == 1);
}

BOOST_AUTO_TEST_CASE(a_cancelled_wait_throws_and_leaves_the_queue) {
    asio::io_context io;
    pool_type pool(1, 60s);
    auto held = run(io, acquire(pool, 1s));
    asio::cancellation_signal stop;
    std::exception_ptr error;
    bool finished = false;
    auto on_done = [&](std::exception_ptr e, pool_type::lease) {
        error = e;
        finished = true;
    };
    asio::co_spawn(io, acquire(pool, 10s), asio::bind_cancellation_slot(stop.slot(), on_done));
    io.restart();
    io.poll();
    BOOST_TEST(pool.waiting() == 1u);
    stop.emit(asio::cancellation_type::terminal);
    io.restart();
    io.poll();
    BOOST_REQUIRE(finished);
    BOOST_REQUIRE(error);
    BOOST_CHECK_THROW(std::rethrow_exception(error), boost::system::system_error);
    BOOST_TEST(pool.waiting() == 0u);
    BOOST_TEST(pool.open() == 1u);
}

BOOST_AUTO_TEST_CASE(take_idle_hands_over_every_idle_connection_and_frees_their_slots) {
    asio::io_context io;
    int closed = 0;
    pool_type pool(2, 60s);
    keep_idle(io, pool, {1, 2}, &closed);
    auto idle = pool.take_idle();
    BOOST_TEST(idle.size() == 2u);
    BOOST_TEST(pool.idle() == 0u);
    BOOST_TEST(pool.open() == 0u);
    BOOST_TEST(closed == 0);  // the caller closes them
}

BOOST_AUTO_TEST_SUITE_END()
