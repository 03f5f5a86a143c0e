// The generic RocksDB layer under the domain repositories: one database with
// a column family per kind of record, per-record expiry, atomic write
// batches with per-write durability, striped key locks for read-modify-write,
// checkpoints. Depends on core/time.hpp, store/error.hpp and the standard
// library; RocksDB's headers stay in database.cpp.
//
// BLOCKING. Every member function of `database` blocks the calling thread:
// reads are bound by the memtable and block cache (a cache miss is a disk
// read), synced writes wait for the WAL fsync (a syncer thread of ours
// fsyncs once for every writer waiting: group commit; inside run_deferred
// they don't, and the caller awaits when_durable instead), lock_key waits
// for the other holder, and open/checkpoint/compact/flush do disk I/O that
// can take seconds. Point reads and single batches are short enough to run
// on a network thread through run_deferred; scans, imports and checkpoints
// run on a small blocking pool.
//
// THREADS. `database` is thread-safe. `write_batch` is a plain value owned by
// one thread at a time.
//
// ERRORS. Every RocksDB Status is checked here: NotFound is a value
// (std::nullopt); anything else throws store_error (store_locked_error when
// the data directory is in use). Misuse (expiry on a family that does not
// expire, a cursor outside its prefix) throws std::invalid_argument.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.hpp"
#include "store/error.hpp"

namespace sesame::store {

// One column family per kind of record (SPEC.md §5).
enum class family : std::uint8_t {
    meta,          // RocksDB's default family: schema version, server secret
    accounts,      // account records
    identifiers,   // index: folded identifier -> account
    phones,        // index: E.164 mobile -> account(s)
    emails,        // index: e-mail -> account(s)
    external_ids,  // index: school records id -> account
    staff,         // staff accounts (role, scope, TOTP)
    flows,         // EXPIRING: recovery, activation, e-mail validation flows
    codes,         // EXPIRING: HMAC'd codes, token and activation digests
    sessions,      // EXPIRING: server-side sessions
    windows,       // EXPIRING: rate-limit windows
    outbox,        // messages to send, until the workers settle them
    journal,       // EXPIRING: account activity (old entries expire)
    audit,         // EXPIRING: staff actions, kept audit.retention
    names,         // index: name-prefix search token 0 identifier -> profile, establishment
    oidc_clients,  // OpenID Connect relying parties
    oidc,          // EXPIRING: authorization codes, grants and their indexes, refresh tokens, services used
    oidc_keys,     // EXPIRING: ES256 signing keys (a retired key expires with its last token)
};
inline constexpr std::size_t family_count = static_cast<std::size_t>(family::oidc_keys) + 1;
inline constexpr std::array<family, family_count> all_families{
    family::meta,  family::accounts, family::identifiers, family::phones,  family::emails,
    family::external_ids, family::staff, family::flows, family::codes, family::sessions,
    family::windows, family::outbox, family::journal, family::audit, family::names,
    family::oidc_clients, family::oidc, family::oidc_keys};

// The column family name on disk ("default" for meta, else the enum name).
std::string_view name(family f);

// Whether a family's records carry an expiry. Their stored value is
// [8-byte big-endian expiry, ms since the epoch, 0 = never][payload]; a
// compaction filter drops expired records and reads never return them.
constexpr bool expires(family f) {
    return f == family::flows || f == family::codes || f == family::sessions ||
           f == family::windows || f == family::journal || f == family::audit || f == family::oidc ||
           f == family::oidc_keys;
}

enum class durability {
    synced,    // WAL fsynced before write() returns: for anything a user was
               // told succeeded (accounts, passwords, outbox entries)
    buffered,  // WAL written, not fsynced: bulk import (flush() at the end)
               // and state that may be lost on power failure (rate windows)
};

enum class scan_order { ascending, descending };

struct open_options {
    std::string path;
    bool sync_writes = true;  // false turns durability::synced into buffered
                              // (tests and benchmarks only)
    bool create_if_missing = true;
    // Time for the compaction filter; nullptr => the system clock. Must
    // outlive the database and be callable from RocksDB's background threads.
    const sesame::clock* clock = nullptr;
    std::size_t block_cache_bytes = std::size_t{64} << 20;  // shared LRU cache
    std::size_t write_buffer_bytes = std::size_t{32} << 20;  // per family memtable
    std::size_t total_write_buffer_bytes = std::size_t{96} << 20;  // all memtables
};

// A value read with its expiry.
struct record {
    std::string value;
    std::optional<timestamp> expires_at;  // nullopt: never (or not expiring)
};

// Puts and deletes across families, applied atomically by database::write.
class write_batch {
public:
    // Never expires (an expiring family stores expiry 0).
    void put(family f, std::string_view key, std::string_view value);
    // `expires_at` only on expiring families (std::invalid_argument
    // otherwise, unless nullopt). An expiry at or before the epoch is stored
    // as 1 ms past it: the record is expired, never "never".
    void put(family f, std::string_view key, std::string_view value,
             std::optional<timestamp> expires_at);
    void del(family f, std::string_view key);

    std::size_t size() const { return ops_.size(); }  // operations
    bool empty() const { return ops_.empty(); }
    std::size_t byte_size() const { return bytes_; }  // keys + stored values
    void clear();

private:
    friend class database;
    struct op {
        bool is_put;
        family f;
        std::string key;
        std::string value;  // as stored: with the expiry header if expiring
    };
    std::vector<op> ops_;
    std::size_t bytes_ = 0;
};

// What database::write has put into the log since the store was opened.
struct write_totals {
    std::uint64_t batches = 0;
    std::uint64_t keys = 0;   // puts and deletes
    std::uint64_t bytes = 0;  // keys + stored values
};

struct family_stats {
    std::uint64_t estimated_keys = 0;  // includes expired, not yet compacted
    std::uint64_t sst_bytes = 0;
    std::uint64_t memtable_bytes = 0;
};

class database {
public:
    static constexpr std::uint64_t current_schema_version = 1;
    // Reserved keys of family::meta; repositories use other keys there.
    static constexpr std::string_view schema_version_key = "store.schema_version";
    static constexpr std::string_view server_secret_key = "store.server_secret";

    // Opens (creating the directory and missing families when allowed),
    // writes the schema version and a fresh 32-byte server secret on first
    // open. Throws store_locked_error when the directory's LOCK is held (by
    // another process or another database object in this process),
    // store_error otherwise (including a schema newer than this binary).
    static std::unique_ptr<database> open(const open_options& options);

    ~database();  // closes; never throws (a failed close is logged)
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    // The live value at `key`, or nullopt if absent or expired at `now`.
    std::optional<std::string> get(family f, std::string_view key, timestamp now) const;
    std::optional<record> get_record(family f, std::string_view key, timestamp now) const;
    // Several keys, possibly in several families, read from one snapshot:
    // a batch is seen entirely or not at all. Results in the order asked.
    std::vector<std::optional<std::string>> multi_get(
        const std::vector<std::pair<family, std::string_view>>& keys, timestamp now) const;

    // Applies every operation of `batch` atomically, or throws (nothing
    // applied): unavailable_error when the disk is full or a write fails
    // with an I/O error (the store then refuses writes until RocksDB's
    // Resume() succeeds; later writes and writable() retry it, at most
    // twice a second), store_error otherwise. A failed WAL fsync stays
    // fatal: what it covered cannot be known to be on disk.
    void write(const write_batch& batch, durability d = durability::synced);
    // Whether writes can go through now (tries to resume first): /readyz.
    bool writable();

    // Group commit without a parked thread, for the network threads: runs
    // `work` on this thread with this database's synced writes not waiting
    // for their fsync (they reach the WAL, unsynced), and returns the log
    // position covering everything `work` wrote or could have read (0 when
    // sync_writes is off). The caller must see that position durable
    // (when_durable) before telling anyone what `work` did. Other threads'
    // synced writes still wait meanwhile.
    std::uint64_t run_deferred(const std::function<void()>& work);
    // Calls done(true) once every write up to `position` is fsynced: at
    // once, on this thread, when it already is; else on the syncer thread
    // after its fsync, so `done` must be quick and never block (post a
    // completion). done(false) when a sync failed: those writes may be lost.
    void when_durable(std::uint64_t position, std::function<void(bool durable)> done);

    // Calls visit(key, value) for each live record whose key starts with
    // `prefix` (empty: the whole family), in key order or reversed
    // (descending: newest first when keys end with a time part), until visit
    // returns false. `after`, when not empty, resumes a paged scan strictly
    // after that key in the scan direction; it must start with `prefix`.
    // The views are valid during the call only. Sees a consistent snapshot.
    using visitor = std::function<bool(std::string_view key, std::string_view value)>;
    void scan_prefix(family f, std::string_view prefix, timestamp now, const visitor& visit,
                     scan_order order = scan_order::ascending, std::string_view after = {}) const;

    // An ascending scan_prefix whose visitor may jump ahead: when it leaves
    // a key greater than the current one in `seek_to`, the scan continues
    // from the first key at or after it (skipping whole runs of keys).
    using seeking_visitor = std::function<bool(std::string_view key, std::string_view value, std::string& seek_to)>;
    void scan_prefix_seeking(family f, std::string_view prefix, timestamp now, const seeking_visitor& visit) const;

    // Serialises read-modify-write sequences on a key (counters, single-use
    // consumption): hold the lock across get ... write. Striped (1024
    // mutexes), so unrelated keys may share a stripe: hold one lock_key at a
    // time, and use lock_keys for several keys (deadlock-free ordering).
    // Process-local, which suffices: the directory LOCK admits one process.
    std::unique_lock<std::mutex> lock_key(family f, std::string_view key);
    std::vector<std::unique_lock<std::mutex>> lock_keys(
        std::initializer_list<std::pair<family, std::string_view>> keys);

    // Online backup: a consistent copy at `dir` (which must not exist; its
    // parent must), hard-linked where possible, that opens as a working store.
    void checkpoint(const std::string& dir);
    // The same, for a store that another process (a running server) holds:
    // opens `path` read-only (no LOCK needed), checkpoints it, then opens the
    // copy once to prove it works. Reflects the writes that reached the WAL
    // before the call. Throws store_error; retry if the server deleted a file
    // during the copy (compaction).
    static void checkpoint_read_only(const std::string& path, const std::string& dir);
    // Full manual compaction of one family (the expiry filter runs on every
    // record), for tests and operations.
    void compact(family f);
    // Makes every write durable (WAL fsync) and flushes all memtables to
    // files: ends a bulk import made of durability::buffered writes.
    void flush();

    // Records physically present, expired ones included (a full scan: tests).
    std::size_t raw_count(family f) const;
    family_stats stats(family f) const;
    write_totals written() const;
    std::uint64_t block_cache_usage() const;

    // 32 random bytes made on first open and kept in meta (HMAC key for codes).
    const std::string& server_secret() const;
    std::uint64_t schema_version() const;
    const std::string& path() const;
    // The clock given in open_options (else the system clock): the time of
    // the compaction filter and of background work on this store.
    const sesame::clock& clock() const;

private:
    struct impl;
    explicit database(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

}  // namespace sesame::store
