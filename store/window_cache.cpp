#include "store/window_cache.hpp"

#include <functional>

#include "core/log.hpp"

namespace sesame::store {

window_cache::window_cache(database& db, duration flush_interval)
    : db_(db), flush_interval_(flush_interval), flusher_([this] { run(); }) {}

window_cache::~window_cache() {
    {
        std::lock_guard lk(flusher_mu_);
        stopping_ = true;
    }
    flusher_cv_.notify_one();
    flusher_.join();
    try {
        flush(db_.clock().now());
    } catch (const std::exception& e) {
        log::error("windows_flush_failed", {{"what", e.what()}});
    }
}

window_cache::shard& window_cache::shard_of(std::string_view key) {
    return shards_[std::hash<std::string_view>{}(key) % shard_count];
}

window_cache::entry& window_cache::load(shard& s, std::string_view key, const rate_limit& limit, timestamp now) {
    auto it = s.map.find(std::string(key));
    if (it != s.map.end()) {
        it->second.limit = limit;
        return it->second;
    }
    entry e;
    e.limit = limit;
    if (auto v = db_.get(family::windows, key, now)) {
        e.stored = true;
        if (auto w = decode_rate_window(*v)) e.w = std::move(*w);
    }
    return s.map.emplace(std::string(key), std::move(e)).first->second;
}

rate_decision window_cache::check(std::string_view key, const rate_limit& limit, timestamp now) {
    auto& s = shard_of(key);
    std::lock_guard lk(s.mu);
    return sesame::check(load(s, key, limit, now).w, limit, now);
}

void window_cache::add(std::string_view key, const rate_limit& limit, timestamp now) {
    auto& s = shard_of(key);
    std::lock_guard lk(s.mu);
    entry& e = load(s, key, limit, now);
    sesame::add(e.w, limit, now);
    e.dirty = true;
}

rate_decision window_cache::take(std::string_view key, const rate_limit& limit, timestamp now) {
    auto& s = shard_of(key);
    std::lock_guard lk(s.mu);
    entry& e = load(s, key, limit, now);
    const rate_decision d = sesame::take(e.w, limit, now);
    if (d.allowed) e.dirty = true;
    return d;
}

void window_cache::flush(timestamp now) {
    for (auto& s : shards_) {
        write_batch b;
        {
            std::lock_guard lk(s.mu);
            for (auto it = s.map.begin(); it != s.map.end();) {
                entry& e = it->second;
                const bool idle = is_idle(e.w, e.limit, now);
                if (e.dirty) {
                    if (idle) {
                        if (e.stored) b.del(family::windows, it->first);
                        e.stored = false;
                    } else {
                        // The newest event leaves at now + window, or up to a bucket later.
                        b.put(family::windows, it->first, encode_rate_window(e.w),
                              now + e.limit.window + duration{e.w.bucket_ms});
                        e.stored = true;
                    }
                    e.dirty = false;
                }
                // Idle windows leave memory (and the store already has the truth).
                it = idle && !e.stored ? s.map.erase(it) : std::next(it);
            }
        }
        if (!b.empty()) db_.write(b, durability::buffered);
    }
}

std::size_t window_cache::size() const {
    std::size_t n = 0;
    for (const auto& s : shards_) {
        std::lock_guard lk(s.mu);
        n += s.map.size();
    }
    return n;
}

void window_cache::run() {
    std::unique_lock lk(flusher_mu_);
    while (!stopping_) {
        flusher_cv_.wait_for(lk, flush_interval_);
        if (stopping_) break;
        lk.unlock();
        try {
            flush(db_.clock().now());
        } catch (const std::exception& e) {
            log::error("windows_flush_failed", {{"what", e.what()}});
        }
        lk.lock();
    }
}

}  // namespace sesame::store
