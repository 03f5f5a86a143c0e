#include "core/lockout.hpp"

#include <algorithm>

namespace sesame {

namespace {

duration lock_length(const lockout_policy& policy, std::uint32_t lock_count) {
    duration d = policy.first_lock;
    for (std::uint32_t i = 0; i < lock_count && d < policy.max_lock; ++i) d *= 2;
    return std::min(d, policy.max_lock);
}

}  // namespace

lock_status lockout_status(const lockout_state& state, const lockout_policy& policy, timestamp now) {
    if (state.hard_locked) return {true, std::nullopt};
    if (state.locked_until && now < *state.locked_until) return {true, state.locked_until};
    return {};
}

failure_outcome record_failure(lockout_state& state, const lockout_policy& policy, timestamp now) {
    if (lockout_status(state, policy, now).locked) return {};
    failure_outcome out;
    out.counted = true;

    auto& recent = state.recent_failures;
    if (policy.hard_threshold == 0) recent.clear();
    std::erase_if(recent, [&](timestamp t) { return now - t >= policy.hard_window; });
    if (policy.hard_threshold > 0) recent.insert(std::upper_bound(recent.begin(), recent.end(), now), now);
    if (policy.hard_threshold > 0 && recent.size() > policy.hard_threshold)
        recent.erase(recent.begin(), recent.end() - policy.hard_threshold);
    ++state.consecutive_failures;

    if (policy.hard_threshold > 0 && recent.size() >= policy.hard_threshold) {
        state.hard_locked = true;
        state.locked_until.reset();
        state.consecutive_failures = 0;
        out.newly_locked = true;
        out.hard = true;
        return out;
    }
    if (policy.threshold > 0 && state.consecutive_failures >= policy.threshold) {
        const timestamp until = now + lock_length(policy, state.lock_count);
        ++state.lock_count;
        state.consecutive_failures = 0;
        state.locked_until = until;
        out.newly_locked = true;
        out.until = until;
    }
    return out;
}

void record_success(lockout_state& state) {
    state.consecutive_failures = 0;
    state.lock_count = 0;
    if (!state.hard_locked) state.locked_until.reset();
}

void lift(lockout_state& state) { state = lockout_state{}; }

}  // namespace sesame
