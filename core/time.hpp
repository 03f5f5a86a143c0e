// Time as the domain sees it: millisecond timestamps, durations and the
// injected clock port. Depends on the standard library only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sesame {

using duration = std::chrono::milliseconds;
using timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

// The only way domain code learns the time: it is passed `now` explicitly,
// and the outermost layer asks a clock for it.
class clock {
public:
    virtual ~clock() = default;
    virtual timestamp now() const = 0;
};

// The real clock (system_clock), for app wiring.
class system_clock final : public clock {
public:
    timestamp now() const override;
};

// A clock that only moves when told to; for tests.
class manual_clock final : public clock {
public:
    explicit manual_clock(timestamp start) : now_(start) {}
    timestamp now() const override { return now_; }
    void advance(duration d) { now_ += d; }
    void set(timestamp t) { now_ = t; }

private:
    timestamp now_;
};

inline std::int64_t to_millis(timestamp t) { return t.time_since_epoch().count(); }
inline timestamp from_millis(std::int64_t ms) { return timestamp{duration{ms}}; }

// RFC 3339 UTC with second precision: "2026-11-25T18:02:11Z".
std::string format_rfc3339(timestamp t);
// Parses the form format_rfc3339 writes (and fractional seconds); nullopt when malformed.
std::optional<timestamp> parse_rfc3339(std::string_view s);

// Whole seconds, rounded up, for Retry-After and expires_in.
inline std::int64_t ceil_seconds(duration d) {
    auto ms = d.count();
    return ms <= 0 ? 0 : (ms + 999) / 1000;
}

}  // namespace sesame
