// The validated configuration: plain structs, parsed once by config::load
// (see load.hpp) from the file, SESAME_* environment and --key flags.
// Nothing else in Sésame reads configuration. Depends on core/time.hpp,
// core/log.hpp (the log level), and core/recovery_policy.hpp and
// core/account_policy.hpp, the one source of the domain's defaults.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "core/account_policy.hpp"
#include "core/recovery_policy.hpp"
#include "core/time.hpp"

namespace sesame::config {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// A sliding-window limit: at most `count` events per `window`.
struct window_limit {
    std::uint32_t count;
    duration window;
};

// The recovery and account numbers are the domain's
// (core/recovery_policy.hpp, core/account_policy.hpp): their defaults are
// read from there, never repeated here.
inline const recovery_policy& recovery_defaults() {
    static const recovery_policy defaults;
    return defaults;
}
inline const account_policy& account_defaults() {
    static const account_policy defaults;
    return defaults;
}
inline window_limit window_of(const rate_limit& l) { return {l.count, l.window}; }

struct http_settings {
    std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
    std::string public_url = "http://127.0.0.1:8080";  // without a trailing "/" (config::load strips it)
    std::optional<std::string> tls_cert;
    std::optional<std::string> tls_key;
    std::vector<std::string> trusted_proxies;  // addresses or CIDR ranges
    bool secure_cookies = false;               // forced true under TLS
    duration read_timeout = seconds(10);
    duration idle_timeout = seconds(60);
    duration handler_timeout = seconds(10);  // a request's handler, once read: 503 past it
    duration shutdown_timeout = seconds(10);  // in-flight requests get this long on SIGTERM
    std::uint32_t threads = 0;                 // 0: number of cores
    std::uint32_t max_header_bytes = 16 * 1024;
    std::uint32_t max_body_bytes = 64 * 1024;
    std::uint32_t max_import_bytes = 64u * 1024 * 1024;
    std::uint32_t max_connections = 10000;
    std::uint32_t max_connections_per_ip = 256;  // addresses in trusted_proxies are exempt
};

struct store_settings {
    std::string path = "./data";
    bool sync_writes = true;  // WAL fsync for writes a user was told succeeded
    std::uint32_t threads = 32;  // blocking-call pool; mostly waiting on fsync, so more than the cores
    // Memtable per column family (all together: three times it). RocksDB
    // also needs this much free disk to leave a full-disk error by itself.
    std::uint32_t memtable_bytes = 32u << 20;
};

struct smtp_settings {
    std::optional<std::string> url;  // unset: file outbox
    std::string from = "Sésame <no-reply@localhost>";
    bool verify_tls = true;
    std::uint32_t concurrency = 4;
    duration timeout = seconds(30);
};

struct dkim_settings {
    std::optional<std::string> domain;
    std::optional<std::string> selector;
    std::optional<std::string> key_file;
};

struct sms_settings {
    std::optional<std::string> url;  // unset: file outbox
    std::string format = "json";     // "json" or "kannel"
    std::optional<std::string> callback_secret;
    std::uint32_t concurrency = 8;
    duration timeout = seconds(10);
};

struct outbox_settings {
    std::string file;  // empty in the raw defaults; load() fills {store.path}/outbox.log
};

struct recovery_settings {
    duration code_ttl = recovery_defaults().code_ttl;
    duration resend_cooldown = recovery_defaults().resend_cooldown;
    std::uint32_t max_attempts = recovery_defaults().max_attempts;
};

struct email_settings {
    duration confirm_ttl = recovery_defaults().email_confirm_ttl;
};

struct workers_settings {
    duration retry_initial = seconds(2);
    duration retry_max = minutes(5);
    std::uint32_t max_attempts = 6;
    std::uint32_t hash_threads = 0;  // 0: number of cores
    std::uint32_t hash_queue = 256;
    std::uint32_t queue_capacity = 65536;  // outbox ids waiting for a worker
};

struct login_settings {
    std::uint32_t lockout_threshold = account_defaults().lockout.threshold;
    duration lockout_duration = account_defaults().lockout.first_lock;
    std::uint32_t hard_lock_threshold = account_defaults().lockout.hard_threshold;
    std::uint32_t alert_failures_per_minute = 1000;  // 0: never
};

struct limits_settings {
    window_limit login_failures_per_ip = window_of(account_defaults().login_failures_per_ip);
    window_limit recovery_per_ip = window_of(recovery_defaults().recovery_per_ip);
    window_limit recovery_per_identifier = window_of(recovery_defaults().recovery_per_identifier);
    window_limit sends_per_destination = window_of(recovery_defaults().sends_per_destination);
    window_limit sms_per_hour = window_of(recovery_defaults().sms_per_hour);
    window_limit code_failures_per_account = window_of(recovery_defaults().code_failures_per_account);
    window_limit code_failures_per_ip = window_of(recovery_defaults().code_failures_per_ip);
};

struct password_settings {
    std::uint32_t argon2_memory_kib = 19456;
    std::uint32_t argon2_iterations = 2;
    std::uint32_t min_length = account_defaults().min_password_length;
};

struct session_settings {
    duration idle_timeout = account_defaults().session_idle;
    duration absolute_timeout = account_defaults().session_absolute;
};

struct log_settings {
    log::level level = log::level::info;  // debug, info, warn, error
};

struct audit_settings {
    duration retention = hours(9600);  // 400 days
};

struct oidc_settings {
    duration access_token_ttl = minutes(10);  // ID and access tokens
    duration refresh_token_ttl = hours(720);
    duration code_ttl = seconds(60);
};

struct demo_settings {
    bool seed = false;  // create demo accounts on an empty store
};

struct settings {
    http_settings http;
    store_settings store;
    smtp_settings smtp;
    dkim_settings dkim;
    sms_settings sms;
    outbox_settings outbox;
    recovery_settings recovery;
    email_settings email;
    audit_settings audit;
    workers_settings workers;
    login_settings login;
    limits_settings limits;
    password_settings password;
    session_settings session;
    log_settings log;
    demo_settings demo;
    oidc_settings oidc;
};

}  // namespace sesame::config
