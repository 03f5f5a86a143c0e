// Group commit: one thread fsyncs the write-ahead log for every writer
// waiting, instead of one fsync per write. A synced write goes to the log
// without fsync; its writer then waits (wait) or asks to be told (when_durable)
// until the syncer has fsynced past its sequence number. Each round syncs
// everything written before it started, however many threads wrote; the
// log's own sync does not block writers meanwhile.
//
// Knows nothing of RocksDB: `latest` gives the newest sequence number in
// the log, `sync` fsyncs it (an error text, or nullopt). A failed sync is
// final: what it covered cannot be known to be on disk, so every waiter
// from then on is told so (wait throws store_error, when_durable says false).
// Depends on store/error.hpp and the standard library.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sesame::store {

class wal_syncer {
public:
    using latest_fn = std::function<std::uint64_t()>;
    using sync_fn = std::function<std::optional<std::string>()>;

    // Starts the syncer thread. `latest` and `sync` are called from it.
    wal_syncer(latest_fn latest, sync_fn sync);
    // Syncs what waiters still wait for, answers them, and joins the thread.
    ~wal_syncer();
    wal_syncer(const wal_syncer&) = delete;
    wal_syncer& operator=(const wal_syncer&) = delete;

    // Blocks until every write up to `seq` is fsynced; store_error if a sync failed.
    void wait(std::uint64_t seq);
    // done(true) once `seq` is fsynced: at once, on this thread, if it
    // already is; else on the syncer thread after its round (so `done` must
    // be quick and never block). done(false) if a sync failed.
    void when_durable(std::uint64_t seq, std::function<void(bool)> done);

    // Rounds made so far (tests, metrics).
    std::uint64_t rounds() const;

private:
    void run();
    void request(std::uint64_t seq);                     // under mu_
    void answer_waiters(std::unique_lock<std::mutex>& lk);  // held on entry and on return

    latest_fn latest_;
    sync_fn sync_;
    mutable std::mutex mu_;
    std::condition_variable wanted_, done_;
    std::uint64_t requested_ = 0;  // highest sequence someone waits for
    std::uint64_t reached_ = 0;    // every write up to it is on disk
    std::uint64_t rounds_ = 0;
    std::string failure_;          // set once a sync fails
    bool stop_ = false;
    std::vector<std::pair<std::uint64_t, std::function<void(bool)>>> waiters_;
    std::thread thread_;
};

}  // namespace sesame::store
