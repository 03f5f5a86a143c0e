// Running a blocking call (an outbox_repository read or write) on a thread
// pool from a coroutine: the caller suspends, the call runs on the pool, the
// caller resumes on its own executor with the result or the exception.
// workers/ must not depend on net/, so this is net/blocking.hpp's pattern
// again. Depends on Asio only.
//
// Pass a named callable (`auto task = [...]{...}; co_await offload(pool,
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

namespace sesame::workers {

// Completes with f()'s value (or rethrows its exception). Not cancellable
// once started: the call always runs to its end, and the caller resumes
// only then. `f` lives in the caller's coroutine frame until then.
template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> offload(boost::asio::thread_pool& pool, F f) {
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

}  // namespace sesame::workers
