#include "app/wiring.hpp"

namespace sesame::app {

account_policy make_account_policy(const config::settings& cfg) {
    account_policy p;
    p.lockout.threshold = cfg.login.lockout_threshold;
    p.lockout.first_lock = cfg.login.lockout_duration;
    p.lockout.hard_threshold = cfg.login.hard_lock_threshold;
    p.login_failures_per_ip = {cfg.limits.login_failures_per_ip.count, cfg.limits.login_failures_per_ip.window};
    p.session_idle = cfg.session.idle_timeout;
    p.session_absolute = cfg.session.absolute_timeout;
    p.min_password_length = cfg.password.min_length;
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
