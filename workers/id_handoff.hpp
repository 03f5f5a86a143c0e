// Outbox ids handed from any thread to one strand in batches: offer() appends
// under a short lock and asks for a wake-up only when none is pending, so
// however many requests commit meanwhile, one post carries all their ids;
// the wake-up take()s the whole batch. Bounded: past `capacity` ids waiting,
// more are refused (the caller counts them; their messages stay pending in
// the outbox, where the rescan finds them). close() refuses everything after.
//
// Threads: offer() and close() from any thread; take() from the strand the
// wake-ups are posted to. Depends on the standard library only.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace sesame::workers {

class id_handoff {
public:
    explicit id_handoff(std::size_t capacity);

    // Appends the ids that fit; returns how many did not. When the batch was
    // empty and no wake-up is pending, calls `post_wake` (under the lock, so
    // no wake-up is posted after close() returned): it must post a call of
    // take() to the strand and never block. Closed: ignores the ids, returns 0.
    std::size_t offer(const std::vector<std::string>& ids, const std::function<void()>& post_wake);

    // The batch, oldest first; the next offer() asks for a new wake-up.
    std::vector<std::string> take();

    // Later offers are ignored; the waiting batch is dropped.
    void close();

private:
    std::mutex mu_;
    std::size_t capacity_;
    std::vector<std::string> batch_;
    bool wake_pending_ = false;
    bool closed_ = false;
};

}  // namespace sesame::workers
