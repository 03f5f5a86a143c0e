// Running a short use case on the network thread itself (the hot path: point
// reads from memory and one write batch), then waiting for its group fsync
// without blocking a thread: the work runs inside commit_log::run_deferred,
// so its synced writes reach the log unsynced; the coroutine then suspends
// until the commit log says the returned position is durable, and resumes
// on its own executor. Nothing is answered before that.
//
// Only for work bounded by a few point reads and one batch: a read that
// misses RocksDB's block cache reads the disk on the network thread (well
// under a millisecond on an SSD, and rare: indexes, filters and the hot
// accounts stay cached). Scans, imports, checkpoints and anything that can
// wait on another request go through run_blocking (net/blocking.hpp).
//
// Pass a named callable, never a lambda temporary written inside the
// co_await expression (GCC 12 destroys such temporaries twice).
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "core/error.hpp"
#include "core/ports.hpp"

namespace sesame::net {

// Suspends until `position` is durable; throws infrastructure_error when it
// never will be (a failed fsync: the store is then out of service).
inline boost::asio::awaitable<void> wait_durable(commit_log& log, std::uint64_t position) {
    const bool durable = co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(bool)>(
        [&log, position](auto handler) {
            auto ex = boost::asio::get_associated_executor(handler);
            // std::function wants a copyable callable; the handler is move-only.
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            log.when_durable(position, [ex, shared](bool ok) {
                boost::asio::post(ex, [shared, ok] { std::move(*shared)(ok); });
            });
        },
        boost::asio::use_awaitable);
    if (!durable) throw infrastructure_error("store: écriture non confirmée sur disque");
}

// f() on this thread under run_deferred, then wait_durable; f's exception
// (if any) is rethrown at once.
template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> run_deferred(commit_log& log, F f) {
    using result_type = std::invoke_result_t<F&>;
    if constexpr (std::is_void_v<result_type>) {
        const std::uint64_t position = log.run_deferred([&] { f(); });
        co_await wait_durable(log, position);
    } else {
        std::optional<result_type> value;
        const std::uint64_t position = log.run_deferred([&] { value.emplace(f()); });
        co_await wait_durable(log, position);
        co_return std::move(*value);
    }
}

}  // namespace sesame::net
