// Running blocking work (RocksDB calls, checkpoints, CPU-heavy steps, the
// outbox reads and writes of the delivery workers) on a thread pool from a
// coroutine: the caller suspends, the work runs on the pool, the caller
// resumes on its own executor with the result or the exception. The one
// helper for this, used by net and workers alike. Depends on Asio only.
//
// Pass a named callable (`auto task = [...]{...}; co_await run_blocking(pool,
// std::move(task));`), never a lambda temporary written inside the co_await
// expression: GCC 12 destroys such temporaries twice.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace sesame {

// Completes with f()'s value (or rethrows its exception). Not cancellable
// once started: the work always runs to its end. `f` lives in the caller's
// coroutine frame until then.
template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> run_blocking(boost::asio::thread_pool& pool, F f) {
    using result_type = std::invoke_result_t<F&>;
    constexpr bool is_void = std::is_void_v<result_type>;
    using slot_type = std::conditional_t<is_void, bool, result_type>;
    std::optional<slot_type> value;
    std::exception_ptr error;
    co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void()>(
        [&](auto handler) {
            boost::asio::post(pool, [&, handler = std::move(handler)]() mutable {
                try {
                    if constexpr (is_void) {
                        f();
                        value.emplace(true);
                    } else {
                        value.emplace(f());
                    }
                } catch (...) {
                    error = std::current_exception();
                }
                auto ex = boost::asio::get_associated_executor(handler);
                boost::asio::post(ex, std::move(handler));
            });
        },
        boost::asio::use_awaitable);
    if (error) std::rethrow_exception(error);
    if constexpr (!is_void) co_return std::move(*value);
}

}  // namespace sesame
