#include "workers/id_handoff.hpp"

#include <utility>

namespace sesame::workers {

id_handoff::id_handoff(std::size_t capacity) : capacity_(capacity) {}

std::size_t id_handoff::offer(const std::vector<std::string>& ids, const std::function<void()>& post_wake) {
    std::lock_guard lock(mu_);
    if (closed_) return 0;
    std::size_t refused = 0;
    for (const auto& id : ids) {
        if (batch_.size() >= capacity_) {
            ++refused;
            continue;
        }
        batch_.push_back(id);
    }
    if (!batch_.empty() && !wake_pending_) {
        wake_pending_ = true;
        post_wake();
    }
    return refused;
}

std::vector<std::string> id_handoff::take() {
    std::lock_guard lock(mu_);
    wake_pending_ = false;
    return std::exchange(batch_, {});
}

void id_handoff::close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    batch_.clear();
}

}  // namespace sesame::workers
