// Per-account brute-force lockout (SPEC §3) as plain data and pure
// functions of (state, policy, now). Depends on std and core/time.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/time.hpp"

namespace sesame {

struct lockout_policy {
    std::uint32_t threshold = 5;  // login.lockout_threshold; 0 disables temporary locks
    duration first_lock = std::chrono::minutes(15);  // login.lockout_duration
    std::uint32_t hard_threshold = 20;  // login.hard_lock_threshold; 0 disables the hard lock
    duration hard_window = std::chrono::hours(24);
    duration max_lock = std::chrono::hours(24);  // cap of the doubling
};

struct lockout_state {
    std::uint32_t consecutive_failures = 0;  // since the last success or lock
    std::uint32_t lock_count = 0;            // temporary locks since the last success
    std::optional<timestamp> locked_until;   // last temporary lock (may be past)
    bool hard_locked = false;
    std::vector<timestamp> recent_failures;  // within hard_window, oldest first, at most hard_threshold
};

struct lock_status {
    bool locked = false;
    std::optional<timestamp> until;  // nullopt with locked: only staff or a recovery lifts it
};

struct failure_outcome {
    bool counted = false;       // false when the account was already locked
    bool newly_locked = false;  // this failure started a lock (tell the contact)
    bool hard = false;          // ... and it is the hard lock
    std::optional<timestamp> until;  // end of a new temporary lock
};

// Locked while hard-locked, or while now < locked_until (a lock lifts at
// exactly `until`). Not named `status`: that is result<ok_t> in error.hpp.
lock_status lockout_status(const lockout_state& state, const lockout_policy& policy, timestamp now);

// Counts a wrong password. Callers check lockout_status() first and refuse a
// locked account before verifying any password: attempts during a lock are neither
// verified nor counted, so they do not extend the lock (record_failure on a
// locked account changes nothing and returns counted = false).
//  - failures older than hard_window are forgotten; when hard_threshold
//    failures fall within hard_window, the account is hard-locked (this wins
//    over a temporary lock);
//  - else after `threshold` consecutive failures a temporary lock starts:
//    until = now + first_lock * 2^lock_count (15, 30, 60 min...), capped at
//    max_lock; lock_count grows and consecutive_failures restarts at 0.
failure_outcome record_failure(lockout_state& state, const lockout_policy& policy, timestamp now);

// A successful login: consecutive failures and lock_count are reset (the next
// lock is short again). Failures stay in recent_failures: the hard lock counts
// every failure of the last 24 h. A hard lock is not lifted (a hard-locked
// account cannot log in anyway).
void record_success(lockout_state& state);

// Staff unlock or a completed password recovery: back to a clean state.
void lift(lockout_state& state);

}  // namespace sesame
