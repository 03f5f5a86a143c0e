// core's repository ports (accounts, sessions, journal, rate limits, the
// change sink) and the outbox of the delivery workers, on the RocksDB
// database. Depends on core/ports.hpp, store/database.hpp and
// store/records.hpp (every byte layout lives there).
//
// KEY LAYOUT (family: key -> value; parts joined by 0x00, see store/codec.hpp)
//   accounts:     identifier -> account record
//   external_ids: establishment 0 external_id -> identifier
//   phones:       e164 0 identifier -> ""            (every account with that mobile)
//   emails:       email 0 identifier -> ""           (validated or not: the use case
//                                                      checks email_validated)
//   sessions:     "s" 0 digest -> session record       expiry = absolute_expires_at
//                 "a" 0 identifier 0 digest -> ""       expiry = absolute_expires_at
//                 (digest: raw SHA-256 bytes, last part; the idle timeout is the
//                 use case's business, the store only knows the absolute expiry)
//   journal:      identifier 0 time(at) 0 u64 sequence -> entry, expiry = at + 400 days
//                 (sequence: process-wide atomic counter, so entries of the same
//                 millisecond never overwrite each other and keep their order)
//   windows:      rate-limit key (as given) -> encode_rate_window,
//                 expiry = now + window (+ one bucket in the bucketed layout)
//   outbox:       message id -> outbox message       (no expiry for now)
//   staff:        login -> ""                        (every staff account)
//   names:        token 0 identifier -> name_entry   (name_search_tokens of each user
//                                                      account: name-prefix search)
//   audit:        "a" 0 time(at) 0 u64 sequence -> audit entry, expiry = at + audit retention
//   oidc_clients: client_id -> client
//   oidc:         codes, grants with their session and account indexes, refresh
//                 tokens, services used (store/records.hpp keys::oidc_*), each
//                 with its record's expiry; a deleted session takes its grants
//                 along in the same batch (the "s" index), and
//                 oidc_changes::grants_of_account_ended every grant of an
//                 account but the kept session's (the "u" index)
//   oidc_keys:    kid -> signing key, expiry = none while current, else its expires_at
// Index keys are maintained by apply(): it reads the stored account (the
// caller holds its lock from its own read to the apply), compares its index
// records (external id, phone, e-mail, names, staff) with the new ones,
// deletes the stale keys and puts the changed ones, in the same write_batch
// as the account; a deleted account takes its stored index records along. A
// flow's index keys (reference, per account) are written with the flow and
// share its expiry; an update that keeps that expiry rewrites the flow alone.
//
// BLOCKING and THREADS: as database (store/database.hpp): every call may block
// on disk or on a key lock; thread-safe. Errors: store_error (an
// infrastructure_error) on any RocksDB failure or corrupted record.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ports.hpp"
#include "store/database.hpp"
#include "store/window_cache.hpp"

namespace sesame::store {

// How long journal entries are kept.
inline constexpr duration journal_retention = std::chrono::days(400);

class repository final : public account_repository,
                         public session_repository,
                         public journal_repository,
                         public rate_limiter,
                         public outbox_repository,
                         public flow_repository,
                         public staff_directory,
                         public oidc_repository,
                         public change_sink,
                         public commit_log {
public:
    // `db` must outlive the repository.
    explicit repository(database& db) : db_(db), windows_(db) {}

    // How long audit lines written from now on are kept (audit.retention).
    void set_audit_retention(duration d) { audit_retention_ = d; }

    // The names and staff indexes are derived from the accounts: on a store
    // made before they existed (no marker in meta), or when `force`d (check
    // --repair), they are written from a scan of every account. Returns
    // whether it ran. Blocks for a full scan (seconds on a million accounts).
    bool rebuild_derived_indexes(bool force = false);

    // account_repository. Lookups with a 0x00 byte in a key part find nothing.
    std::optional<account> find_account(std::string_view identifier) override;
    bool identifier_exists(std::string_view identifier) override;
    std::optional<std::string> identifier_by_external_id(std::string_view establishment,
                                                         std::string_view external_id) override;
    std::vector<std::string> identifiers_by_phone(std::string_view e164) override;  // key order
    std::vector<std::string> identifiers_by_email(std::string_view email) override;  // key order
    // database::lock_key(family::accounts, identifier): a striped lock, hold one at a time.
    std::unique_lock<std::mutex> lock_account(std::string_view identifier) override;

    // session_repository: live = absolute expiry not reached at `now`.
    std::optional<session_record> find_session(std::string_view digest, timestamp now) override;
    // Newest first (created_at, then digest).
    std::vector<session_record> sessions_of(std::string_view identifier, timestamp now) override;

    // journal_repository: newest first, at most `limit` entries strictly older
    // than the `before` cursor; each entry's `cursor` is filled, and `next` is
    // the cursor of the last entry when more remain. A malformed cursor (the
    // handler validates them first) or limit 0 gives an empty page with an
    // empty `next`; nothing is thrown for them.
    journal_page read_journal(std::string_view identifier, std::size_t limit, std::string_view before,
                              timestamp now) override;

    // rate_limiter: the windows live in memory (store/window_cache.hpp),
    // each key's read-modify-write under the cache's own lock, and are
    // written behind, buffered (a crash loses at most the last flush
    // interval of counts). A window that does not decode (a future format)
    // counts as empty. A window left idle is deleted.
    rate_decision check(std::string_view key, const rate_limit& limit, timestamp now) override;
    void add(std::string_view key, const rate_limit& limit, timestamp now) override;
    rate_decision take(std::string_view key, const rate_limit& limit, timestamp now) override;

    // change_sink: one write_batch, synced when c.synced, else buffered.
    // Throws store_error (nothing written); std::invalid_argument for a key
    // part holding 0x00 or an invalid birth date (caller bugs).
    void apply(const changes& c) override;

    // commit_log: database::run_deferred and when_durable.
    std::uint64_t run_deferred(const std::function<void()>& work) override { return db_.run_deferred(work); }
    void when_durable(std::uint64_t position, std::function<void(bool)> done) override {
        db_.when_durable(position, std::move(done));
    }

    // For the delivery workers. pending_outbox: every message whose status
    // is pending (whatever its next_attempt_at), by next_attempt_at then id.
    std::optional<recovery_flow> find_flow(std::string_view id, timestamp now) override;
    std::optional<recovery_flow> find_flow_by_reference(std::string_view reference, timestamp now) override;
    std::vector<recovery_flow> flows_of(std::string_view identifier, std::size_t limit, timestamp now) override;
    std::unique_lock<std::mutex> lock_flow(std::string_view id) override;

    std::vector<outbox_message> pending_outbox(timestamp now) override;
    std::optional<outbox_message> find_message(std::string_view id) override;
    void put_message(const outbox_message& m, durability d = durability::synced);
    void update_message(const outbox_message& m, bool durable) override {
        put_message(m, durable ? durability::synced : durability::buffered);
    }
    std::unique_lock<std::mutex> lock_message(std::string_view id) override;

    // staff_directory.
    std::vector<std::string> search_names(const name_search& q) override;
    std::vector<std::string> identifiers_in(std::string_view establishment) override;
    std::vector<account> staff_accounts() override;
    audit_page read_audit(std::size_t limit, std::string_view before,
                          const std::function<bool(const audit_entry&)>& visible, timestamp now,
                          std::size_t scan_budget = 10000) override;

    // oidc_repository.
    std::optional<oidc_client> find_client(std::string_view client_id) override;
    std::vector<oidc_client> clients() override;
    std::optional<oidc_code> find_code(std::string_view digest, timestamp now) override;
    std::optional<oidc_grant> find_grant(std::string_view id, timestamp now) override;
    std::vector<oidc_grant> grants_of(std::string_view identifier, timestamp now) override;
    std::optional<oidc_refresh> find_refresh(std::string_view digest, timestamp now) override;
    std::vector<oidc_service_use> services_of(std::string_view identifier, timestamp now) override;
    std::unique_lock<std::mutex> lock_grant(std::string_view key) override;
    std::vector<oidc_signing_key> signing_keys(timestamp now) override;
    void put_signing_keys(const std::vector<oidc_signing_key>& keys) override;

    // RocksDB's estimate (metrics): may count deleted records until compaction.
    std::size_t count_accounts();

private:
    database& db_;
    window_cache windows_;
    duration audit_retention_ = std::chrono::days(400);
};

}  // namespace sesame::store
