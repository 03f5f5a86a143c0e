// Running blocking work (RocksDB calls, checkpoints) on a thread pool from a
// coroutine: the caller suspends, the work runs on the pool, the caller
// resumes on its own executor with the result or the exception.
// Depends on Asio only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>
#include <utility>

namespace sesame::net {

// Completes with f()'s value (or rethrows its exception). Not cancellable
// once started: the work always runs to its end. `f` is moved into the task.
template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> run_blocking(boost::asio::thread_pool& pool, F f) {
    using result_type = std::invoke_result_t<F&>;
    co_return co_await boost::asio::co_spawn(
        pool.get_executor(),
        [f = std::move(f)]() mutable -> boost::asio::awaitable<result_type> { co_return f(); },
        boost::asio::use_awaitable);
}

}  // namespace sesame::net
