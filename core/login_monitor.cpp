#include "core/login_monitor.hpp"

#include "core/log.hpp"

namespace sesame {

namespace {
constexpr std::int64_t minute_ms = 60'000;
}

const char* to_string(login_refusal r) {
    switch (r) {
        case login_refusal::unknown_identifier: return "unknown_identifier";
        case login_refusal::wrong_password: return "wrong_password";
        case login_refusal::wrong_otp: return "wrong_otp";
        case login_refusal::locked: return "locked";
        case login_refusal::rate_limited: return "rate_limited";
    }
    return "unknown";
}

login_monitor::login_monitor(metrics_registry& registry, std::uint64_t threshold, const clock& clock)
    : threshold_(threshold) {
    for (std::size_t i = 0; i < login_refusal_count; ++i)
        by_reason_[i] = &registry.add_counter("sesame_login_failures_total", "Refused logins, by reason.",
                                              std::string("reason=\"") + to_string(login_refusal(i)) + "\"");
    successes_ = &registry.add_counter("sesame_login_successes_total", "Successful logins.");
    alerts_ = &registry.add_counter("sesame_login_failure_alerts_total",
                                    "Minutes in which refused logins crossed login.alert_failures_per_minute.");
    registry.add_callback("sesame_login_failure_alarm",
                          "1 while refused logins over the last minute exceed login.alert_failures_per_minute.",
                          [this, &clock] { return alarm(clock.now()) ? 1.0 : 0.0; });
}

void login_monitor::roll(std::int64_t minute) const {
    if (minute == minute_) return;
    previous_ = minute == minute_ + 1 ? current_ : 0;
    current_ = 0;
    minute_ = minute;
}

std::uint64_t login_monitor::rate_at(std::int64_t ms) const {
    roll(ms / minute_ms);
    const double covered = 1.0 - double(ms % minute_ms) / double(minute_ms);
    return current_ + std::uint64_t(double(previous_) * covered);
}

std::uint64_t login_monitor::failures_last_minute(timestamp now) const {
    std::lock_guard lock(mu_);
    return rate_at(to_millis(now));
}

void login_monitor::failed(login_refusal why, timestamp now) {
    by_reason_[std::size_t(why)]->inc();
    if (threshold_ == 0) return;
    const std::int64_t ms = to_millis(now);
    std::uint64_t rate;
    bool warn = false;
    {
        std::lock_guard lock(mu_);
        roll(ms / minute_ms);
        ++current_;
        rate = rate_at(ms);
        if (rate > threshold_ && last_warned_minute_ != minute_) {
            last_warned_minute_ = minute_;
            warn = true;
        }
    }
    if (warn) {
        alerts_->inc();
        log::warn("login_failure_alert", {{"failures_last_minute", std::int64_t(rate)},
                                          {"threshold", std::int64_t(threshold_)},
                                          {"advice", "connexions refusées en masse : possible attaque par "
                                                     "bourrage d'identifiants"}});
    }
}

}  // namespace sesame
