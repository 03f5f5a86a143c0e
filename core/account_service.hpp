// Account use cases: login, sessions, password change, activity journal.
// Synchronous and blocking (store and Argon2 behind ports): net runs them on
// the hashing pool (login, password change) or the blocking pool (the rest).
// Depends on core only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/account.hpp"
#include "core/account_policy.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/lockout.hpp"
#include "core/login_monitor.hpp"
#include "core/ports.hpp"
#include "core/rate_window.hpp"

namespace sesame {


struct login_input {
    std::string identifier;
    std::string password;
    std::optional<std::string> otp;
    client_info client;
};

// What a login tells its caller of the account: the fields the answer
// shows, never the password hash, the contacts or the counters.
struct signed_in_account {
    std::string identifier;
    profile prof = profile::eleve;
    std::string first_name;
    std::string last_name;
    bool must_change_password = false;
    std::optional<staff_info> staff;  // role and scope of a staff account
};

struct login_success {
    signed_in_account acc;
    std::string token;  // goes into the cookie; never stored
    timestamp expires_at{};
};

struct authenticated {
    account acc;
    session_record session;
};

struct password_change_input {
    std::string current_password;
    std::string new_password;
    client_info client;
};

class account_service {
public:
    account_service(account_ports ports, crypto& c, password_hasher& hasher, account_policy policy);

    // The timing-equaliser hash for unknown identifiers; computed once.
    void set_dummy_hash(std::string h) { dummy_hash_ = std::move(h); }
    // Counts refused logins by reason (credential stuffing made visible);
    // optional, must outlive the service.
    void set_monitor(login_monitor* m) { monitor_ = m; }

    // 401 invalid_credentials (same body for unknown identifier and wrong
    // password), 401 otp_required (staff), 423 account_locked, 429 (address).
    result<login_success> login(const login_input& in, timestamp now);

    // The session behind a cookie token, touched (last_seen) at most once a
    // minute; 401 unauthenticated when absent, expired or revoked.
    result<authenticated> authenticate(std::string_view token, const client_info& client, timestamp now);
    void logout(std::string_view token, timestamp now);

    std::vector<session_record> sessions(const authenticated& who, timestamp now);
    // 404 not_found when `public_id` names no session of this account.
    status revoke_session(const authenticated& who, std::string_view public_id, const client_info& client,
                          timestamp now);
    void revoke_other_sessions(const authenticated& who, const client_info& client, timestamp now);

    // 401 invalid_credentials (counted as a failed login), 422 weak_password.
    status change_password(const authenticated& who, const password_change_input& in, timestamp now);

    journal_page activity(const authenticated& who, std::size_t limit, std::string_view before, timestamp now);

    const account_policy& policy() const { return policy_; }

    // A new session for `acc`, added to `out` (for flows that log the user
    // in, like parent activation). The token goes into the cookie.
    login_success open_session(const account& acc, const client_info& client, timestamp now, changes& out);
    // Every session of the account but `keep_digest`, added to `out` for
    // deletion, with every single sign-on grant not made in `keep_digest`.
    void delete_sessions(const std::string& identifier, changes& out, timestamp now, std::string_view keep_digest = {});

private:
    // What the expensive part of a login found, before the account lock.
    struct credential_check {
        bool password_ok = false;
        bool with_activation_code = false;  // a pending account's first login
        bool otp_ok = true;                 // staff: a fresh TOTP code
        std::optional<std::uint64_t> otp_step;
        std::string rehashed;  // the password under the current Argon2 cost, when it changed
    };
    credential_check check_credentials(const account& seen, const login_input& in, timestamp now);
    // The per-address window counted, the refusal observed.
    domain_error refuse_login(errc code, login_refusal why, const std::string& ip_key, timestamp now);
    // 423 (counted like a refusal) while the account is locked.
    std::optional<domain_error> lockout_refusal(const account& acc, const std::string& ip_key, timestamp now);
    // Under the account lock, on a fresh read: the failure counted (and the
    // lock it may start), or the login and its new session.
    void commit_failed_login(account acc, bool password_ok, const client_info& client, timestamp now);
    login_success commit_login(account acc, const credential_check& checked, const client_info& client, timestamp now);

    std::string new_message_id();
    void record_login_failure(account& acc, changes& out, const client_info& client, timestamp now,
                              std::string_view detail);
    session_record new_session(const account& acc, const client_info& client, timestamp now, std::string& token);
    void commit(const changes& c);
    void observe(login_refusal why, timestamp now) {
        if (monitor_) monitor_->failed(why, now);
    }

    account_ports ports_;
    crypto& crypto_;
    password_hasher& hasher_;
    account_policy policy_;
    std::string dummy_hash_;
    login_monitor* monitor_ = nullptr;
};

// The ip key of the per-address login failure window.
std::string login_failure_key(std::string_view ip);

}  // namespace sesame
