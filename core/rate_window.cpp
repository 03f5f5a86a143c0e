#include "core/rate_window.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

namespace sesame {

namespace {

constexpr std::int64_t second_ms = 1000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    const std::int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

std::size_t ring_index(std::int64_t bucket) {
    return static_cast<std::size_t>(((bucket % rate_window_buckets) + rate_window_buckets) % rate_window_buckets);
}

bool exact_mode(const rate_limit& limit) { return limit.count <= max_exact_rate_limit; }

std::int64_t bucket_width(const rate_limit& limit) {
    const std::int64_t ms = limit.window.count();
    return std::max<std::int64_t>(1, (ms + rate_window_buckets - 1) / rate_window_buckets);
}

bool bucketed(const rate_window& w) { return w.bucket_ms > 0; }

// Moves the ring forward to now's bucket, zeroing the buckets passed.
void advance_ring(rate_window& w, std::int64_t now_ms) {
    const std::int64_t current = floor_div(now_ms, w.bucket_ms);
    if (current <= w.newest_bucket) return;
    if (current - w.newest_bucket >= rate_window_buckets) {
        std::fill(w.slots.begin(), w.slots.end(), 0);
    } else {
        for (std::int64_t b = w.newest_bucket + 1; b <= current; ++b) w.slots[ring_index(b)] = 0;
    }
    w.newest_bucket = current;
}

void add_exact(rate_window& w, std::uint32_t count, std::int64_t t, std::uint64_t n) {
    n = std::min<std::uint64_t>(n, count);
    w.slots.insert(std::upper_bound(w.slots.begin(), w.slots.end(), t), n, t);
    if (w.slots.size() > count) w.slots.erase(w.slots.begin(), w.slots.end() - count);
}

void add_bucketed(rate_window& w, std::int64_t t, std::uint64_t n) {
    const std::int64_t b = floor_div(t, w.bucket_ms);
    if (b <= w.newest_bucket - rate_window_buckets) return;  // already out of the window
    if (b > w.newest_bucket) advance_ring(w, t);
    w.slots[ring_index(b)] += static_cast<std::int64_t>(n);
}

// Brings w to the layout `limit` asks for and drops what left the window.
void conform(rate_window& w, const rate_limit& limit, timestamp now) {
    const std::int64_t now_ms = to_millis(now);
    const std::int64_t window_ms = limit.window.count();
    const bool want_exact = exact_mode(limit);
    const std::int64_t want_width = want_exact ? 0 : bucket_width(limit);

    if (w.bucket_ms != want_width || (bucketed(w) && w.slots.size() != rate_window_buckets)) {
        // Re-lay the events out: (time, how many).
        std::vector<std::pair<std::int64_t, std::uint64_t>> events;
        if (bucketed(w) && w.slots.size() == rate_window_buckets) {
            for (std::int64_t b = w.newest_bucket - rate_window_buckets + 1; b <= w.newest_bucket; ++b)
                if (const auto c = w.slots[ring_index(b)]; c > 0)
                    events.emplace_back((b + 1) * w.bucket_ms - 1, static_cast<std::uint64_t>(c));
        } else if (!bucketed(w)) {
            for (const auto t : w.slots) events.emplace_back(t, 1);
        }
        w = rate_window{};
        if (!want_exact) {
            w.bucket_ms = want_width;
            w.slots.assign(rate_window_buckets, 0);
            w.newest_bucket = floor_div(now_ms, want_width);
        }
        for (const auto& [t, n] : events) {
            if (window_ms > 0 && now_ms - t >= window_ms) continue;
            if (want_exact) add_exact(w, limit.count, t, n);
            else add_bucketed(w, t, n);
        }
    }

    if (window_ms <= 0) {
        std::fill(w.slots.begin(), w.slots.end(), 0);
        if (want_exact) w.slots.clear();
        return;
    }
    if (want_exact) {
        const auto first_in = std::upper_bound(w.slots.begin(), w.slots.end(), now_ms - window_ms);
        w.slots.erase(w.slots.begin(), first_in);
        if (w.slots.size() > limit.count) w.slots.erase(w.slots.begin(), w.slots.end() - limit.count);
    } else {
        advance_ring(w, now_ms);
    }
}

std::uint64_t total(const rate_window& w) {
    if (!bucketed(w)) return w.slots.size();
    return static_cast<std::uint64_t>(std::accumulate(w.slots.begin(), w.slots.end(), std::int64_t{0}));
}

// A conformed window: the decision for one more event.
rate_decision decide(const rate_window& w, const rate_limit& limit, std::int64_t now_ms) {
    const std::int64_t window_ms = limit.window.count();
    if (window_ms <= 0) return {};
    const std::uint64_t in_window = total(w);
    if (in_window < limit.count) return {};

    std::int64_t leaves_at = now_ms + window_ms;  // count == 0: never allowed; say one window
    if (limit.count > 0) {
        if (!bucketed(w)) {
            // At most `count` kept: the oldest one has to go.
            leaves_at = w.slots.front() + window_ms;
        } else {
            const std::uint64_t need = in_window - limit.count + 1;
            std::uint64_t freed = 0;
            for (std::int64_t b = w.newest_bucket - rate_window_buckets + 1; b <= w.newest_bucket; ++b) {
                freed += static_cast<std::uint64_t>(w.slots[ring_index(b)]);
                if (freed >= need) {
                    leaves_at = (b + rate_window_buckets) * w.bucket_ms;
                    break;
                }
            }
        }
    }
    return {false, duration{std::max(leaves_at - now_ms, second_ms)}};
}

// Encoding helpers.
void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7F) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}
void put_zigzag(std::string& out, std::int64_t v) {
    put_varint(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}
bool get_varint(std::string_view& in, std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (in.empty()) return false;
        const auto b = static_cast<unsigned char>(in.front());
        in.remove_prefix(1);
        if (shift == 63 && b > 1) return false;
        v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
        if (!(b & 0x80)) return true;
    }
    return false;
}
bool get_zigzag(std::string_view& in, std::int64_t& v) {
    std::uint64_t u;
    if (!get_varint(in, u)) return false;
    v = static_cast<std::int64_t>(u >> 1) ^ -static_cast<std::int64_t>(u & 1);
    return true;
}

constexpr char format_version = 1;
constexpr char layout_exact = 0;
constexpr char layout_bucketed = 1;

}  // namespace

rate_decision check(const rate_window& w, const rate_limit& limit, timestamp now) {
    rate_window copy = w;
    conform(copy, limit, now);
    return decide(copy, limit, to_millis(now));
}

void add(rate_window& w, const rate_limit& limit, timestamp now, std::uint32_t n) {
    conform(w, limit, now);
    if (limit.window.count() <= 0 || n == 0) return;
    if (!bucketed(w)) add_exact(w, limit.count, to_millis(now), n);
    else add_bucketed(w, to_millis(now), n);
}

rate_decision take(rate_window& w, const rate_limit& limit, timestamp now) {
    conform(w, limit, now);
    const rate_decision d = decide(w, limit, to_millis(now));
    if (d.allowed) add(w, limit, now, 1);
    return d;
}

std::uint64_t count_in_window(const rate_window& w, const rate_limit& limit, timestamp now) {
    rate_window copy = w;
    conform(copy, limit, now);
    return total(copy);
}

bool is_idle(const rate_window& w, const rate_limit& limit, timestamp now) {
    return count_in_window(w, limit, now) == 0;
}

std::string encode_rate_window(const rate_window& w) {
    std::string out;
    out.push_back(format_version);
    if (!bucketed(w)) {
        out.push_back(layout_exact);
        put_varint(out, w.slots.size());
        std::int64_t previous = 0;
        for (std::size_t i = 0; i < w.slots.size(); ++i) {
            if (i == 0) put_zigzag(out, w.slots[0]);
            else put_varint(out, static_cast<std::uint64_t>(w.slots[i] - previous));
            previous = w.slots[i];
        }
    } else {
        out.push_back(layout_bucketed);
        put_varint(out, static_cast<std::uint64_t>(w.bucket_ms));
        put_zigzag(out, w.newest_bucket);
        put_varint(out, w.slots.size());
        for (const auto c : w.slots) put_varint(out, static_cast<std::uint64_t>(std::max<std::int64_t>(c, 0)));
    }
    return out;
}

std::optional<rate_window> decode_rate_window(std::string_view in) {
    if (in.size() < 2 || in[0] != format_version) return std::nullopt;
    const char layout = in[1];
    in.remove_prefix(2);
    rate_window w;
    std::uint64_t n = 0;
    if (layout == layout_exact) {
        if (!get_varint(in, n) || n > max_exact_rate_limit) return std::nullopt;
        w.slots.reserve(n);
        std::int64_t t = 0;
        for (std::uint64_t i = 0; i < n; ++i) {
            if (i == 0) {
                if (!get_zigzag(in, t)) return std::nullopt;
            } else {
                std::uint64_t delta;
                if (!get_varint(in, delta) || delta > static_cast<std::uint64_t>(INT64_MAX - t)) return std::nullopt;
                t += static_cast<std::int64_t>(delta);
            }
            w.slots.push_back(t);
        }
    } else if (layout == layout_bucketed) {
        std::uint64_t width;
        if (!get_varint(in, width) || width == 0 || width > static_cast<std::uint64_t>(INT64_MAX / 4)) return std::nullopt;
        w.bucket_ms = static_cast<std::int64_t>(width);
        if (!get_zigzag(in, w.newest_bucket)) return std::nullopt;
        if (!get_varint(in, n) || n != static_cast<std::uint64_t>(rate_window_buckets)) return std::nullopt;
        w.slots.reserve(n);
        for (std::uint64_t i = 0; i < n; ++i) {
            std::uint64_t c;
            if (!get_varint(in, c) || c > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
            w.slots.push_back(static_cast<std::int64_t>(c));
        }
    } else {
        return std::nullopt;
    }
    if (!in.empty()) return std::nullopt;
    return w;
}

}  // namespace sesame
