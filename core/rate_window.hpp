// Sliding-window rate limits as plain data the store persists, decided by
// pure functions of an explicit `now`. Depends on std and core/time.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"

namespace sesame {

// At most `count` events in any `window`. count 0 refuses everything; a
// window of zero or less allows everything.
struct rate_limit {
    std::uint32_t count = 0;
    duration window{};
};

// Limits up to this count are exact; above, events are counted in buckets.
inline constexpr std::uint32_t max_exact_rate_limit = 64;
inline constexpr std::int64_t rate_window_buckets = 60;

// Semantics. An event at t counts at every `now` with now - t < window (it
// leaves at exactly t + window). Two layouts, chosen by the limit:
//  - exact (count <= 64; bucket_ms == 0): slots holds the millisecond times
//    of the newest `count` events in the window, ascending;
//  - bucketed (count > 64; bucket_ms = ceil(window / 60)): slots holds 60
//    counters, slots[b % 60] for the buckets b of newest_bucket-59 ..
//    newest_bucket, bucket b covering [b * bucket_ms, (b + 1) * bucket_ms).
//    An event leaves when its whole bucket does, between window and
//    window + bucket_ms after it: never more than `count` events in any
//    window, and a refusal may last up to window / 60 longer than exact.
// If the limit changes (configuration), the data is converted to the new
// layout on the next add (events from buckets are taken at their bucket's
// end). Event times that go backwards (clock steps) are accepted.
struct rate_window {
    std::vector<std::int64_t> slots;
    std::int64_t bucket_ms = 0;
    std::int64_t newest_bucket = 0;
};

struct rate_decision {
    bool allowed = true;
    // When refused: time until enough events leave the window for one more
    // to fit, at least one second. Zero when allowed.
    duration retry_after{};
};

// Would one more event at `now` stay within the limit?
rate_decision check(const rate_window& w, const rate_limit& limit, timestamp now);

// Records n events at `now` (whether or not they were allowed: a caller that
// counts only allowed events uses take()). Drops what has left the window.
void add(rate_window& w, const rate_limit& limit, timestamp now, std::uint32_t n = 1);

// check(), then add() one event when allowed.
rate_decision take(rate_window& w, const rate_limit& limit, timestamp now);

// Events counted in the window at `now`.
std::uint64_t count_in_window(const rate_window& w, const rate_limit& limit, timestamp now);

// True when nothing is in the window any more: the record may be deleted.
bool is_idle(const rate_window& w, const rate_limit& limit, timestamp now);

// A compact, versioned byte string (varints, delta-coded times) and back;
// decode gives nullopt on anything it did not write.
std::string encode_rate_window(const rate_window& w);
std::optional<rate_window> decode_rate_window(std::string_view bytes);

}  // namespace sesame
