#include "app/wiring.hpp"

namespace sesame::app {

namespace {
rate_limit limit_of(const config::window_limit& w) { return {w.count, w.window}; }
}  // namespace

account_policy make_account_policy(const config::settings& cfg) {
    account_policy p;
    p.lockout.threshold = cfg.login.lockout_threshold;
    p.lockout.first_lock = cfg.login.lockout_duration;
    p.lockout.hard_threshold = cfg.login.hard_lock_threshold;
    p.login_failures_per_ip = limit_of(cfg.limits.login_failures_per_ip);
    p.session_idle = cfg.session.idle_timeout;
    p.session_absolute = cfg.session.absolute_timeout;
    p.min_password_length = cfg.password.min_length;
    p.public_host = public_host(cfg.http.public_url);
    return p;
}

recovery_policy make_recovery_policy(const config::settings& cfg) {
    recovery_policy p;
    p.code_ttl = cfg.recovery.code_ttl;
    p.resend_cooldown = cfg.recovery.resend_cooldown;
    p.max_attempts = cfg.recovery.max_attempts;
    p.email_confirm_ttl = cfg.email.confirm_ttl;
    p.recovery_per_ip = limit_of(cfg.limits.recovery_per_ip);
    p.recovery_per_identifier = limit_of(cfg.limits.recovery_per_identifier);
    p.sends_per_destination = limit_of(cfg.limits.sends_per_destination);
    p.sms_per_hour = limit_of(cfg.limits.sms_per_hour);
    p.code_failures_per_account = limit_of(cfg.limits.code_failures_per_account);
    p.code_failures_per_ip = limit_of(cfg.limits.code_failures_per_ip);
    p.public_url = cfg.http.public_url;
    p.public_host = public_host(cfg.http.public_url);
    return p;
}

std::string public_host(const std::string& url) {
    auto start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    const auto end = url.find('/', start);
    return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace sesame::app
