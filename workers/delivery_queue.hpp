// The delivery service's bookkeeping of outbox ids: which ids it holds (so
// none is handled twice at once), which wait in the incoming queue, and how
// many count against the queue's capacity. Each held id is in one state:
//
//   incoming -- next() --> loaded -- taken() --> busy -- requeue() --> incoming
//      admit() ----^                                 hold() ----^
//   release() ends any state; clear_incoming() ends every `incoming` one.
//
//   incoming: waiting for a loader to read it;
//   loaded:   read by a loader, or routed to a channel and waiting for a
//             worker;
//   busy:     being sent, waiting for its retry time, or its status unsaved.
//
// The capacity bounds incoming + loaded (what waits in memory for a worker);
// busy ids are bounded by the workers and the outbox. Counts follow from the
// states, so no caller adjusts them by hand.
//
// Threads: none of its own, no lock: its owner calls it from one strand.
// Depends on the standard library only.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

namespace sesame::workers {

class delivery_queue {
public:
    explicit delivery_queue(std::size_t capacity);

    enum class admission { queued, held_already, full };
    // A new id (a notified one, a due message found by the rescan): held and
    // queued as `incoming`, unless it is held already or the queue is full.
    admission admit(const std::string& id);
    // A new id held `busy` without queueing it (a message whose retry time
    // is ahead, found by the start-up replay). False when held already.
    bool hold(const std::string& id);
    // A `busy` id whose retry is due, back to `incoming`. When the queue is
    // full it is released instead (the rescan will find it): false.
    bool requeue(const std::string& id);
    // The oldest `incoming` id, now `loaded`; nullopt when there is none.
    std::optional<std::string> next();
    // A `loaded` id taken by a worker: now `busy`.
    void taken(const std::string& id);
    // Forgets the id, whatever its state.
    void release(const std::string& id);
    // Forgets every `incoming` id (stop: their messages stay pending in the
    // outbox for the next start).
    void clear_incoming();

    bool holds(const std::string& id) const { return states_.count(id) > 0; }
    std::size_t held() const { return states_.size(); }
    std::size_t incoming() const { return incoming_count_; }
    std::size_t counted() const { return incoming_count_ + loaded_count_; }  // against the capacity
    std::size_t capacity() const { return capacity_; }

private:
    enum class state { incoming, loaded, busy };
    void enter(state s);
    void leave(state s);

    std::size_t capacity_;
    std::unordered_map<std::string, state> states_;
    std::deque<std::string> order_;  // incoming ids, oldest first (released ones are skipped)
    std::size_t incoming_count_ = 0;
    std::size_t loaded_count_ = 0;
};

}  // namespace sesame::workers
