#include "workers/delivery_queue.hpp"

namespace sesame::workers {

delivery_queue::delivery_queue(std::size_t capacity) : capacity_(capacity) {}

void delivery_queue::enter(state s) {
    if (s == state::incoming) ++incoming_count_;
    if (s == state::loaded) ++loaded_count_;
}

void delivery_queue::leave(state s) {
    if (s == state::incoming) --incoming_count_;
    if (s == state::loaded) --loaded_count_;
}

delivery_queue::admission delivery_queue::admit(const std::string& id) {
    if (states_.count(id)) return admission::held_already;
    if (counted() >= capacity_) return admission::full;
    states_.emplace(id, state::incoming);
    enter(state::incoming);
    order_.push_back(id);
    return admission::queued;
}

bool delivery_queue::hold(const std::string& id) {
    if (!states_.emplace(id, state::busy).second) return false;
    enter(state::busy);
    return true;
}

bool delivery_queue::requeue(const std::string& id) {
    auto it = states_.find(id);
    if (it == states_.end() || it->second != state::busy) return false;
    if (counted() >= capacity_) {
        states_.erase(it);
        return false;
    }
    it->second = state::incoming;
    enter(state::incoming);
    order_.push_back(id);
    return true;
}

std::optional<std::string> delivery_queue::next() {
    while (!order_.empty()) {
        std::string id = std::move(order_.front());
        order_.pop_front();
        auto it = states_.find(id);
        // Skipped: released meanwhile, or released and held again (then it
        // is queued again further back, or not incoming at all).
        if (it == states_.end() || it->second != state::incoming) continue;
        leave(state::incoming);
        it->second = state::loaded;
        enter(state::loaded);
        return id;
    }
    return std::nullopt;
}

void delivery_queue::taken(const std::string& id) {
    auto it = states_.find(id);
    if (it == states_.end() || it->second != state::loaded) return;
    leave(state::loaded);
    it->second = state::busy;
}

void delivery_queue::release(const std::string& id) {
    auto it = states_.find(id);
    if (it == states_.end()) return;
    leave(it->second);
    states_.erase(it);
}

void delivery_queue::clear_incoming() {
    for (const auto& id : order_) {
        auto it = states_.find(id);
        if (it != states_.end() && it->second == state::incoming) {
            leave(state::incoming);
            states_.erase(it);
        }
    }
    order_.clear();
}

}  // namespace sesame::workers
