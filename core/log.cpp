#include "core/log.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unistd.h>

#include "core/time.hpp"

namespace sesame::log {
namespace {

class buffered_writer {
public:
    buffered_writer() : flusher_([this] { run(); }) {}
    ~buffered_writer() {
        {
            std::lock_guard lk(mu_);
            stop_ = true;
        }
        cv_.notify_one();
        flusher_.join();
        drain();
    }

    void append(std::string_view line) {
        bool wake = false;
        {
            std::lock_guard lk(mu_);
            pending_ += line;
            wake = pending_.size() > (64u << 10);
        }
        if (wake) cv_.notify_one();
    }

    void drain() {
        std::string out;
        {
            std::lock_guard lk(mu_);
            out.swap(pending_);
        }
        write_all(out);
    }

private:
    static void write_all(const std::string& s) {
        const char* p = s.data();
        std::size_t left = s.size();
        while (left > 0) {
            const ssize_t n = ::write(STDERR_FILENO, p, left);
            if (n <= 0) return;  // stderr gone: nothing sensible left to do
            p += n;
            left -= std::size_t(n);
        }
    }

    void run() {
        std::unique_lock lk(mu_);
        while (!stop_) {
            cv_.wait_for(lk, std::chrono::milliseconds(20));
            if (pending_.empty()) continue;
            std::string out;
            out.swap(pending_);
            lk.unlock();
            write_all(out);
            lk.lock();
        }
    }

    std::mutex mu_;
    std::condition_variable cv_;
    std::string pending_;
    bool stop_ = false;
    std::thread flusher_;
};

buffered_writer& writer() {
    static buffered_writer w;
    return w;
}

std::atomic<int> min_level{int(level::info)};

const char* level_name(level l) {
    switch (l) {
        case level::debug: return "debug";
        case level::info: return "info";
        case level::warn: return "warn";
        case level::error: return "error";
    }
    return "info";
}

// "2026-12-06T15:04:05.123Z": the calendar part is formatted once a second
// per thread (every request writes a line: this is on the hot path).
void append_timestamp(std::string& out, timestamp at) {
    thread_local std::int64_t cached_second = -1;
    thread_local std::string cached;  // "2026-12-06T15:04:05"
    const std::int64_t ms = at.time_since_epoch().count();
    const std::int64_t second = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    if (second != cached_second) {
        cached = format_rfc3339(from_millis(second * 1000));
        cached.pop_back();  // the "Z"
        cached_second = second;
    }
    out += cached;
    const int milli = int(ms - second * 1000);
    const char frac[] = {'.', char('0' + milli / 100), char('0' + milli / 10 % 10), char('0' + milli % 10), 'Z'};
    out.append(frac, sizeof frac);
}

}  // namespace

void set_min_level(level l) { min_level.store(int(l)); }

void append_json_string(std::string& out, std::string_view s) {
    static const char hex[] = "0123456789abcdef";
    out.push_back('"');
    // Most values (routes, methods, addresses) need no escape: one append.
    const bool plain = std::none_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; });
    if (plain) {
        out.append(s);
        out.push_back('"');
        return;
    }
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out.push_back(hex[c >> 4]);
                    out.push_back(hex[c & 15]);
                } else {
                    out.push_back(char(c));
                }
        }
    }
    out.push_back('"');
}

void write(level l, std::string_view event, std::initializer_list<field> fields) {
    if (int(l) < min_level.load(std::memory_order_relaxed)) return;
    // One buffer per thread, reused: a request's line costs no allocation.
    thread_local std::string line;
    line.clear();
    line += "{\"ts\":\"";
    append_timestamp(line, std::chrono::time_point_cast<duration>(std::chrono::system_clock::now()));
    line += '"';
    line += ",\"level\":\"";
    line += level_name(l);
    line += "\",\"event\":";
    append_json_string(line, event);
    for (const auto& f : fields) {
        line.push_back(',');
        append_json_string(line, f.key);
        line.push_back(':');
        std::visit(
            [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::string_view>) append_json_string(line, v);
                else if constexpr (std::is_same_v<T, bool>) line += v ? "true" : "false";
                else {
                    char b[32];
                    std::to_chars_result r;
                    if constexpr (std::is_same_v<T, double>) r = std::to_chars(b, b + sizeof b, v, std::chars_format::fixed, 3);
                    else r = std::to_chars(b, b + sizeof b, v);
                    line.append(b, r.ptr);
                }
            },
            f.value);
    }
    line += "}\n";
    writer().append(line);
    // Warnings and errors go out at once: they matter most right before a crash.
    if (l >= level::warn) writer().drain();
}

void flush() { writer().drain(); }

}  // namespace sesame::log
