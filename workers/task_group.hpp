// The coroutines of one owner, tracked so that a graceful stop can wait for
// them, cancel those still running and know when the last one ended (the
// task group of Beast's and Boost.MySQL's servers): no coroutine is
// detached. Each completion logs an exception (`failure_event`, with the
// task's name). Depends on Asio and core/log.hpp.
//
// Threads: none of its own, no lock: every call, and every task, runs on
// the one strand given at construction.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <list>

namespace sesame::workers {

class task_group {
public:
    task_group(boost::asio::any_io_executor strand, const char* failure_event);
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;

    // Starts `task` on the strand, tracked; `name` is a string literal.
    void spawn(const char* name, boost::asio::awaitable<void> task);

    // Completes with true once no task runs, or with false at `deadline`
    // if some still do. Not cancellable otherwise.
    boost::asio::awaitable<bool> wait(std::chrono::steady_clock::time_point deadline);

    // A terminal cancellation to every task still running.
    void cancel_all();

    std::size_t live() const { return live_; }

private:
    struct task {
        const char* name = "";
        boost::asio::cancellation_signal signal;
        bool running = true;
    };

    boost::asio::any_io_executor strand_;
    const char* failure_event_;
    std::list<task> tasks_;  // never erased: their signals stay valid
    std::size_t live_ = 0;
    boost::asio::steady_timer empty_;  // cancelled when the last task ends
};

}  // namespace sesame::workers
