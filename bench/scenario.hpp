// Scenario files of the bench suite (bench/scenarios/*.ini): what
// `scripts/bench SCENARIO` runs, as data. Parsed here, once, for both users:
// loadgen drives the load from it, and `loadgen --print-scenario FILE` hands
// the parsed form (JSON) to scripts/bench, which prepares the server,
// references, fixtures and thresholds. Sans-I/O: standard library only.
//
// Format (INI-like, UTF-8, one `key = value` per line; blank lines and lines
// starting with `#` or `;` ignored; every key at most once unless marked
// "repeatable"; unknown sections and keys are errors):
//
//   [scenario]
//   name = evening                    [a-z0-9_]+, required
//   description = free text
//   kind = http | import | delivery   default http (import and delivery run tools, not routes)
//   connections = 400                 peak concurrency, 1..20000 (default 64)
//   threads = 2                       loadgen threads, 1..256 (default 2)
//   rate = 0                          peak open-loop rate in requests/s; 0: closed loop (default)
//   think = 0ms                       pause after each response (uniform 0.5x..1.5x)
//   warmup = 0s                       not measured, at the first stage's level
//   timeout = 5s                      deadline of every connect, write and read
//   honor_retry_after = 0s            cap of the pause a Retry-After asks for; 0: ignored
//   start = 10%                       level at t = 0 (default 100%)
//   stage = 30s 100%                  repeatable: ramp linearly to that level over that time
//   kill_at = 50%                     SIGKILL the server at that point of the run, restart it;
//                                     several increasing moments (`20% 50% 80%`, at most
//                                     100): as many kills and restarts
//   kill_window = 5s                  answers overlapping [kill, kill + window] stay out of
//                                     the routes' latency_ms_steady (default 5s)
//   check_delivery = ROUTE            that route's recorded `reference`s must reach the outbox
//   references = nginx_healthz argon2 yardsticks measured in the same run
//   server = --flag value ...         repeatable: extra `sesame serve` flags
//
//   [route NAME]                      NAME [a-z0-9_]+; one section per request kind
//   weight = 60                       1..1000000 (default 1)
//   method = GET                      upper-case token (default GET)
//   path = /api/v1/me                 required; starts with '/'
//   body = {"a":1}                    sent with content_type (default application/json)
//   content_type = application/x-www-form-urlencoded
//   header = Cookie: x={@session}     repeatable
//   expect = 200 401                  statuses that are not errors (default: every 2xx and 3xx)
//   record = reference                JSON field of expected responses, written to a file
//
//   [ratios]                          NAME = METRIC / METRIC
//   [thresholds]                      NAME = METRIC OP NUMBER, OP one of < <= > >= ==
//
// A level is a share of the peak: of `connections` in closed loop, of the
// rate in open loop. METRIC is a dotted path into summary.json, e.g.
// routes.login_ok.latency_ms.p99, references.argon2, ratios.login_vs_argon2.
// In path, body and headers: {seq} (run-wide counter), {rand} (8 random
// digits), {@NAME} (a random line of the values file NAME, one line per
// file per request) and {#NAME} (the next line of NAME, in order across the
// run, each once before any comes again: values that work once, such as
// authorization codes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sesame::bench {

struct scenario_route {
    std::string name;
    std::uint64_t weight = 1;
    std::string method = "GET";
    std::string path;
    std::string body;
    std::string content_type;  // empty: application/json when there is a body
    std::vector<std::string> headers;  // "Name: value"
    std::vector<unsigned> expect;      // empty: 2xx and 3xx
    std::string record;                // JSON field to record, or empty

    bool expected(unsigned status) const;
};

struct scenario_stage {
    std::int64_t ms = 0;           // how long the ramp takes
    std::int64_t level_permille;   // the level reached at its end
};

struct scenario_ratio {
    std::string name, numerator, denominator;
};

struct scenario_threshold {
    std::string name, metric, op;
    double value = 0;

    bool holds(double measured) const;
};

struct scenario {
    std::string name;
    std::string description;
    std::string kind = "http";
    int connections = 64;
    int threads = 2;
    double rate = 0;
    std::int64_t think_ms = 0;
    std::int64_t warmup_ms = 0;
    std::int64_t timeout_ms = 5000;
    std::int64_t honor_retry_after_ms = 0;
    std::int64_t start_permille = 1000;
    std::vector<scenario_stage> stages;  // never empty once parsed
    std::vector<std::int64_t> kill_at_permille;  // increasing; empty: no kill
    std::int64_t kill_window_ms = 5000;
    std::string check_delivery;
    std::vector<std::string> references;
    std::vector<std::string> server_flags;  // one entry per `server =` line
    std::vector<scenario_route> routes;
    std::vector<scenario_ratio> ratios;
    std::vector<scenario_threshold> thresholds;

    std::int64_t duration_ms() const;
    // The level (permille of the peak) at `ms` after the start.
    std::int64_t level_at(std::int64_t ms) const;
    // Stretches or shrinks every stage so that they last `total_ms` in all.
    void scale_to(std::int64_t total_ms);
};

// Parses a scenario file; on error returns false and sets `error` to a
// message naming the line.
bool parse_scenario(std::string_view text, scenario& out, std::string& error);

// The canonical text of a parsed scenario: parse_scenario accepts it and
// gives back a scenario with the same canonical text.
std::string to_text(const scenario& s);

}  // namespace sesame::bench
