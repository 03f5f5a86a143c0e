// Running a job on the bounded hashing pool from a coroutine. When the pool
// refuses (its queue is full, or it is stopping) the coroutine resumes at
// once with nullopt, and the caller answers 503 `overloaded`.
// Depends on Asio and core/ports.hpp (the job_queue port; workers implement it).
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>

#include "core/ports.hpp"

namespace sesame::net {

// Completes with f()'s value, or nullopt when refused; rethrows f's
// exception. Pass a named callable, never a lambda temporary written inside
// the co_await expression (GCC 12 destroys those twice).
template <class F>
boost::asio::awaitable<std::optional<std::invoke_result_t<F&>>> run_hashing(job_queue& pool, F f) {
    using result_type = std::invoke_result_t<F&>;
    std::optional<result_type> value;
    std::exception_ptr error;
    co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void()>(
        [&](auto handler) {
            using handler_type = decltype(handler);
            auto shared = std::make_shared<handler_type>(std::move(handler));
            auto resume = [](std::shared_ptr<handler_type> h) {
                auto ex = boost::asio::get_associated_executor(*h);
                boost::asio::post(ex, std::move(*h));
            };
            const bool accepted = pool.try_submit([&, shared, resume] {
                try {
                    value.emplace(f());
                } catch (...) {
                    error = std::current_exception();
                }
                resume(shared);
            });
            if (!accepted) resume(shared);
        },
        boost::asio::use_awaitable);
    if (error) std::rethrow_exception(error);
    co_return std::move(value);
}

}  // namespace sesame::net
