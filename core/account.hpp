// The account record of SPEC §1, sessions and journal entries: plain data,
// no behaviour beyond small accessors. Depends on core only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/account_row.hpp"
#include "core/lockout.hpp"
#include "core/time.hpp"

namespace sesame {

enum class account_status { pending, active };
const char* to_string(account_status s);

// Staff roles of API.md; scope is a list of UAI (secretariat, vie_scolaire,
// direction) or académies (support); admin is unscoped.
enum class staff_role { secretariat, vie_scolaire, direction, support, admin };
const char* to_string(staff_role r);
std::optional<staff_role> parse_staff_role(std::string_view s);

struct staff_info {
    staff_role role = staff_role::secretariat;
    std::vector<std::string> scope;
    std::string totp_secret;  // raw bytes
    // The time step of the last accepted TOTP code: a code is accepted once.
    std::uint64_t last_totp_step = 0;
};

struct account {
    std::string identifier;  // lower-case ASCII, generated, never changes
    profile prof = profile::eleve;
    std::string first_name;
    std::string last_name;
    std::string establishment;  // UAI
    std::string academie;
    std::string class_name;
    std::string external_id;
    std::optional<std::chrono::year_month_day> birth_date;
    std::vector<std::string> children;  // parents: pupils' external ids
    std::optional<std::string> phone;   // E.164
    std::string email;             // the address on file (imported, or confirmed by the user)
    bool email_validated = false;  // only a validated address receives recovery mail
    std::string pending_email;     // asked for at /me/email, waiting for its confirmation link
    std::string password_hash;                  // PHC string; empty while pending
    std::vector<std::string> password_history;  // previous hashes, newest first
    std::string activation_digest;              // SHA-256 of the activation code; empty once used
    bool must_change_password = false;
    account_status status = account_status::pending;
    lockout_state lockout;
    timestamp created_at{};
    timestamp updated_at{};
    std::optional<timestamp> password_changed_at;
    std::optional<staff_info> staff;
    // Bumped by a new recovery request, a successful login, a password or
    // contact change: every recovery flow made under an older epoch is dead.
    std::uint64_t recovery_epoch = 0;
    std::optional<timestamp> last_login_at;  // the last successful login (staff list, record)
};

// A server-side session. The cookie holds a random token; only its SHA-256
// digest is stored (and is the key).
struct session_record {
    std::string digest;  // raw SHA-256 of the token
    std::string identifier;
    timestamp created_at{};
    timestamp last_seen_at{};
    timestamp absolute_expires_at{};
    std::string ip;
    std::string user_agent;

    timestamp expires_at(duration idle_timeout) const {
        return std::min(absolute_expires_at, last_seen_at + idle_timeout);
    }
    // The id shown to the user (GET /me/sessions): derived from the digest,
    // never the token.
    std::string public_id() const;
};

// Activity journal types of API.md.
namespace journal_type {
inline constexpr const char* login_succeeded = "login_succeeded";
inline constexpr const char* login_failed = "login_failed";
inline constexpr const char* account_locked = "account_locked";
inline constexpr const char* account_unlocked = "account_unlocked";
inline constexpr const char* password_changed = "password_changed";
inline constexpr const char* password_reset = "password_reset";
inline constexpr const char* recovery_requested = "recovery_requested";
inline constexpr const char* code_sent = "code_sent";
inline constexpr const char* code_failed = "code_failed";
inline constexpr const char* identifier_sent = "identifier_sent";
inline constexpr const char* email_change_requested = "email_change_requested";
inline constexpr const char* email_validated = "email_validated";
inline constexpr const char* contact_changed = "contact_changed";
inline constexpr const char* session_revoked = "session_revoked";
inline constexpr const char* activation_completed = "activation_completed";
inline constexpr const char* activation_code_issued = "activation_code_issued";
inline constexpr const char* account_created = "account_created";
inline constexpr const char* account_updated = "account_updated";
}  // namespace journal_type

struct journal_entry {
    timestamp at{};
    std::string type;
    std::string ip;
    std::string user_agent;
    std::string actor;   // "self", "system", or a staff identifier
    std::string detail;  // French, never a secret or an unmasked contact
    std::string cursor;  // filled by the store when read: opaque paging position
};

// A line of the staff audit log (API.md "Staff routes, in detail"): who did
// what to which account, from where. `establishment` and `academie` are the
// target account's (empty for actions about no account), so each reader sees
// the lines of its own scope.
struct audit_entry {
    timestamp at{};
    std::string actor;   // staff login
    std::string role;    // its role then
    std::string action;  // "account.read", "session.login", ...
    std::string target;  // identifier, reference, login or query; may be empty
    std::string ip;
    std::string detail;  // French, never a secret or an unmasked contact
    std::string establishment;
    std::string academie;
    std::string cursor;  // filled by the store when read: opaque paging position
};

// Who is asking: the client of a request.
struct client_info {
    std::string ip;
    std::string user_agent;
};

}  // namespace sesame
