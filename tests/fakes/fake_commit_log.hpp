// A commit_log whose "fsync" the test performs: a write is `++written`,
// run_deferred returns the newest position, when_durable holds the
// callbacks until sync() or fail().
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "core/ports.hpp"

namespace sesame::testing {

class fake_commit_log final : public commit_log {
public:
    std::uint64_t run_deferred(const std::function<void()>& work) override {
        ++deferred_runs;
        work();
        return written;
    }
    void when_durable(std::uint64_t position, std::function<void(bool)> done) override {
        if (position <= durable) done(true);
        else waiting.emplace_back(position, std::move(done));
    }
    // Everything written so far becomes durable; its waiters are told.
    void sync() {
        durable = written;
        answer(true);
    }
    void fail() { answer(false); }

    std::uint64_t written = 0, durable = 0;
    int deferred_runs = 0;
    std::vector<std::pair<std::uint64_t, std::function<void(bool)>>> waiting;

private:
    void answer(bool ok) {
        auto settled = std::move(waiting);
        waiting.clear();
        for (auto& w : settled) w.second(ok);
    }
};

}  // namespace sesame::testing
