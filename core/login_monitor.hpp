// Makes credential stuffing visible (SPEC §3, issue "under attack"): every
// refused login is counted by reason, and the global failure rate over the
// last minute is watched against login.alert_failures_per_minute; crossing
// it logs one warning (again at most once a minute while it lasts) and
// raises a gauge. Thread-safe, lock-free counters; explicit time.
// Depends on core (metrics, log, time) only.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>

#include "core/metrics.hpp"
#include "core/time.hpp"

namespace sesame {

enum class login_refusal {
    unknown_identifier,
    wrong_password,
    wrong_otp,
    locked,
    rate_limited,
};
inline constexpr std::size_t login_refusal_count = 5;
const char* to_string(login_refusal r);

class login_monitor {
public:
    // `threshold`: failures per minute (all accounts) past which the alarm
    // rises; 0 never alarms. Counters are registered in `registry`.
    // `clock` (for the alarm gauge) must outlive the monitor.
    login_monitor(metrics_registry& registry, std::uint64_t threshold, const clock& clock);

    void failed(login_refusal why, timestamp now);
    void succeeded() { successes_->inc(); }

    // Failures in the current one-minute window and the previous one,
    // weighted by how much of the previous one the sliding minute still
    // covers.
    std::uint64_t failures_last_minute(timestamp now) const;
    bool alarm(timestamp now) const { return threshold_ > 0 && failures_last_minute(now) > threshold_; }
    std::uint64_t failures(login_refusal why) const { return by_reason_[std::size_t(why)]->value(); }

private:
    // Callers hold mu_.
    void roll(std::int64_t minute) const;
    std::uint64_t rate_at(std::int64_t ms) const;

    std::uint64_t threshold_;
    std::array<counter*, login_refusal_count> by_reason_{};
    counter* successes_ = nullptr;
    counter* alerts_ = nullptr;
    // Two one-minute buckets: [minute, count] of the current and the previous.
    mutable std::mutex mu_;
    mutable std::int64_t minute_ = 0;
    mutable std::uint64_t current_ = 0;
    mutable std::uint64_t previous_ = 0;
    std::int64_t last_warned_minute_ = -1;
};

}  // namespace sesame
