// loadgen: a closed-loop HTTP/1.1 load generator for the bench suite.
// N keep-alive connections over T threads (one io_context each); every
// connection is a coroutine sending requests back-to-back and reconnecting
// when the server closes. Talks only to a loopback target; stops by itself
// after --duration or --requests. Depends on Asio/Beast (sesame_boost)
// and the sans-I/O helpers next to it (mix.hpp, histogram.hpp).
#include "bench/histogram.hpp"
#include "bench/mix.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace sesame::bench {
namespace {

// Everything runs on one io_context per thread: its concrete executor type
// avoids the type-erased any_io_executor on every operation.
using executor = asio::io_context::executor_type;
using stream_type = beast::basic_stream<tcp, executor>;
using timer_type = asio::basic_waitable_timer<steady, asio::wait_traits<steady>, executor>;
template <class T>
using task = asio::awaitable<T, executor>;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable_t<executor>{});

// ---------------------------------------------------------------- options

struct options {
    std::string target = "127.0.0.1:8080";
    tcp::endpoint endpoint;
    int connections = 64;
    int threads = 2;
    std::optional<steady::duration> duration;  // exactly one of these two
    std::optional<std::uint64_t> requests;
    steady::duration warmup = 1s;
    steady::duration timeout = 5s;
    steady::duration retry_after_cap = steady::duration::zero();  // 0: Retry-After ignored
    double rate = 0;  // requests per second over all connections; 0: as fast as answered
    std::string mix_file;
    std::string path;
    std::string method = "GET";
    std::string body;
    std::string json_out;
    std::string label;
    std::string extra_headers;  // "Name: value\r\n" lines from --header
};

constexpr std::string_view usage_text =
    "usage: loadgen --target HOST:PORT [--connections 64] [--threads 2]\n"
    "               [--duration 10s | --requests N] [--warmup 1s] [--timeout 5s]\n"
    "               [--mix FILE | --path /healthz [--method GET] [--body JSON]]\n"
    "               [--json OUT.json] [--label NAME] [--honor-retry-after MAX] [--rate R]\n"
    "               [--header 'Name: value' ...]  (e.g. a session cookie)\n"
    "  HOST must be a loopback address (127.x.x.x, ::1 or localhost).\n"
    "  Durations: 10s, 500ms, 2m, or a number of seconds. Default: --duration 10s, --path /healthz.\n"
    "  Mix file: one 'WEIGHT METHOD PATH [JSON-BODY]' per line, '#' comments;\n"
    "  {seq} (global counter) and {rand} (8 random digits) are replaced in PATH and BODY.\n"
    "  --honor-retry-after MAX: after a response with 'Retry-After: N' (seconds), that connection\n"
    "  waits min(N, MAX) plus up to 50% random jitter before its next request, as clients that\n"
    "  back off would (default 0: no wait).\n"
    "  --rate R: at most R requests/s in all, each connection sending one every connections/R s\n"
    "  (a light probe; latency is still from send to response). Default: no pacing.\n"
    "  Exit: 0 when responses were received, 1 when none were, 2 on bad usage.\n";

[[noreturn]] void usage_error(const std::string& msg) {
    std::fprintf(stderr, "loadgen: %s\n\n%.*s", msg.c_str(), int(usage_text.size()), usage_text.data());
    std::exit(2);
}

std::optional<steady::duration> parse_duration(std::string_view s) {
    double factor = 1.0;
    if (s.ends_with("ms")) { factor = 1e-3; s.remove_suffix(2); }
    else if (s.ends_with("s")) { s.remove_suffix(1); }
    else if (s.ends_with("m")) { factor = 60.0; s.remove_suffix(1); }
    else if (s.ends_with("h")) { factor = 3600.0; s.remove_suffix(1); }
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !(v >= 0) || v * factor > 86400.0)
        return std::nullopt;
    return std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(v * factor));
}

template <class Int>
Int parse_int(std::string_view flag, std::string_view s, Int lo, Int hi) {
    Int v{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v < lo || v > hi)
        usage_error(std::string(flag) + " wants an integer from " + std::to_string(lo) + " to " +
                    std::to_string(hi) + ", got '" + std::string(s) + "'");
    return v;
}

tcp::endpoint parse_target(const std::string& target) {
    const auto colon = target.rfind(':');
    if (colon == std::string::npos || colon == 0)
        usage_error("--target wants HOST:PORT, got '" + target + "'");
    std::string host = target.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host == "localhost") host = "127.0.0.1";
    const auto port = parse_int<unsigned>("--target port", std::string_view(target).substr(colon + 1), 1, 65535);
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(host, ec);
    if (ec) usage_error("--target host must be a literal IP address or localhost, got '" + host + "'");
    if (!addr.is_loopback()) usage_error("--target must be a loopback address; loadgen never loads other hosts");
    return {addr, static_cast<unsigned short>(port)};
}

options parse_options(int argc, char** argv) {
    options o;
    bool have_target = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::fwrite(usage_text.data(), 1, usage_text.size(), stdout);
            std::exit(0);
        }
        if (!arg.starts_with("--")) usage_error("unexpected argument '" + std::string(arg) + "'");
        std::string_view value;
        bool have_value = false;
        if (const auto eq = arg.find('='); eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            have_value = true;
        } else if (i + 1 < argc) {
            value = argv[++i];
            have_value = true;
        }
        if (!have_value) usage_error(std::string(arg) + " needs a value");
        const std::string flag(arg);
        auto duration_of = [&](std::string_view v) {
            auto d = parse_duration(v);
            if (!d) usage_error(flag + " wants a duration such as 10s, 500ms or 2m, got '" + std::string(v) + "'");
            return *d;
        };
        if (arg == "--target") { o.target = std::string(value); have_target = true; }
        else if (arg == "--connections") o.connections = parse_int<int>(arg, value, 1, 20000);
        else if (arg == "--threads") o.threads = parse_int<int>(arg, value, 1, 256);
        else if (arg == "--duration") {
            o.duration = duration_of(value);
            if (*o.duration <= steady::duration::zero()) usage_error("--duration must be positive");
        }
        else if (arg == "--requests") o.requests = parse_int<std::uint64_t>(arg, value, 1, 1'000'000'000'000ULL);
        else if (arg == "--warmup") o.warmup = duration_of(value);
        else if (arg == "--timeout") {
            o.timeout = duration_of(value);
            if (o.timeout <= steady::duration::zero()) usage_error("--timeout must be positive");
        }
        else if (arg == "--honor-retry-after") o.retry_after_cap = duration_of(value);
        else if (arg == "--rate") {
            const auto r = parse_int<std::uint64_t>(arg, value, 0, 10'000'000);
            o.rate = double(r);
        }
        else if (arg == "--mix") o.mix_file = std::string(value);
        else if (arg == "--path") o.path = std::string(value);
        else if (arg == "--method") o.method = std::string(value);
        else if (arg == "--body") o.body = std::string(value);
        else if (arg == "--json") o.json_out = std::string(value);
        else if (arg == "--label") o.label = std::string(value);
        else if (arg == "--header") {
            if (value.find(':') == std::string_view::npos || value.find_first_of("\r\n") != std::string_view::npos)
                usage_error("--header takes 'Name: value'");
            o.extra_headers += std::string(value) + "\r\n";
        }
        else usage_error("unknown option '" + flag + "'");
    }
    if (!have_target) usage_error("--target HOST:PORT is required");
    if (o.duration && o.requests) usage_error("give --duration or --requests, not both");
    if (!o.duration && !o.requests) o.duration = 10s;
    if (!o.mix_file.empty() && !o.path.empty()) usage_error("give --mix or --path, not both");
    if (o.mix_file.empty() && o.path.empty()) o.path = "/healthz";
    if (o.threads > o.connections) o.threads = o.connections;
    o.endpoint = parse_target(o.target);
    if (o.label.empty()) o.label = o.target;
    return o;
}

request_mix load_mix(const options& o) {
    request_mix mix;
    std::string error;
    if (!o.mix_file.empty()) {
        std::ifstream in(o.mix_file, std::ios::binary);
        if (!in) usage_error("cannot read mix file '" + o.mix_file + "'");
        std::stringstream text;
        text << in.rdbuf();
        if (!mix.parse(text.str(), error)) usage_error(o.mix_file + ": " + error);
    } else if (!mix.add_single(o.method, o.path, o.body, error)) {
        usage_error(error);
    }
    const std::string host = o.endpoint.address().is_v6()
                                 ? "[" + o.endpoint.address().to_string() + "]:" + std::to_string(o.endpoint.port())
                                 : o.endpoint.address().to_string() + ":" + std::to_string(o.endpoint.port());
    mix.finalize(host, o.extra_headers);
    return mix;
}

// ---------------------------------------------------------------- the run

// What every thread shares; written before the threads start, except the
// atomics.
struct run_plan {
    steady::time_point measure_start;
    steady::time_point end;  // duration mode only
    bool by_count = false;
    std::uint64_t request_budget = 0;
    steady::duration timeout;
    steady::duration retry_after_cap;
    steady::duration pace_interval{};  // per connection; zero: no pacing
    tcp::endpoint endpoint;
    std::atomic<std::uint64_t> tickets{0};  // count mode: attempts taken after warmup
    std::atomic<std::uint64_t> seq{0};      // {seq}
};

struct thread_stats {
    latency_histogram latency;
    std::map<unsigned, latency_histogram> latency_by_status;  // the same samples, split by status
    std::array<std::uint64_t, 1000> status{};
    std::uint64_t responses = 0;
    std::uint64_t connect_errors = 0;
    std::uint64_t io_errors = 0;  // reset, unexpected close, malformed response
    std::uint64_t timeouts = 0;
    std::uint64_t reconnects = 0;  // server asked to close (Connection: close)
    steady::time_point last_done{};

    void merge(const thread_stats& o) {
        latency.merge(o.latency);
        for (const auto& [code, h] : o.latency_by_status) latency_by_status[code].merge(h);
        for (std::size_t i = 0; i < status.size(); ++i) status[i] += o.status[i];
        responses += o.responses;
        connect_errors += o.connect_errors;
        io_errors += o.io_errors;
        timeouts += o.timeouts;
        reconnects += o.reconnects;
        last_done = std::max(last_done, o.last_done);
    }
    std::uint64_t errors() const { return connect_errors + io_errors + timeouts; }
};

// One thread: its io_context, its connections and its counters. Touched only
// from its own thread while it runs.
struct worker {
    asio::io_context ioc{1};  // run by this worker's thread only
    std::vector<std::unique_ptr<stream_type>> streams;  // destroyed before ioc
    thread_stats stats;
    request_mix mix;  // a copy per thread (rendering scratch space)
    fast_rng rng{0};
    bool stopping = false;
    bool failed = false;  // a coroutine ended with an exception
};

enum class failure { connect, io, timeout };

// How long a client that honours Retry-After (delta-seconds form only) would
// wait after this response, capped; zero without the header.
steady::duration retry_after_pause(const http::response<http::string_body>& res, steady::duration cap) {
    const auto it = res.find(http::field::retry_after);
    if (it == res.end()) return steady::duration::zero();
    const auto v = it->value();
    unsigned seconds = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
    if (v.empty() || ec != std::errc{} || end != v.data() + v.size()) return steady::duration::zero();
    return std::min<steady::duration>(std::chrono::seconds(seconds), cap);
}

// Runs one connection until the run ends. Completes when the duration has
// passed (cancelled by stop_at) or the request budget is spent; each step is
// bounded by plan.timeout. Owns nothing: the stream and worker outlive it.
task<void> run_connection(worker& w, run_plan& plan, stream_type& stream) {
    beast::flat_buffer buffer;
    std::string scratch;
    bool connected = false;
    auto next_seq = [&plan] { return plan.seq.fetch_add(1, std::memory_order_relaxed); };
    // --rate: this connection's next send time, first one at a random offset
    // so that connections do not send in lockstep.
    const auto interval = plan.pace_interval;
    steady::time_point next_send = steady::now();
    if (interval > steady::duration::zero()) next_send += steady::duration(w.rng.below(std::uint64_t(interval.count())));
    auto in_window = [&plan](steady::time_point t) { return t >= plan.measure_start && t <= plan.end; };

    auto close = [&] {
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream.close();
        buffer.clear();
        connected = false;
    };

    while (!w.stopping) {
        // Decide whether this attempt counts: after warmup, within the
        // duration, or holding one of the budget's tickets.
        bool counted;
        if (plan.by_count) {
            counted = steady::now() >= plan.measure_start;
            if (counted && plan.tickets.fetch_add(1, std::memory_order_relaxed) >= plan.request_budget) break;
        } else {
            if (steady::now() >= plan.end) break;
            counted = true;  // re-checked against the window when it ends
        }
        auto note_failure = [&](failure kind, steady::time_point at) {
            if (plan.by_count ? !counted : !in_window(at)) return;
            switch (kind) {
            case failure::connect: ++w.stats.connect_errors; break;
            case failure::io: ++w.stats.io_errors; break;
            case failure::timeout: ++w.stats.timeouts; break;
            }
        };

        if (!connected) {
            stream.expires_after(plan.timeout);
            auto [ec] = co_await stream.async_connect(plan.endpoint, use_tuple);
            if (w.stopping) break;
            if (ec) {
                note_failure(ec == beast::error::timeout ? failure::timeout : failure::connect, steady::now());
                close();
                // Do not spin on a refused port: a short, bounded pause.
                timer_type pause(stream.get_executor(), 10ms);
                co_await pause.async_wait(use_tuple);
                continue;
            }
            boost::system::error_code ignored;
            stream.socket().set_option(tcp::no_delay(true), ignored);
            connected = true;
        }

        if (interval > steady::duration::zero()) {
            const auto now = steady::now();
            if (next_send > now) {
                timer_type pace(stream.get_executor());
                pace.expires_at(plan.by_count ? next_send : std::min(next_send, plan.end));
                co_await pace.async_wait(use_tuple);
                if (w.stopping || (!plan.by_count && steady::now() >= plan.end)) break;
            }
            next_send = std::max(next_send + interval, steady::now() - interval);  // no catch-up burst
        }

        const request_kind& kind = w.mix.pick(w.rng);
        const std::string_view wire = w.mix.wire(kind, scratch, next_seq, w.rng);

        const auto t0 = steady::now();
        stream.expires_after(plan.timeout);
        auto [wec, written] = co_await asio::async_write(stream, asio::buffer(wire.data(), wire.size()), use_tuple);
        if (w.stopping) break;
        if (wec) {
            note_failure(wec == beast::error::timeout ? failure::timeout : failure::io, steady::now());
            close();
            continue;
        }

        http::response_parser<http::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        if (kind.is_head) parser.skip(true);
        stream.expires_after(plan.timeout);
        auto [rec, read] = co_await http::async_read(stream, buffer, parser, use_tuple);
        const auto t1 = steady::now();
        if (w.stopping) break;
        if (rec) {
            note_failure(rec == beast::error::timeout ? failure::timeout : failure::io, t1);
            close();
            continue;
        }

        const bool measured = plan.by_count ? counted : (t0 >= plan.measure_start && t1 <= plan.end);
        if (measured) {
            auto& s = w.stats;
            const auto ns = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
            const unsigned code = std::min<unsigned>(parser.get().result_int(), 999);
            s.latency.record(ns);
            s.latency_by_status[code].record(ns);
            ++s.status[code];
            ++s.responses;
            s.last_done = std::max(s.last_done, t1);
        }
        if (!parser.keep_alive()) {
            if (measured) ++w.stats.reconnects;
            close();
        }
        if (plan.retry_after_cap > steady::duration::zero()) {
            if (const auto pause = retry_after_pause(parser.get(), plan.retry_after_cap); pause > steady::duration::zero()) {
                // Plus up to 50% jitter: refused clients do not retry in lockstep.
                const auto until = steady::now() + pause + steady::duration(w.rng.below(std::uint64_t(pause.count()) / 2 + 1));
                timer_type timer(stream.get_executor());
                timer.expires_at(plan.by_count ? until : std::min(until, plan.end));  // never past the run
                co_await timer.async_wait(use_tuple);
            }
        }
    }
    if (connected) close();
}

// Duration mode: at the end, stops every connection of this worker,
// cancelling the requests still in flight (they are not counted).
task<void> stop_at(worker& w, steady::time_point end) {
    timer_type timer(w.ioc.get_executor());
    timer.expires_at(end);
    co_await timer.async_wait(use_tuple);
    w.stopping = true;
    for (auto& s : w.streams) s->cancel();
}

// The completion handler of every coroutine: a coroutine that throws is a
// bug in loadgen; say so and make the run fail.
auto report_exception(worker& w, const char* what) {
    return [&w, what](std::exception_ptr e) {
        if (!e) return;
        w.failed = true;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            std::fprintf(stderr, "loadgen: %s ended with an exception: %s\n", what, ex.what());
        } catch (...) {
            std::fprintf(stderr, "loadgen: %s ended with an unknown exception\n", what);
        }
    };
}

// ---------------------------------------------------------------- report

struct summary {
    double seconds = 0;
    double rps = 0;
    thread_stats total;
};

double ms(std::uint64_t ns) { return double(ns) / 1e6; }

std::string status_line(const thread_stats& t) {
    std::string out;
    for (std::size_t code = 0; code < t.status.size(); ++code) {
        if (!t.status[code]) continue;
        if (!out.empty()) out += ", ";
        out += std::to_string(code) + ": " + std::to_string(t.status[code]);
    }
    if (out.empty()) out = "none";
    std::array<std::uint64_t, 6> cls{};
    for (std::size_t code = 0; code < t.status.size(); ++code) cls[std::min<std::size_t>(code / 100, 5)] += t.status[code];
    out += "   (2xx " + std::to_string(cls[2]) + ", 3xx " + std::to_string(cls[3]) + ", 4xx " + std::to_string(cls[4]) +
           ", 5xx " + std::to_string(cls[5]) + ")";
    return out;
}

void print_table(const options& o, const summary& s) {
    const auto& t = s.total;
    const auto& h = t.latency;
    std::printf("loadgen %s -> %s   %d connections, %d threads, %.2f s measured (warmup %.2f s)\n",
                o.label.c_str(), o.target.c_str(), o.connections, o.threads, s.seconds,
                std::chrono::duration<double>(o.warmup).count());
    std::printf("  %-10s %12llu   %-6s %12.1f\n", "requests", (unsigned long long)t.responses, "req/s", s.rps);
    std::printf("  %-10s p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f\n", "latency ms",
                ms(h.quantile(0.50)), ms(h.quantile(0.90)), ms(h.quantile(0.99)), ms(h.quantile(0.999)),
                ms(h.max()), h.mean() / 1e6);
    if (t.latency_by_status.size() > 1)
        for (const auto& [code, hs] : t.latency_by_status)
            std::printf("  %-10s p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (%llu responses)\n",
                        ("  " + std::to_string(code)).c_str(), ms(hs.quantile(0.50)), ms(hs.quantile(0.90)),
                        ms(hs.quantile(0.99)), ms(hs.quantile(0.999)), ms(hs.max()), (unsigned long long)hs.count());
    std::printf("  %-10s %s\n", "status", status_line(t).c_str());
    std::printf("  %-10s %llu   (connect %llu, read/write %llu, timeout %llu); server-requested reconnects %llu\n",
                "errors", (unsigned long long)t.errors(), (unsigned long long)t.connect_errors,
                (unsigned long long)t.io_errors, (unsigned long long)t.timeouts, (unsigned long long)t.reconnects);
}

// JSON by hand: a fixed, flat shape, numbers in plain decimal notation.
void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') { out += '\\'; out += char(c); }
        else if (c < 0x20) { char hex[8]; std::snprintf(hex, sizeof hex, "\\u%04x", c); out += hex; }
        else out += char(c);
    }
    out += '"';
}

std::string fixed3(double v) {
    char text[64];
    std::snprintf(text, sizeof text, "%.3f", v);
    return text;
}

std::string latency_json(const latency_histogram& h) {
    return "{\"p50\": " + fixed3(ms(h.quantile(0.50))) + ", \"p90\": " + fixed3(ms(h.quantile(0.90))) +
           ", \"p99\": " + fixed3(ms(h.quantile(0.99))) + ", \"p999\": " + fixed3(ms(h.quantile(0.999))) +
           ", \"max\": " + fixed3(ms(h.max())) + ", \"mean\": " + fixed3(h.mean() / 1e6) + "}";
}

std::string to_json(const options& o, const summary& s) {
    const auto& t = s.total;
    auto n = [](std::uint64_t v) { return std::to_string(v); };
    std::string out = "{\"label\": ";
    append_json_string(out, o.label);
    out += ", \"target\": ";
    append_json_string(out, o.target);
    out += ", \"connections\": " + std::to_string(o.connections) + ", \"threads\": " + std::to_string(o.threads);
    out += ", \"duration_s\": " + fixed3(s.seconds);
    out += ", \"warmup_s\": " + fixed3(std::chrono::duration<double>(o.warmup).count());
    out += ", \"requests\": " + n(t.responses) + ", \"rps\": " + fixed3(s.rps);
    out += ", \"latency_ms\": " + latency_json(t.latency);
    out += ", \"latency_ms_by_status\": {";
    for (const auto& [code, h] : t.latency_by_status) {
        out += code == t.latency_by_status.begin()->first ? "\"" : ", \"";
        out += std::to_string(code) + "\": " + latency_json(h);
    }
    out += "}";
    out += ", \"status\": {";
    bool first = true;
    for (std::size_t code = 0; code < t.status.size(); ++code) {
        if (!t.status[code]) continue;
        out += first ? "\"" : ", \"";
        out += std::to_string(code) + "\": " + n(t.status[code]);
        first = false;
    }
    out += "}, \"errors\": " + n(t.errors());
    out += ", \"error_kinds\": {\"connect\": " + n(t.connect_errors) + ", \"read_write\": " + n(t.io_errors) +
           ", \"timeout\": " + n(t.timeouts) + "}";
    out += ", \"reconnects\": " + n(t.reconnects);
    out += ", \"honor_retry_after_s\": " + fixed3(std::chrono::duration<double>(o.retry_after_cap).count());
    out += ", \"rate\": " + fixed3(o.rate);
    out += ", \"mix\": ";
    append_json_string(out, o.mix_file.empty() ? o.method + " " + o.path : o.mix_file);
    out += "}";
    return out;
}

int run(const options& o) {
    const request_mix mix = load_mix(o);

    run_plan plan;
    plan.by_count = o.requests.has_value();
    plan.request_budget = o.requests.value_or(0);
    plan.timeout = o.timeout;
    plan.retry_after_cap = o.retry_after_cap;
    if (o.rate > 0)
        plan.pace_interval = std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o.connections / o.rate));
    plan.endpoint = o.endpoint;

    std::random_device seed_source;
    std::vector<std::unique_ptr<worker>> workers;
    for (int i = 0; i < o.threads; ++i) {
        auto w = std::make_unique<worker>();
        w->mix = mix;
        w->rng.state = (std::uint64_t(seed_source()) << 32) ^ seed_source() ^ std::uint64_t(i);
        workers.push_back(std::move(w));
    }
    for (int c = 0; c < o.connections; ++c) {
        auto& w = *workers[c % o.threads];
        w.streams.push_back(std::make_unique<stream_type>(w.ioc.get_executor()));
    }

    const auto start = steady::now();
    plan.measure_start = start + o.warmup;
    plan.end = plan.by_count ? steady::time_point::max() : plan.measure_start + *o.duration;

    for (auto& wp : workers) {
        worker& w = *wp;
        for (auto& s : w.streams)
            asio::co_spawn(w.ioc, run_connection(w, plan, *s), report_exception(w, "a connection"));
        if (!plan.by_count) asio::co_spawn(w.ioc, stop_at(w, plan.end), report_exception(w, "the stop timer"));
    }
    std::vector<std::thread> threads;
    for (auto& wp : workers) threads.emplace_back([&w = *wp] { w.ioc.run(); });
    for (auto& t : threads) t.join();

    summary s;
    bool failed = false;
    for (auto& wp : workers) {
        s.total.merge(wp->stats);
        failed = failed || wp->failed;
    }
    if (plan.by_count) {
        s.seconds = s.total.responses ? std::chrono::duration<double>(s.total.last_done - plan.measure_start).count() : 0;
    } else {
        s.seconds = std::chrono::duration<double>(*o.duration).count();
    }
    s.rps = s.seconds > 0 ? double(s.total.responses) / s.seconds : 0;

    print_table(o, s);
    if (!o.json_out.empty()) {
        std::ofstream out(o.json_out, std::ios::binary | std::ios::trunc);
        out << to_json(o, s) << '\n';
        if (!out) {
            std::fprintf(stderr, "loadgen: cannot write %s\n", o.json_out.c_str());
            return 1;
        }
    }
    if (failed) return 1;
    if (s.total.responses == 0) {
        std::fprintf(stderr, "loadgen: no response received from %s\n", o.target.c_str());
        return 1;
    }
    return 0;
}

}  // namespace
}  // namespace sesame::bench

int main(int argc, char** argv) {
    try {
        return sesame::bench::run(sesame::bench::parse_options(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loadgen: %s\n", e.what());
        return 1;
    }
}
