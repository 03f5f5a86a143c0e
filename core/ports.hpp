// The ports core owns: repositories, the rate limiter, the change sink (one
// atomic write) and the outbox notifier. store/ and workers/ implement them;
// tests use in-memory fakes. Every call may block (disk): callers run use
// cases off the network threads. Depends on core only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/account.hpp"
#include "core/name_search.hpp"
#include "core/oidc.hpp"
#include "core/outbox.hpp"
#include "core/rate_window.hpp"
#include "core/recovery_flow.hpp"

namespace sesame {

// Everything one use case writes, applied as one atomic batch.
struct changes {
    // Accounts written whole. The store derives their index changes (phone,
    // e-mail, external id, names) from the record it holds, which the use
    // case read under lock_account: nothing to keep in step by hand.
    std::vector<account> accounts;
    std::vector<session_record> sessions_put;  // stored until their absolute expiry
    std::vector<session_record> sessions_deleted;
    std::vector<std::pair<std::string, journal_entry>> journal;  // identifier, entry
    std::vector<outbox_message> outbox;
    std::vector<recovery_flow> flows_put;  // kept until keep_until()
    std::vector<account> accounts_deleted;  // with their index entries (staff deletion)
    std::vector<audit_entry> audit;         // staff audit lines, kept audit.retention
    oidc_changes oidc;                      // codes, grants, refresh tokens, clients (core/oidc.hpp)
    // Whether apply() fsyncs before returning: by default, yes. A use case
    // may waive it (false) for what may be lost with the machine but never
    // with the process: sessions touched, journal lines, a wrong code or a
    // failed login counted, a login's last-seen fields (an Argon2 thread
    // must not park on an fsync for those). A batch holding a message to
    // send or an account deletion is synced whatever this says (must_sync).
    bool synced = true;

    bool must_sync() const { return synced || !outbox.empty() || !accounts_deleted.empty(); }

    bool empty() const {
        return accounts.empty() && sessions_put.empty() && sessions_deleted.empty() && journal.empty() &&
               outbox.empty() && flows_put.empty() && accounts_deleted.empty() && audit.empty() &&
               oidc.empty();
    }
    void add_journal(const std::string& identifier, journal_entry e) { journal.emplace_back(identifier, std::move(e)); }
};

class account_repository {
public:
    virtual ~account_repository() = default;
    virtual std::optional<account> find_account(std::string_view identifier) = 0;
    virtual bool identifier_exists(std::string_view identifier) = 0;
    virtual std::optional<std::string> identifier_by_external_id(std::string_view establishment,
                                                                 std::string_view external_id) = 0;
    virtual std::vector<std::string> identifiers_by_phone(std::string_view e164) = 0;
    virtual std::vector<std::string> identifiers_by_email(std::string_view email) = 0;
    // Serialises read-modify-write sequences on one account (counters,
    // single use). Hold it from the read to the apply().
    virtual std::unique_lock<std::mutex> lock_account(std::string_view identifier) = 0;
};

class session_repository {
public:
    virtual ~session_repository() = default;
    virtual std::optional<session_record> find_session(std::string_view digest, timestamp now) = 0;
    virtual std::vector<session_record> sessions_of(std::string_view identifier, timestamp now) = 0;
};

struct journal_page {
    std::vector<journal_entry> entries;  // newest first
    std::string next;                    // cursor for the next page; empty at the end
};

class journal_repository {
public:
    virtual ~journal_repository() = default;
    // `before`: a cursor from a previous page, or empty for the newest.
    virtual journal_page read_journal(std::string_view identifier, std::size_t limit, std::string_view before,
                                      timestamp now) = 0;
};

// Sliding windows kept by key ("login_fail_ip:203.0.113.7"). Each call is
// atomic with respect to the same key.
class rate_limiter {
public:
    virtual ~rate_limiter() = default;
    virtual rate_decision check(std::string_view key, const rate_limit& limit, timestamp now) = 0;
    virtual void add(std::string_view key, const rate_limit& limit, timestamp now) = 0;
    // check + add when allowed, in one step.
    virtual rate_decision take(std::string_view key, const rate_limit& limit, timestamp now) = 0;
};

class flow_repository {
public:
    virtual ~flow_repository() = default;
    virtual std::optional<recovery_flow> find_flow(std::string_view id, timestamp now) = 0;
    virtual std::optional<recovery_flow> find_flow_by_reference(std::string_view reference, timestamp now) = 0;
    // The newest flows about an account, newest first (staff diagnostics).
    virtual std::vector<recovery_flow> flows_of(std::string_view identifier, std::size_t limit, timestamp now) = 0;
    // Serialises verify / resend / reset on one flow (single use).
    virtual std::unique_lock<std::mutex> lock_flow(std::string_view id) = 0;
};

class change_sink {
public:
    virtual ~change_sink() = default;
    // Applies every change in one atomic write; throws infrastructure_error.
    virtual void apply(const changes& c) = 0;
};

// What the staff console reads besides single accounts: the name-prefix
// search (core/name_search.hpp), the staff list and the audit log.
struct audit_page {
    std::vector<audit_entry> entries;  // newest first
    std::string next;                  // cursor for the next page; empty at the end
};

class staff_directory {
public:
    virtual ~staff_directory() = default;
    // User accounts (never staff) with a name token or identifier starting
    // with `q.prefix`, kept by `q.keep`, sorted by identifier, strictly after
    // `q.after`: at most q.limit + 1 identifiers (one more says a next page
    // exists).
    virtual std::vector<std::string> search_names(const name_search& q) = 0;
    // Every account of one establishment (UAI), in no particular order.
    virtual std::vector<std::string> identifiers_in(std::string_view establishment) = 0;
    // Every staff account, by login.
    virtual std::vector<account> staff_accounts() = 0;
    // The audit log, newest first, strictly older than `before` (a cursor
    // from a previous page, or empty), keeping lines `visible` accepts;
    // at most `limit` lines, and at most `scan_budget` lines examined per
    // page (a sparse reader then gets a shorter page with a `next`).
    virtual audit_page read_audit(std::size_t limit, std::string_view before,
                                  const std::function<bool(const audit_entry&)>& visible, timestamp now,
                                  std::size_t scan_budget = 10000) = 0;
};

// The durable outbox as the delivery workers see it.
class outbox_repository {
public:
    virtual ~outbox_repository() = default;
    // Messages still to send (status pending), oldest next_attempt_at first.
    virtual std::vector<outbox_message> pending_outbox(timestamp now) = 0;
    virtual std::optional<outbox_message> find_message(std::string_view id) = 0;
    // Stores the message's new status and attempts; synced when `durable`.
    virtual void update_message(const outbox_message& m, bool durable) = 0;
    // Serialises read-modify-write sequences on one message (the worker
    // recording its send, a gateway's delivery report arriving meanwhile).
    virtual std::unique_lock<std::mutex> lock_message(std::string_view id) = 0;
};

// A bounded queue of CPU-bound jobs run off the network threads (Argon2
// hashing): net submits to it, workers implement it. Never blocks: false
// when the queue is full or stopping (the caller answers 503 `overloaded`).
// A job reports its own outcome; it may run on another thread.
class job_queue {
public:
    virtual ~job_queue() = default;
    virtual bool try_submit(std::function<void()> job) = 0;
};

// Group commit as the network threads use it. A use case run through
// run_deferred() writes its batches to the log without waiting for their
// fsync (change_sink::apply then returns before its write is durable); the
// caller gets back the log position that covers everything the use case
// wrote or read, and must not tell anyone what it did (answer, send a
// message) before when_durable() has said that position is on disk.
// Outside run_deferred, apply() waits for durability as it says.
class commit_log {
public:
    virtual ~commit_log() = default;
    virtual std::uint64_t run_deferred(const std::function<void()>& work) = 0;
    // done(true) once `position` is durable: at once, on this thread, when
    // it already is; else later from another thread, so `done` must be quick
    // and never block. done(false) when it never will be (a failed fsync).
    virtual void when_durable(std::uint64_t position, std::function<void(bool durable)> done) = 0;
};

// Told the ids of messages just committed to the outbox, so workers can
// send them without polling. Must not block.
class outbox_notifier {
public:
    virtual ~outbox_notifier() = default;
    virtual void notify(const std::vector<std::string>& message_ids) = 0;
};

// The collaborators of the account use cases.
struct account_ports {
    account_repository& accounts;
    session_repository& sessions;
    journal_repository& journal;
    rate_limiter& limits;
    change_sink& sink;
    outbox_notifier& notifier;
};

}  // namespace sesame
