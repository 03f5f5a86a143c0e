// The staff console's use cases (API.md "Staff routes, in detail"): search,
// read a record with its recovery diagnostics, create and import accounts,
// change contacts, unlock, issue an activation code, read an account's
// journal, look up a reference, read the audit log, manage staff. Each one
// asks core/staff_access.hpp who may do it, and writes its audit line, in
// the same batch as the change it makes. Synchronous and blocking (ports):
// net runs these on the blocking pool, or on the hashing pool for staff
// creation (Argon2). Depends on core only.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/account_import.hpp"
#include "core/account_service.hpp"
#include "core/lockout.hpp"
#include "core/ports.hpp"
#include "core/recovery_service.hpp"
#include "core/staff_access.hpp"
#include "core/staff_account.hpp"

namespace sesame {

// Who is asking: a staff account (acc.staff is set) and its client.
struct staff_caller {
    account acc;
    client_info client;
    const staff_info& info() const { return *acc.staff; }
};

struct search_input {
    std::string q;              // prefix, phone or e-mail; may be empty with an establishment
    std::string establishment;  // filter (UAI) or empty
    std::optional<profile> prof;
    std::size_t limit = 20;     // 1 to 100
    std::string cursor;         // from a previous page's `next`
};

struct account_page {
    std::vector<account> accounts;  // sorted by identifier
    std::string next;               // empty at the end
};

// A flow as staff read it (API.md "flow diagnostic"): contacts masked.
struct attempt_view {
    timestamp at{};
    std::string result;  // accepted, temporary_failure, permanent_failure, delivery_report
    std::string detail;
};
struct message_view {
    std::string message_id;
    channel ch = channel::sms;
    std::string purpose;
    std::string destination;  // masked
    message_status status = message_status::pending;
    std::vector<attempt_view> attempts;
};
struct flow_diagnostic {
    std::string reference;
    flow_kind kind = flow_kind::password_reset;
    timestamp created_at{};
    std::string ip;
    std::string user_agent;
    channel ch = channel::sms;
    std::string destination;  // masked; empty when none (decoys)
    std::string state;        // open, verified, used, expired, closed
    flow_outcome outcome = flow_outcome::sent;
    std::string detail;       // French
    std::uint32_t failed_attempts = 0;
    std::vector<message_view> messages;
    std::string identifier;   // the account, or empty (unknown identifier or contact)
    std::string asked;        // what the user typed, masked when a contact
};

// The diagnostic of one flow, given its messages and the account's current
// recovery epoch (nullopt when the flow has no single account). Pure.
flow_diagnostic diagnose(const recovery_flow& f, const std::vector<outbox_message>& messages,
                         std::optional<std::uint64_t> account_epoch, timestamp now);

struct account_record {
    account acc;
    lock_status lock;
    std::vector<flow_diagnostic> flows;  // newest first, at most 20
};

// PATCH /admin/accounts/{identifier}: each field absent, null (remove) or a value.
struct account_patch {
    std::optional<std::optional<std::string>> phone;
    std::optional<std::optional<std::string>> email;
    std::optional<std::string> class_name;
};

struct created_account {
    std::string identifier;
    std::string activation_code;  // shown once
};

class staff_service {
public:
    staff_service(account_ports ports, flow_repository& flows, outbox_repository& outbox, staff_directory& directory,
                  account_service& accounts, recovery_service& recovery, crypto& c, password_hasher& hasher);

    // GET /admin/accounts: 400 (field q or limit) for a query that finds
    // nothing searchable without an establishment.
    result<account_page> search(const staff_caller& who, const search_input& in, timestamp now);
    // GET /admin/accounts/{identifier}: 404 outside the scope.
    result<account_record> read(const staff_caller& who, std::string_view identifier, timestamp now);
    // POST /admin/accounts: 400 with field, 403 outside the scope, 409 already_exists.
    result<created_account> create(const staff_caller& who,
                                   const std::array<std::string, csv_column_count>& fields, timestamp now);
    // POST /admin/import: rows of establishments outside the scope are errors.
    result<import_report> import(const staff_caller& who, std::string_view csv, timestamp now);
    // PATCH /admin/accounts/{identifier}: 403 for a field the role may not
    // change (nothing changes), 400 with field for a bad value.
    result<account_record> update(const staff_caller& who, std::string_view identifier, const account_patch& patch,
                                  timestamp now);
    // POST /admin/accounts/{identifier}/unlock.
    status unlock(const staff_caller& who, std::string_view identifier, timestamp now);
    // POST /admin/accounts/{identifier}/activation-code: the code, shown once.
    result<std::string> issue_activation_code(const staff_caller& who, std::string_view identifier, timestamp now);
    // GET /admin/accounts/{identifier}/activity.
    result<journal_page> activity(const staff_caller& who, std::string_view identifier, std::size_t limit,
                                  std::string_view before, timestamp now);
    // GET /admin/references/{reference}.
    result<flow_diagnostic> reference(const staff_caller& who, std::string_view reference, timestamp now);
    // GET /admin/audit (not itself audited).
    result<audit_page> audit(const staff_caller& who, std::size_t limit, std::string_view before, timestamp now);

    // POST /admin/staff (Argon2: run on the hashing pool): 400 with field,
    // 409 already_exists.
    result<staff_enrolment> create_staff(const staff_caller& who, const staff_request& r, timestamp now);
    // GET /admin/staff.
    result<std::vector<account>> list_staff(const staff_caller& who, timestamp now);
    // DELETE /admin/staff/{login}: 404 unknown, 409 conflict for one's own;
    // that person's sessions end in the same batch.
    status delete_staff(const staff_caller& who, std::string_view login, timestamp now);

private:
    // The account if the caller may take `action` on it: not_found (absent,
    // staff, or out of scope) or forbidden otherwise; a refusal is audited.
    result<account> target(const staff_caller& who, staff_action action, std::string_view identifier, timestamp now);
    audit_entry audit_line(const staff_caller& who, staff_action action, std::string target, std::string detail,
                           const account* about, timestamp now) const;
    // An audit line alone (reads, refusals): buffered.
    void record(audit_entry e);
    domain_error refused(const staff_caller& who, staff_action action, permission verdict, std::string target,
                         timestamp now);
    account_record record_of(account acc, timestamp now);
    journal_entry journal_line(const staff_caller& who, const char* type, std::string detail, timestamp now) const;

    account_ports ports_;
    flow_repository& flows_;
    outbox_repository& outbox_;
    staff_directory& directory_;
    account_service& accounts_;
    recovery_service& recovery_;
    crypto& crypto_;
    password_hasher& hasher_;
    // New identifiers are chosen one creation at a time (single account,
    // import, staff), so two creators never pick the same free name.
    std::mutex creation_;
};

}  // namespace sesame
