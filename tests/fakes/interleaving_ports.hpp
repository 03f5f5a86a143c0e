// Decorators of memory_ports for the recovery tests: a flow repository that
// lets a test run a second request while the first holds a flow's lock
// (and tells whether that request had to wait for it), and a change sink
// that keeps every batch it applies. Header-only; core and the standard
// library only.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/fakes/memory_ports.hpp"

namespace sesame::testing {

class interleaving_flows final : public flow_repository {
public:
    explicit interleaving_flows(memory_ports& inner) : inner_(inner) {}

    // Run once, on the thread of the next find_flow, after its read (a use
    // case reads its flow under the flow's lock).
    std::function<void()> after_find;

    std::optional<recovery_flow> find_flow(std::string_view id, timestamp now) override {
        auto f = inner_.find_flow(id, now);
        if (after_find) {
            auto hook = std::move(after_find);
            after_find = nullptr;
            hook();
        }
        return f;
    }
    std::optional<recovery_flow> find_flow_by_reference(std::string_view reference, timestamp now) override {
        return inner_.find_flow_by_reference(reference, now);
    }
    std::vector<recovery_flow> flows_of(std::string_view identifier, std::size_t limit, timestamp now) override {
        return inner_.flows_of(identifier, limit, now);
    }
    // A lock that was held by another request counts as a wait.
    std::unique_lock<std::mutex> lock_flow(std::string_view id) override {
        std::mutex* m;
        {
            std::lock_guard lock(state_);
            auto& slot = locks_[std::string(id)];
            if (!slot) slot = std::make_unique<std::mutex>();
            m = slot.get();
        }
        if (m->try_lock()) return std::unique_lock<std::mutex>(*m, std::adopt_lock);
        {
            std::lock_guard lock(state_);
            ++waits_;
        }
        changed_.notify_all();
        return std::unique_lock<std::mutex>(*m);
    }

    // Blocks until a lock_flow waited, or `done()` (checked on notify()).
    void wait_for_a_wait_or(const std::function<bool()>& done) {
        std::unique_lock lock(state_);
        changed_.wait(lock, [&] { return waits_ > 0 || done(); });
    }
    void notify() {
        { std::lock_guard lock(state_); }
        changed_.notify_all();
    }
    std::size_t waits() const {
        std::lock_guard lock(state_);
        return waits_;
    }

private:
    memory_ports& inner_;
    mutable std::mutex state_;
    std::condition_variable changed_;
    std::map<std::string, std::unique_ptr<std::mutex>> locks_;
    std::size_t waits_ = 0;
};

// Applies to memory_ports and keeps a copy of every batch, in order.
class recording_sink final : public change_sink {
public:
    explicit recording_sink(memory_ports& inner) : inner_(inner) {}
    void apply(const changes& c) override {
        inner_.apply(c);
        std::lock_guard lock(mutex_);
        batches_.push_back(c);
    }
    std::vector<changes> batches() const {
        std::lock_guard lock(mutex_);
        return batches_;
    }
    void clear() {
        std::lock_guard lock(mutex_);
        batches_.clear();
    }

private:
    memory_ports& inner_;
    mutable std::mutex mutex_;
    std::vector<changes> batches_;
};

}  // namespace sesame::testing
