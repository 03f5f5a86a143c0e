// A bounded CPU pool for slow, CPU-bound jobs (Argon2id hashing) kept off the
// network threads: core's job_queue port, wired by app. Standard library
// only (no Asio here), so it is testable on its own; core/log.hpp reports
// jobs that throw.
//
// HOW NET USES IT (through the port: net/hashing.hpp's run_hashing, which
// never names this class). The caller wraps try_submit() into an awaitable: the job
// captures the coroutine's executor and completion handler, computes the hash
// on a pool thread, then posts its completion back to that executor (never
// resumes the coroutine on the pool thread). When try_submit() returns false
// the queue is full or the pool is stopping: the caller answers 503
// `overloaded` with Retry-After at once instead of waiting (SPEC §3, §7).
// Jobs are std::function (copyable): put move-only state in a shared_ptr.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/ports.hpp"

namespace sesame::workers {

class hash_pool final : public job_queue {
public:
    // `threads` workers (0: std::thread::hardware_concurrency(), at least 1);
    // at most `max_waiting` accepted jobs may wait for a thread. With
    // max_waiting == 0 a job is accepted only if a thread is idle right now.
    hash_pool(std::size_t threads, std::size_t max_waiting);
    ~hash_pool();  // stop()
    hash_pool(const hash_pool&) = delete;
    hash_pool& operator=(const hash_pool&) = delete;

    // Never blocks. Queues `job` and returns true, or returns false (and
    // counts a rejection) when `max_waiting` jobs are already waiting behind
    // busy threads, or after stop(). A job that throws is logged through
    // sesame::log::error and its thread carries on; jobs report their own
    // outcome (the pool has no result channel).
    bool try_submit(std::function<void()> job) override;

    // Stops accepting, lets every queued job run, joins the threads.
    // Idempotent; must not be called from inside a job.
    void stop();
    // True once stop() has begun: no job is accepted any more.
    bool stopped() const;

    // Accepted jobs not yet started (a job just handed to an idle thread
    // counts here for the instant before that thread picks it up).
    std::size_t waiting() const;
    // Jobs being executed right now.
    std::size_t running() const;
    std::size_t threads() const { return threads_.size(); }

    // Counters for /metrics, monotonic.
    std::uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }
    std::uint64_t completed() const { return completed_.load(std::memory_order_relaxed); }  // threw or not
    std::uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }        // threw

private:
    void run();

    const std::size_t max_waiting_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;  // guarded by mutex_
    std::size_t running_ = 0;                  // guarded by mutex_
    bool stopping_ = false;                    // guarded by mutex_
    std::mutex join_mutex_;                    // serialises concurrent stop() calls
    std::vector<std::thread> threads_;
    std::atomic<std::uint64_t> rejected_{0};
    std::atomic<std::uint64_t> completed_{0};
    std::atomic<std::uint64_t> failed_{0};
};

}  // namespace sesame::workers
