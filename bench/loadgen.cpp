// loadgen: the HTTP/1.1 load generator of the bench suite (scripts/bench).
// N keep-alive connections over T threads (one io_context each); every
// connection is a coroutine sending requests and reconnecting when the
// server closes. Closed loop by default (send, read, send the next); with a
// rate, open loop: each connection keeps a schedule of intended send times
// and latency is measured from them (as wrk2 does), so a stalled server
// cannot hide its queue. With --scenario, the request kinds, their weights,
// ramp stages and think time come from a scenario file (scenario.hpp), and
// the JSON adds per-route figures and a per-second series for the report.
// Talks only to a loopback target unless --allow-remote; stops by itself
// after --duration or --requests. Depends on Asio/Beast/JSON (sesame_boost)
// and the sans-I/O helpers next to it (mix.hpp, histogram.hpp, scenario.hpp).
#include "bench/histogram.hpp"
#include "bench/mix.hpp"
#include "bench/scenario.hpp"

#include <unistd.h>

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
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <functional>
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
    // --scenario
    std::string scenario_file;
    scenario plan;  // parsed scenario_file
    std::vector<std::pair<std::string, std::string>> values;  // --values NAME=FILE
    std::string record_dir;
    bool allow_remote = false;
    bool progress = false;
    bool given_connections = false, given_threads = false, given_rate = false, given_warmup = false,
         given_timeout = false, given_retry = false;
    std::string print_scenario;
    std::uint64_t max_requests = 0;  // duration mode: stop after this many answers (0: no cap)
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
    "  --rate R: open loop, R requests/s in all, each connection keeping a schedule of one\n"
    "  request every connections/R s; latency counts from the intended send time (wrk2's way).\n"
    "  Default: closed loop (latency from the first byte written).\n"
    "\n"
    "       loadgen --target HOST:PORT --scenario FILE [--values NAME=FILE ...] [--duration D]\n"
    "               [--rate R] [--connections N] [--record-dir DIR] [--json OUT.json] [--progress]\n"
    "       loadgen --print-scenario FILE     (the parsed scenario as JSON; exit 2 if invalid)\n"
    "  Scenario files (bench/scenario.hpp): named routes with weights, headers, {@NAME}\n"
    "  placeholders (a random line of the --values file NAME) and {#NAME} ones (its lines in\n"
    "  order, each once per run, then again), ramp stages (--duration scales them), think\n"
    "  time; --record-dir writes ROUTE.recorded (per expected response, its `record`\n"
    "  field, a tab, and when it came in seconds since the start).\n"
    "  --max-requests N: with a duration, also stop after N measured answers (a bound on the run).\n"
    "  --allow-remote: accept a non-loopback target (never on a machine you do not own).\n"
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

tcp::endpoint parse_target(const std::string& target, bool allow_remote) {
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
    if (!addr.is_loopback() && !allow_remote)
        usage_error("--target must be a loopback address; loadgen loads other hosts only with --allow-remote");
    return {addr, static_cast<unsigned short>(port)};
}

std::string read_file(const std::string& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) usage_error(std::string("cannot read ") + what + " '" + path + "'");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

scenario load_scenario(const std::string& path) {
    scenario s;
    std::string error;
    if (!parse_scenario(read_file(path, "scenario file"), s, error)) usage_error(path + ": " + error);
    return s;
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
        if (arg == "--allow-remote") { o.allow_remote = true; continue; }
        if (arg == "--progress") { o.progress = true; continue; }
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
        else if (arg == "--connections") { o.connections = parse_int<int>(arg, value, 1, 20000); o.given_connections = true; }
        else if (arg == "--threads") { o.threads = parse_int<int>(arg, value, 1, 256); o.given_threads = true; }
        else if (arg == "--duration") {
            o.duration = duration_of(value);
            if (*o.duration <= steady::duration::zero()) usage_error("--duration must be positive");
        }
        else if (arg == "--requests") o.requests = parse_int<std::uint64_t>(arg, value, 1, 1'000'000'000'000ULL);
        else if (arg == "--warmup") { o.warmup = duration_of(value); o.given_warmup = true; }
        else if (arg == "--timeout") {
            o.timeout = duration_of(value);
            if (o.timeout <= steady::duration::zero()) usage_error("--timeout must be positive");
            o.given_timeout = true;
        }
        else if (arg == "--honor-retry-after") { o.retry_after_cap = duration_of(value); o.given_retry = true; }
        else if (arg == "--rate") {
            const auto r = parse_int<std::uint64_t>(arg, value, 0, 10'000'000);
            o.rate = double(r);
            o.given_rate = true;
        }
        else if (arg == "--scenario") o.scenario_file = std::string(value);
        else if (arg == "--print-scenario") o.print_scenario = std::string(value);
        else if (arg == "--record-dir") o.record_dir = std::string(value);
        else if (arg == "--max-requests") o.max_requests = parse_int<std::uint64_t>(arg, value, 1, 1'000'000'000'000ULL);
        else if (arg == "--values") {
            const auto eq = value.find('=');
            if (eq == std::string_view::npos || eq == 0) usage_error("--values takes NAME=FILE");
            o.values.emplace_back(std::string(value.substr(0, eq)), std::string(value.substr(eq + 1)));
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
    if (!o.print_scenario.empty()) return o;
    if (!have_target) usage_error("--target HOST:PORT is required");
    if (o.duration && o.requests) usage_error("give --duration or --requests, not both");
    if (!o.scenario_file.empty()) {
        if (!o.mix_file.empty() || !o.path.empty()) usage_error("give --scenario or --mix/--path, not both");
        if (o.requests) usage_error("a scenario runs for a duration (its stages, or --duration)");
        o.plan = load_scenario(o.scenario_file);
        if (o.plan.kind != "http") usage_error(o.scenario_file + ": a " + o.plan.kind + " scenario has no routes to load");
        if (o.duration) o.plan.scale_to(std::chrono::duration_cast<std::chrono::milliseconds>(*o.duration).count());
        o.duration = std::chrono::milliseconds(o.plan.duration_ms());
        if (!o.given_connections) o.connections = o.plan.connections;
        if (!o.given_threads) o.threads = o.plan.threads;
        if (!o.given_rate) o.rate = o.plan.rate;
        if (!o.given_warmup) o.warmup = std::chrono::milliseconds(o.plan.warmup_ms);
        if (!o.given_timeout) o.timeout = std::chrono::milliseconds(o.plan.timeout_ms);
        if (!o.given_retry) o.retry_after_cap = std::chrono::milliseconds(o.plan.honor_retry_after_ms);
        if (o.label.empty()) o.label = o.plan.name;
    } else {
        o.plan.stages = {{0, 1000}};  // one level: all connections, the whole rate
    }
    if (!o.duration && !o.requests) o.duration = 10s;
    if (!o.mix_file.empty() && !o.path.empty()) usage_error("give --mix or --path, not both");
    if (o.scenario_file.empty() && o.mix_file.empty() && o.path.empty()) o.path = "/healthz";
    if (o.threads > o.connections) o.threads = o.connections;
    o.endpoint = parse_target(o.target, o.allow_remote);
    if (o.label.empty()) o.label = o.target;
    return o;
}

request_mix load_mix(const options& o) {
    request_mix mix;
    std::string error;
    if (!o.scenario_file.empty()) {
        for (const auto& r : o.plan.routes)
            if (!mix.add_route(r.name, r.weight, r.method, r.path, r.body, r.content_type, r.headers, error))
                usage_error(o.scenario_file + ": route " + r.name + ": " + error);
        for (const auto& [name, file] : o.values) {
            std::vector<std::string> lines;
            std::istringstream text(read_file(file, "values file"));
            for (std::string line; std::getline(text, line);) {
                if (!line.empty() && line.back() == '\r') line.pop_back();
                lines.push_back(std::move(line));
            }
            mix.set_values(name, std::move(lines));
        }
        if (const auto missing = mix.missing_values(); !missing.empty())
            usage_error(o.scenario_file + ": no --values lines for {@" + missing.front() + "} or {#" + missing.front() + "}");
    } else if (!o.mix_file.empty()) {
        if (!mix.parse(read_file(o.mix_file, "mix file"), error)) usage_error(o.mix_file + ": " + error);
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
    steady::time_point start;          // the run's origin (warmup included)
    steady::time_point measure_start;  // stages count from here
    steady::time_point end;            // duration mode only
    bool by_count = false;
    std::uint64_t request_budget = 0;
    steady::duration timeout;
    steady::duration retry_after_cap;
    steady::duration think{};
    double rate = 0;  // peak requests/s over all connections; 0: closed loop
    int connections = 1;
    const scenario* stages = nullptr;
    std::vector<std::vector<unsigned>> expect;  // per kind; empty: 2xx and 3xx
    std::vector<std::string> record;            // per kind: JSON field to record, or empty
    // kill_at: answers overlapping a [kill_from, kill_to] stay out of latency_steady.
    std::vector<std::pair<steady::time_point, steady::time_point>> kill_windows;
    tcp::endpoint endpoint;
    std::atomic<std::uint64_t> tickets{0};  // count mode: attempts taken after warmup
    std::atomic<std::uint64_t> seq{0};      // {seq}
    std::atomic<std::uint64_t> done{0};     // responses, for the progress line
    std::atomic<std::uint64_t> failed{0};   // unexpected statuses and transport errors, likewise
    std::uint64_t max_requests = 0;         // 0: no cap
    std::atomic<bool> capped{false};        // the cap was reached: every connection stops
    std::atomic<std::int64_t> capped_at_ns{0};  // when, since start

    // The level (permille of the peak) at `t`; the warmup runs at the first level.
    std::int64_t level_at(steady::time_point t) const {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - measure_start).count();
        return stages->level_at(std::max<std::int64_t>(ms, 0));
    }
    bool expected(std::size_t kind, unsigned status) const {
        const auto& e = expect[kind];
        if (e.empty()) return status >= 200 && status < 400;
        return std::find(e.begin(), e.end(), status) != e.end();
    }
};

// Transport failures, in the same maps as HTTP statuses (errors by status).
constexpr unsigned error_connect = 1000, error_read_write = 1001, error_timeout = 1002;
std::string status_name(unsigned code) {
    switch (code) {
    case error_connect: return "connect";
    case error_read_write: return "read_write";
    case error_timeout: return "timeout";
    default: return std::to_string(code);
    }
}

struct thread_stats {
    latency_histogram latency;
    latency_histogram latency_steady;  // the same, without the answers around a kill
    std::map<unsigned, latency_histogram> latency_by_status;  // the same samples, split by status
    std::array<std::uint64_t, 1000> status{};
    std::uint64_t responses = 0;
    std::uint64_t expected = 0;  // responses with a status the route expects
    std::uint64_t connect_errors = 0;
    std::uint64_t io_errors = 0;  // reset, unexpected close, malformed response
    std::uint64_t timeouts = 0;
    std::uint64_t reconnects = 0;  // server asked to close (Connection: close)
    steady::time_point last_done{};

    void merge(const thread_stats& o) {
        latency.merge(o.latency);
        latency_steady.merge(o.latency_steady);
        for (const auto& [code, h] : o.latency_by_status) latency_by_status[code].merge(h);
        for (std::size_t i = 0; i < status.size(); ++i) status[i] += o.status[i];
        responses += o.responses;
        expected += o.expected;
        connect_errors += o.connect_errors;
        io_errors += o.io_errors;
        timeouts += o.timeouts;
        reconnects += o.reconnects;
        last_done = std::max(last_done, o.last_done);
    }
    std::uint64_t errors() const { return connect_errors + io_errors + timeouts; }
};

// One second of one route, for the report's charts.
struct second_stats {
    std::uint64_t responses = 0;
    std::uint64_t expected = 0;
    coarse_histogram latency;
    std::map<unsigned, std::uint64_t> errors;  // unexpected statuses and transport failures

    void merge(const second_stats& o) {
        responses += o.responses;
        expected += o.expected;
        latency.merge(o.latency);
        for (const auto& [code, n] : o.errors) errors[code] += n;
    }
};

// Per request kind (route): its totals, its seconds, what it recorded.
struct route_stats {
    thread_stats total;
    std::vector<second_stats> seconds;  // index: whole seconds since plan.start
    std::vector<std::string> recorded;

    second_stats& at(steady::time_point t, const run_plan& plan) {
        const auto i = static_cast<std::size_t>(std::max<std::int64_t>(
            0, std::chrono::duration_cast<std::chrono::seconds>(t - plan.start).count()));
        if (i >= 86400) return seconds.emplace_back();  // never for a bounded run; no unbounded growth
        if (seconds.size() <= i) seconds.resize(i + 1);
        return seconds[i];
    }
};

// One thread: its io_context, its connections and its counters. Touched only
// from its own thread while it runs.
struct worker {
    asio::io_context ioc{1};  // run by this worker's thread only
    std::vector<std::unique_ptr<stream_type>> streams;  // destroyed before ioc
    std::vector<int> stream_index;  // each stream's index over all threads
    thread_stats stats;
    std::vector<route_stats> routes;  // per request kind
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

// The string value of "field" in a compact JSON body, or empty: enough for
// the server's own responses (`record`), without a full parse.
std::string json_string_field(std::string_view body, std::string_view field) {
    const std::string key = "\"" + std::string(field) + "\"";
    auto at = body.find(key);
    if (at == std::string_view::npos) return {};
    at = body.find_first_not_of(" \t\r\n", at + key.size());
    if (at == std::string_view::npos || body[at] != ':') return {};
    at = body.find_first_not_of(" \t\r\n", at + 1);
    if (at == std::string_view::npos || body[at] != '"') return {};
    const auto close = body.find('"', at + 1);
    if (close == std::string_view::npos) return {};
    return std::string(body.substr(at + 1, close - at - 1));
}

// Runs one connection until the run ends. Completes when the duration has
// passed (cancelled by stop_at) or the request budget is spent; each step is
// bounded by plan.timeout. Owns nothing: the stream and worker outlive it.
task<void> run_connection(worker& w, run_plan& plan, stream_type& stream, int index) {
    beast::flat_buffer buffer;
    std::string scratch;
    bool connected = false;
    auto next_seq = [&plan] { return plan.seq.fetch_add(1, std::memory_order_relaxed); };
    const bool open_loop = plan.rate > 0;
    // Open loop: this connection's intended send times, one every
    // connections / (rate x level) s; the first at a random offset so that
    // connections do not send in lockstep.
    auto interval_at = [&plan](steady::time_point t) {
        const double per_s = plan.rate * double(plan.level_at(t)) / 1000.0 / plan.connections;
        return per_s > 0 ? std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(1.0 / per_s))
                         : steady::duration::zero();
    };
    steady::time_point intended = steady::now();
    if (open_loop) {
        const auto first = interval_at(intended);
        if (first > steady::duration::zero()) intended += steady::duration(w.rng.below(std::uint64_t(first.count())));
    }
    auto in_window = [&plan](steady::time_point t) { return t >= plan.measure_start && t <= plan.end; };
    auto pause_until = [&](steady::time_point until) -> task<void> {
        timer_type timer(stream.get_executor());
        timer.expires_at(plan.by_count ? until : std::min(until, plan.end));  // never past the run
        co_await timer.async_wait(use_tuple);
    };

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
            if (steady::now() >= plan.end || plan.capped.load(std::memory_order_relaxed)) break;
            counted = true;  // re-checked against the window when it ends
        }

        // The load's shape: a closed-loop connection above the current level
        // waits; an open-loop one waits for its next intended send time.
        if (!open_loop) {
            const auto active = (std::int64_t(plan.connections) * plan.level_at(steady::now()) + 999) / 1000;
            if (index >= active) {
                auto wait = pause_until(steady::now() + 20ms);
                co_await std::move(wait);
                continue;
            }
        } else {
            const auto step = interval_at(intended);
            if (step == steady::duration::zero()) {  // level 0: nothing to send yet
                intended = steady::now() + 20ms;
                auto wait = pause_until(intended);
                co_await std::move(wait);
                continue;
            }
            if (intended > steady::now()) {
                auto wait = pause_until(intended);
                co_await std::move(wait);
                if (w.stopping || (!plan.by_count && steady::now() >= plan.end)) break;
            }
        }
        const steady::time_point this_intended = intended;
        if (open_loop) intended += interval_at(intended);  // late sends keep the schedule: no hidden queue

        const request_kind& kind = w.mix.pick(w.rng);
        route_stats& route = w.routes[kind.index];
        auto note_failure = [&](failure f, steady::time_point at) {
            if (!(plan.by_count ? counted : in_window(at))) return;
            plan.failed.fetch_add(1, std::memory_order_relaxed);
            unsigned code = error_read_write;
            for (thread_stats* s : {&w.stats, &route.total}) {
                switch (f) {
                case failure::connect: ++s->connect_errors; code = error_connect; break;
                case failure::io: ++s->io_errors; break;
                case failure::timeout: ++s->timeouts; code = error_timeout; break;
                }
            }
            ++route.at(at, plan).errors[code];
        };

        if (!connected) {
            stream.expires_after(plan.timeout);
            auto [ec] = co_await stream.async_connect(plan.endpoint, use_tuple);
            if (w.stopping) break;
            if (ec) {
                note_failure(ec == beast::error::timeout ? failure::timeout : failure::connect, steady::now());
                close();
                // Do not spin on a refused port: a short, bounded pause.
                auto wait = pause_until(steady::now() + 10ms);
                co_await std::move(wait);
                continue;
            }
            boost::system::error_code ignored;
            stream.socket().set_option(tcp::no_delay(true), ignored);
            connected = true;
        }

        const std::string_view wire = w.mix.wire(kind, scratch, next_seq, w.rng);

        const auto sent = steady::now();
        const auto t0 = open_loop ? std::min(this_intended, sent) : sent;
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

        const unsigned code = std::min<unsigned>(parser.get().result_int(), 999);
        const bool expected = plan.expected(kind.index, code);
        if (expected && !plan.record[kind.index].empty()) {
            // Every response the client saw, measured or not: the delivery check needs them all.
            // "VALUE<TAB>SECONDS" since the start of the run, for the report.
            if (auto v = json_string_field(parser.get().body(), plan.record[kind.index]); !v.empty()) {
                char at[32];
                std::snprintf(at, sizeof at, "\t%.3f", std::chrono::duration<double>(t1 - plan.start).count());
                route.recorded.push_back(std::move(v) + at);
            }
        }
        const bool measured = plan.by_count ? counted : (t0 >= plan.measure_start && t1 <= plan.end);
        if (measured) {
            const auto ns = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
            const bool steady_state = std::none_of(plan.kill_windows.begin(), plan.kill_windows.end(),
                                                   [t0, t1](const auto& k) { return t1 >= k.first && t0 <= k.second; });
            for (thread_stats* s : {&w.stats, &route.total}) {
                s->latency.record(ns);
                if (steady_state) s->latency_steady.record(ns);
                s->latency_by_status[code].record(ns);
                ++s->status[code];
                ++s->responses;
                if (expected) ++s->expected;
                s->last_done = std::max(s->last_done, t1);
            }
            auto& second = route.at(t1, plan);
            ++second.responses;
            second.latency.record(ns);
            if (expected) ++second.expected;
            else ++second.errors[code];
            const auto done = plan.done.fetch_add(1, std::memory_order_relaxed) + 1;
            if (!expected) plan.failed.fetch_add(1, std::memory_order_relaxed);
            if (plan.max_requests && done >= plan.max_requests && !plan.capped.exchange(true))
                plan.capped_at_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - plan.start).count();
        }
        if (!parser.keep_alive()) {
            if (measured) { ++w.stats.reconnects; ++route.total.reconnects; }
            close();
        }
        if (plan.retry_after_cap > steady::duration::zero()) {
            if (const auto pause = retry_after_pause(parser.get(), plan.retry_after_cap); pause > steady::duration::zero()) {
                // Plus up to 50% jitter: refused clients do not retry in lockstep.
                auto wait = pause_until(steady::now() + pause + steady::duration(w.rng.below(std::uint64_t(pause.count()) / 2 + 1)));
                co_await std::move(wait);
            }
        }
        if (!open_loop && plan.think > steady::duration::zero()) {
            // Between 0.5 and 1.5 times the think time.
            const auto jitter = steady::duration(w.rng.below(std::uint64_t(plan.think.count()) + 1));
            auto wait = pause_until(steady::now() + plan.think / 2 + jitter);
            co_await std::move(wait);
        }
    }
    if (connected) close();
}

// Duration mode: at the end, stops every connection of this worker,
// cancelling the requests still in flight (they are not counted).
task<void> stop_at(worker& w, const run_plan& plan) {
    timer_type timer(w.ioc.get_executor());
    // In steps, to see the request cap when there is one.
    while (steady::now() < plan.end && !plan.capped.load(std::memory_order_relaxed)) {
        timer.expires_at(plan.max_requests ? std::min(plan.end, steady::now() + 50ms) : plan.end);
        co_await timer.async_wait(use_tuple);
    }
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

// ---------------------------------------------------------------- scenario output

namespace json = boost::json;

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

json::object latency_object(const latency_histogram& h) {
    return {{"p50", round3(ms(h.quantile(0.50)))}, {"p90", round3(ms(h.quantile(0.90)))},
            {"p99", round3(ms(h.quantile(0.99)))}, {"p999", round3(ms(h.quantile(0.999)))},
            {"max", round3(ms(h.max()))}, {"mean", round3(h.mean() / 1e6)}};
}

// The parsed scenario, for scripts/bench (`--print-scenario`).
json::object scenario_object(const scenario& s) {
    json::array stages, routes, ratios, thresholds;
    for (const auto& st : s.stages) stages.push_back(json::object{{"s", st.ms / 1000.0}, {"level", st.level_permille / 1000.0}});
    for (const auto& r : s.routes) {
        json::array headers, expect;
        for (const auto& h : r.headers) headers.emplace_back(h);
        for (auto c : r.expect) expect.emplace_back(c);
        routes.push_back(json::object{{"name", r.name}, {"weight", r.weight}, {"method", r.method}, {"path", r.path},
                                      {"body", r.body}, {"content_type", r.content_type}, {"headers", headers},
                                      {"expect", expect}, {"record", r.record}});
    }
    for (const auto& r : s.ratios) ratios.push_back(json::object{{"name", r.name}, {"numerator", r.numerator}, {"denominator", r.denominator}});
    for (const auto& t : s.thresholds)
        thresholds.push_back(json::object{{"name", t.name}, {"metric", t.metric}, {"op", t.op}, {"value", t.value}});
    json::array references, server;
    for (const auto& r : s.references) references.emplace_back(r);
    for (const auto& f : s.server_flags) server.emplace_back(f);
    json::object out{{"name", s.name}, {"description", s.description}, {"kind", s.kind},
                     {"connections", s.connections}, {"threads", s.threads}, {"rate", s.rate},
                     {"think_s", s.think_ms / 1000.0}, {"warmup_s", s.warmup_ms / 1000.0},
                     {"timeout_s", s.timeout_ms / 1000.0}, {"honor_retry_after_s", s.honor_retry_after_ms / 1000.0},
                     {"start", s.start_permille / 1000.0}, {"stages", stages}, {"duration_s", s.duration_ms() / 1000.0},
                     {"check_delivery", s.check_delivery}, {"references", references}, {"server", server},
                     {"routes", routes}, {"ratios", ratios}, {"thresholds", thresholds}};
    json::array kill_at;  // empty: no kill
    for (const auto p : s.kill_at_permille) kill_at.push_back(p / 1000.0);
    out["kill_at"] = std::move(kill_at);
    out["kill_window_s"] = s.kill_window_ms / 1000.0;
    return out;
}

json::object status_object(const thread_stats& t, const std::function<bool(unsigned)>& keep) {
    json::object out;
    for (unsigned code = 0; code < t.status.size(); ++code)
        if (t.status[code] && keep(code)) out[std::to_string(code)] = t.status[code];
    return out;
}

// The scenario run's JSON: totals, per route (with errors by status), the
// per-second series and what was recorded.
json::object scenario_result(const options& o, const run_plan& plan, const summary& s,
                             const std::vector<route_stats>& routes, const request_mix& mix, double started_at_unix) {
    auto all = [](unsigned) { return true; };
    json::object out{{"label", o.label}, {"scenario", o.plan.name}, {"target", o.target},
                     {"mode", plan.rate > 0 ? "open" : "closed"}, {"rate", plan.rate},
                     {"connections", o.connections}, {"threads", o.threads},
                     {"started_at_unix", started_at_unix}, {"warmup_s", std::chrono::duration<double>(o.warmup).count()},
                     {"duration_s", round3(s.seconds)}, {"requests", s.total.responses}, {"rps", round3(s.rps)},
                     {"latency_ms", latency_object(s.total.latency)}, {"status", status_object(s.total, all)},
                     {"errors", s.total.errors()},
                     {"error_kinds", json::object{{"connect", s.total.connect_errors}, {"read_write", s.total.io_errors},
                                                  {"timeout", s.total.timeouts}}},
                     {"reconnects", s.total.reconnects}, {"max_requests", o.max_requests},
                     {"capped", plan.capped.load()}};
    std::size_t seconds = 0;
    for (const auto& r : routes) seconds = std::max(seconds, r.seconds.size());
    const double window_end = std::chrono::duration<double>(plan.end - plan.start).count();
    seconds = std::min<std::size_t>(seconds, std::size_t(std::ceil(window_end)));

    json::object by_route, series_routes, recorded;
    std::map<unsigned, std::vector<std::uint64_t>> errors_by_status;
    for (const auto& k : mix.kinds()) {
        const auto& r = routes[k.index];
        const auto& t = r.total;
        json::object errors;
        for (unsigned code = 0; code < t.status.size(); ++code)
            if (t.status[code] && !plan.expected(k.index, code)) errors[std::to_string(code)] = t.status[code];
        if (t.connect_errors) errors["connect"] = t.connect_errors;
        if (t.io_errors) errors["read_write"] = t.io_errors;
        if (t.timeouts) errors["timeout"] = t.timeouts;
        json::object by_status, rps_by_status;
        for (const auto& [code, h] : t.latency_by_status) {
            by_status[std::to_string(code)] = latency_object(h);
            rps_by_status[std::to_string(code)] = round3(s.seconds > 0 ? h.count() / s.seconds : 0);
        }
        json::object& route_out = by_route[k.name].emplace_object();
        route_out = json::object{
            {"requests", t.responses}, {"rps", round3(s.seconds > 0 ? t.responses / s.seconds : 0)},
            {"ok", t.expected}, {"rps_ok", round3(s.seconds > 0 ? t.expected / s.seconds : 0)},
            {"status", status_object(t, all)}, {"rps_by_status", rps_by_status}, {"errors", errors},
            {"latency_ms", latency_object(t.latency)}, {"latency_ms_by_status", by_status}};
        if (!plan.kill_windows.empty()) route_out["latency_ms_steady"] = latency_object(t.latency_steady);
        json::array buckets;  // [upper edge in ms, count]: whole distributions to compare (scripts/bench latency_ks)
        t.latency.for_each_bucket([&buckets](std::uint64_t edge, std::uint64_t count) {
            buckets.push_back(json::array{round3(ms(edge)), count});
        });
        route_out["latency_histogram"] = std::move(buckets);

        json::array n, ok, p50, p90, p99;
        for (std::size_t i = 0; i < seconds; ++i) {
            const second_stats empty;
            const auto& sec = i < r.seconds.size() ? r.seconds[i] : empty;
            n.push_back(sec.responses);
            ok.push_back(sec.expected);
            p50.push_back(round3(ms(sec.latency.quantile(0.50))));
            p90.push_back(round3(ms(sec.latency.quantile(0.90))));
            p99.push_back(round3(ms(sec.latency.quantile(0.99))));
            for (const auto& [code, count] : sec.errors) {
                auto& v = errors_by_status[code];
                v.resize(seconds);
                v[i] += count;
            }
        }
        series_routes[k.name] = json::object{{"requests", n}, {"ok", ok}, {"p50", p50}, {"p90", p90}, {"p99", p99}};
        if (!plan.record[k.index].empty()) recorded[k.name] = r.recorded.size();
    }
    json::array t_axis, level;
    for (std::size_t i = 0; i < seconds; ++i) {
        t_axis.push_back(double(i) + 1.0);
        level.push_back(plan.level_at(plan.start + std::chrono::seconds(i) + 500ms) / 1000.0);
    }
    json::object errors_series;
    for (const auto& [code, v] : errors_by_status) {
        json::array a;
        for (auto x : v) a.push_back(x);
        errors_series[status_name(code)] = a;
    }
    out["routes"] = by_route;
    out["series"] = json::object{{"t", t_axis}, {"level", level}, {"routes", series_routes}, {"errors", errors_series}};
    out["recorded"] = recorded;
    return out;
}

void print_routes(const options& o, const summary& s, const std::vector<route_stats>& routes, const request_mix& mix) {
    std::printf("  %-18s %10s %10s %9s %9s %9s %9s  %s\n", "route", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms",
                "max ms", "errors");
    for (const auto& k : mix.kinds()) {
        const auto& t = routes[k.index].total;
        const auto& h = t.latency;
        std::printf("  %-18s %10llu %10.1f %9.3f %9.3f %9.3f %9.3f  %llu\n", k.name.c_str(),
                    (unsigned long long)t.responses, s.seconds > 0 ? t.responses / s.seconds : 0.0, ms(h.quantile(0.5)),
                    ms(h.quantile(0.9)), ms(h.quantile(0.99)), ms(h.max()),
                    (unsigned long long)(t.responses - t.expected + t.errors()));
    }
}

// The terminal progress line: elapsed time, level, requests/s over the last
// second, errors so far. On a terminal it rewrites one line; otherwise one
// line every 10 s.
void progress_loop(const run_plan& plan, const std::atomic<bool>& finished) {
    const bool tty = isatty(2);
    std::uint64_t last = 0;
    const double total = std::chrono::duration<double>(plan.end - plan.start).count();
    for (int tick = 1; !finished.load(); ++tick) {
        for (int i = 0; i < 10 && !finished.load(); ++i) std::this_thread::sleep_for(100ms);
        if (finished.load()) break;
        const auto now = steady::now();
        const std::uint64_t done = plan.done.load(), failed = plan.failed.load();
        const double elapsed = std::chrono::duration<double>(now - plan.start).count();
        if (tty || tick % 10 == 0)
            std::fprintf(stderr, "%s  %5.0f/%.0f s  level %5.1f%%  %9.0f req/s  %llu responses  %llu errors%s",
                         tty ? "\r" : "", elapsed, total, plan.level_at(now) / 10.0, double(done - last),
                         (unsigned long long)done, (unsigned long long)failed, tty ? "   " : "\n");
        last = done;
    }
    if (tty) std::fprintf(stderr, "\n");
}

int run(const options& o) {
    const request_mix mix = load_mix(o);

    run_plan plan;
    plan.by_count = o.requests.has_value();
    plan.request_budget = o.requests.value_or(0);
    plan.timeout = o.timeout;
    plan.retry_after_cap = o.retry_after_cap;
    plan.rate = o.rate;
    plan.connections = o.connections;
    plan.max_requests = o.max_requests;
    plan.stages = &o.plan;
    plan.think = std::chrono::milliseconds(o.plan.think_ms);
    plan.expect.resize(mix.kinds().size());
    plan.record.resize(mix.kinds().size());
    for (const auto& r : o.plan.routes) {
        for (const auto& k : mix.kinds())
            if (k.name == r.name) {
                plan.expect[k.index] = r.expect;
                plan.record[k.index] = r.record;
            }
    }
    plan.endpoint = o.endpoint;

    std::random_device seed_source;
    std::vector<std::unique_ptr<worker>> workers;
    for (int i = 0; i < o.threads; ++i) {
        auto w = std::make_unique<worker>();
        w->mix = mix;
        w->routes.resize(mix.kinds().size());
        w->rng.state = (std::uint64_t(seed_source()) << 32) ^ seed_source() ^ std::uint64_t(i);
        workers.push_back(std::move(w));
    }
    for (int c = 0; c < o.connections; ++c) {
        auto& w = *workers[c % o.threads];
        w.streams.push_back(std::make_unique<stream_type>(w.ioc.get_executor()));
        w.stream_index.push_back(c);
    }

    const double started_at_unix = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const auto start = steady::now();
    plan.start = start;
    plan.measure_start = start + o.warmup;
    plan.end = plan.by_count ? steady::time_point::max() : plan.measure_start + *o.duration;
    for (const auto permille : o.plan.kill_at_permille) {
        if (plan.by_count) break;
        // Where scripts/bench kills the server: the window starts a little
        // before, for the few ms between its clock and ours.
        const auto at = plan.measure_start + std::chrono::duration_cast<steady::duration>(*o.duration) * permille / 1000;
        plan.kill_windows.emplace_back(at - 500ms, at + std::chrono::milliseconds(o.plan.kill_window_ms));
    }

    for (auto& wp : workers) {
        worker& w = *wp;
        for (std::size_t i = 0; i < w.streams.size(); ++i)
            asio::co_spawn(w.ioc, run_connection(w, plan, *w.streams[i], w.stream_index[i]), report_exception(w, "a connection"));
        if (!plan.by_count) asio::co_spawn(w.ioc, stop_at(w, plan), report_exception(w, "the stop timer"));
    }
    std::atomic<bool> finished{false};
    std::thread progress;
    if (o.progress && !plan.by_count) progress = std::thread([&] { progress_loop(plan, finished); });
    std::vector<std::thread> threads;
    for (auto& wp : workers) threads.emplace_back([&w = *wp] { w.ioc.run(); });
    for (auto& t : threads) t.join();
    finished = true;
    if (progress.joinable()) progress.join();

    summary s;
    bool failed = false;
    std::vector<route_stats> routes(mix.kinds().size());
    for (auto& wp : workers) {
        s.total.merge(wp->stats);
        failed = failed || wp->failed;
        for (std::size_t k = 0; k < routes.size(); ++k) {
            auto& into = routes[k];
            const auto& from = wp->routes[k];
            into.total.merge(from.total);
            if (into.seconds.size() < from.seconds.size()) into.seconds.resize(from.seconds.size());
            for (std::size_t i = 0; i < from.seconds.size(); ++i) into.seconds[i].merge(from.seconds[i]);
            into.recorded.insert(into.recorded.end(), from.recorded.begin(), from.recorded.end());
        }
    }
    if (plan.by_count) {
        s.seconds = s.total.responses ? std::chrono::duration<double>(s.total.last_done - plan.measure_start).count() : 0;
    } else {
        s.seconds = std::chrono::duration<double>(*o.duration).count();
        if (plan.capped)  // stopped at the request cap: the window ended there
            s.seconds = std::max(0.001, std::chrono::duration<double>(plan.start + std::chrono::nanoseconds(plan.capped_at_ns.load()) -
                                                                      plan.measure_start).count());
    }
    s.rps = s.seconds > 0 ? double(s.total.responses) / s.seconds : 0;

    print_table(o, s);
    const bool scenario_mode = !o.scenario_file.empty();
    if (scenario_mode) print_routes(o, s, routes, mix);
    if (!o.record_dir.empty()) {
        for (const auto& k : mix.kinds()) {
            if (plan.record[k.index].empty()) continue;
            std::ofstream out(o.record_dir + "/" + k.name + ".recorded", std::ios::binary | std::ios::trunc);
            for (const auto& v : routes[k.index].recorded) out << v << '\n';
            if (!out) {
                std::fprintf(stderr, "loadgen: cannot write into %s\n", o.record_dir.c_str());
                return 1;
            }
        }
    }
    if (!o.json_out.empty()) {
        std::ofstream out(o.json_out, std::ios::binary | std::ios::trunc);
        if (scenario_mode)
            out << json::serialize(scenario_result(o, plan, s, routes, mix, started_at_unix)) << '\n';
        else
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
        auto o = sesame::bench::parse_options(argc, argv);
        if (!o.print_scenario.empty()) {
            const auto s = sesame::bench::load_scenario(o.print_scenario);
            std::printf("%s\n", boost::json::serialize(sesame::bench::scenario_object(s)).c_str());
            return 0;
        }
        return sesame::bench::run(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loadgen: %s\n", e.what());
        return 1;
    }
}
