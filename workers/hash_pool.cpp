#include "workers/hash_pool.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include "core/log.hpp"

namespace sesame::workers {

hash_pool::hash_pool(std::size_t threads, std::size_t max_waiting) : max_waiting_(max_waiting) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    threads_.reserve(threads);
    try {
        for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
    } catch (...) {
        stop();  // join the threads already started, then report the failure
        throw;
    }
}

hash_pool::~hash_pool() { stop(); }

bool hash_pool::try_submit(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        // queue_.size() + running_ is unchanged when a thread takes a job, so
        // this counts idle threads as slots: free threads + max_waiting.
        if (!stopping_ && job && queue_.size() + running_ < threads_.size() + max_waiting_) {
            queue_.push_back(std::move(job));
        } else {
            rejected_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
    }
    wake_.notify_one();
    return true;
}

void hash_pool::run() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping and drained
            job = std::move(queue_.front());
            queue_.pop_front();
            ++running_;
        }
        try {
            job();
        } catch (const std::exception& e) {
            failed_.fetch_add(1, std::memory_order_relaxed);
            log::error("hash_pool_job_failed", {{"error", e.what()}});
        } catch (...) {
            failed_.fetch_add(1, std::memory_order_relaxed);
            log::error("hash_pool_job_failed", {{"error", "unknown exception"}});
        }
        job = nullptr;  // release captures before counting the job as done
        {
            std::lock_guard lock(mutex_);
            --running_;
        }
        completed_.fetch_add(1, std::memory_order_relaxed);
    }
}

void hash_pool::stop() {
    std::lock_guard join_lock(join_mutex_);
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
}

bool hash_pool::stopped() const {
    std::lock_guard lock(mutex_);
    return stopping_;
}

std::size_t hash_pool::waiting() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

std::size_t hash_pool::running() const {
    std::lock_guard lock(mutex_);
    return running_;
}

}  // namespace sesame::workers
