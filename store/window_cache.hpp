// Sliding-window counters kept in memory and written behind to the
// `windows` column family. Every request checks several windows (address,
// identifier, cooldown, destination); doing each as a RocksDB write would
// queue it behind the synced writes' fsync groups, so the hot path stays in
// memory and a flusher thread persists changed windows every
// `flush_interval` (buffered batch, expiry attached) at the store's clock. A window not yet in
// memory is read from the store on first use, so counts survive a restart;
// a crash loses at most the last interval of counts.
// Depends on store/database.hpp and core/rate_window.hpp.
#pragma once

#include <array>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "core/rate_window.hpp"
#include "store/database.hpp"

namespace sesame::store {

class window_cache {
public:
    explicit window_cache(database& db, duration flush_interval = std::chrono::seconds(1));
    ~window_cache();  // final flush
    window_cache(const window_cache&) = delete;
    window_cache& operator=(const window_cache&) = delete;

    // Each call is atomic for its key.
    rate_decision check(std::string_view key, const rate_limit& limit, timestamp now);
    void add(std::string_view key, const rate_limit& limit, timestamp now);
    rate_decision take(std::string_view key, const rate_limit& limit, timestamp now);

    // Writes every changed window now, and forgets idle ones from memory.
    void flush(timestamp now);
    std::size_t size() const;

private:
    struct entry {
        rate_window w;
        rate_limit limit;
        bool dirty = false;
        bool stored = false;  // a record exists in the store (so an idle one must be deleted)
    };
    struct shard {
        mutable std::mutex mu;
        std::unordered_map<std::string, entry> map;
    };
    static constexpr std::size_t shard_count = 64;

    shard& shard_of(std::string_view key);
    entry& load(shard& s, std::string_view key, const rate_limit& limit, timestamp now);
    void run();

    database& db_;
    duration flush_interval_;
    std::array<shard, shard_count> shards_;
    std::mutex flusher_mu_;
    std::condition_variable flusher_cv_;
    bool stopping_ = false;
    std::thread flusher_;
};

}  // namespace sesame::store
