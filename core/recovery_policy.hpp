// The numbers of the recovery flows (SPEC §2). This struct is the one
// source of their defaults: config/settings.hpp takes the configurable ones
// from here (recovery.*, email.confirm_ttl, limits.*), and app/wiring.cpp
// copies the loaded settings back in; the others are fixed rules. Core owns
// them because they are the domain's rules, which its unit tests check
// without any configuration. Depends on core only.
#pragma once

#include <cstdint>
#include <string>

#include "core/rate_window.hpp"
#include "core/time.hpp"

namespace sesame {

struct recovery_policy {
    duration code_ttl = std::chrono::minutes(30);           // recovery.code_ttl
    duration resend_cooldown = std::chrono::seconds(60);    // recovery.resend_cooldown
    std::uint32_t max_attempts = 5;                         // recovery.max_attempts
    duration email_confirm_ttl = std::chrono::hours(24);    // email.confirm_ttl
    rate_limit recovery_per_ip{30, std::chrono::hours(1)};  // limits.*
    rate_limit recovery_per_identifier{5, std::chrono::hours(1)};
    rate_limit sends_per_destination{5, std::chrono::hours(1)};
    rate_limit sms_per_hour{10000, std::chrono::hours(1)};
    rate_limit code_failures_per_account{20, std::chrono::hours(24)};
    rate_limit code_failures_per_ip{50, std::chrono::hours(1)};
    // Fixed.
    duration token_ttl = std::chrono::minutes(15);  // reset and activation tokens
    std::uint32_t max_birth_date_attempts = 3;
    // From http.public_url, without a trailing slash (config::load strips it).
    std::string public_url = "http://127.0.0.1:8080";
    std::string public_host = "127.0.0.1:8080";
};

}  // namespace sesame
