// The numbers of the account use cases (SPEC §3): lockout, the per-address
// window on failed logins, session timeouts, password rules. Their defaults
// live here only; config reads them from here (config/settings.hpp).
// Depends on core/lockout.hpp and core/rate_window.hpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/lockout.hpp"
#include "core/rate_window.hpp"

namespace sesame {

struct account_policy {
    lockout_policy lockout;
    rate_limit login_failures_per_ip{100, std::chrono::minutes(15)};
    duration session_idle = std::chrono::minutes(30);
    duration session_absolute = std::chrono::hours(12);
    std::uint32_t min_password_length = 12;
    std::size_t password_history = 5;  // the current one included
    std::string public_host;           // for message texts ("sesame.example.fr")
};

}  // namespace sesame
