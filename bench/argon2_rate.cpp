// argon2_rate: how many Argon2id verifications per second this machine's
// cores do at a given cost, with the server's own hasher
// (sesame::workers::argon2_hasher, the same libargon2 build and the same
// verify() call a login makes). The yardstick of SPEC §7's "login throughput
// at least 95% of what the cores hash per second" (bench/login_vs_argon2.sh).
//
// T threads verify one password against one precomputed PHC hash back to
// back. Counted like loadgen counts requests: verifications that start after
// the warmup and finish before the end of the measured window; the rate is
// that count divided by the window. Prints one JSON object on stdout.
#include "bench/flags.hpp"
#include "workers/argon2_hasher.hpp"
#include "workers/crypto_openssl.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using steady = std::chrono::steady_clock;

struct options {
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::uint32_t memory_kib = 19456;
    std::uint32_t iterations = 2;
    double seconds = 10;
    double warmup = 1;
    std::string json_out;
};

constexpr std::string_view usage_text =
    "usage: argon2_rate [--threads N (default: cores)] [--seconds 10] [--warmup 1]\n"
    "                   [--memory-kib 19456] [--iterations 2] [--json OUT.json]\n"
    "  Verifies one password against a precomputed Argon2id hash (p=1) on N threads\n"
    "  and prints {threads, memory_kib, iterations, hashes, seconds, hashes_per_s, ...}.\n"
    "  Exit: 0 on success, 1 on a failed verification, 2 on bad usage.\n";

const sesame::bench::flags cli("argon2_rate", usage_text);

options parse_options(int argc, char** argv) {
    options o;
    cli.parse(argc, argv, [&](std::string_view arg, std::string_view value) {
        if (arg == "--threads") o.threads = cli.number<unsigned>(arg, value, 1, 1024);
        else if (arg == "--memory-kib") o.memory_kib = cli.number<std::uint32_t>(arg, value, 8, 4u * 1024 * 1024);
        else if (arg == "--iterations") o.iterations = cli.number<std::uint32_t>(arg, value, 1, 1000);
        else if (arg == "--seconds") o.seconds = cli.number<double>(arg, value, 0.1, 3600);
        else if (arg == "--warmup") o.warmup = cli.number<double>(arg, value, 0, 600);
        else if (arg == "--json") o.json_out = std::string(value);
        else return false;
        return true;
    });
    return o;
}

struct thread_result {
    std::uint64_t counted = 0;  // started after the warmup, finished before the end
    std::uint64_t total = 0;
    double busy_s = 0;  // time spent in counted verifications
    bool failed = false;
};

int run(const options& o) {
    sesame::workers::crypto_openssl crypto;
    sesame::workers::argon2_hasher hasher(crypto, o.memory_kib, o.iterations);
    const std::string password = "Sesame-demo-2026!";
    const std::string encoded = hasher.hash(password);
    if (!hasher.verify(encoded, password)) {
        std::fprintf(stderr, "argon2_rate: the precomputed hash does not verify\n");
        return 1;
    }

    const auto start = steady::now() + std::chrono::milliseconds(50);  // every thread starts together
    const auto measure_start = start + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o.warmup));
    const auto end = measure_start + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o.seconds));

    std::vector<thread_result> results(o.threads);
    std::vector<std::thread> threads;
    std::atomic<bool> failed{false};
    for (unsigned i = 0; i < o.threads; ++i) {
        threads.emplace_back([&, i] {
            thread_result& r = results[i];
            std::this_thread::sleep_until(start);
            try {
                while (!failed.load(std::memory_order_relaxed)) {
                    const auto t0 = steady::now();
                    if (t0 >= end) break;
                    const bool ok = hasher.verify(encoded, password);
                    const auto t1 = steady::now();
                    if (!ok) {
                        r.failed = true;
                        failed = true;
                        break;
                    }
                    ++r.total;
                    if (t0 >= measure_start && t1 <= end) {
                        ++r.counted;
                        r.busy_s += std::chrono::duration<double>(t1 - t0).count();
                    }
                }
            } catch (const std::exception& e) {
                std::fprintf(stderr, "argon2_rate: %s\n", e.what());
                r.failed = true;
                failed = true;
            }
        });
    }
    for (auto& t : threads) t.join();
    if (failed) {
        std::fprintf(stderr, "argon2_rate: a verification failed\n");
        return 1;
    }

    std::uint64_t hashes = 0;
    double busy = 0;
    for (const auto& r : results) {
        hashes += r.counted;
        busy += r.busy_s;
    }
    const double rate = double(hashes) / o.seconds;
    char json[512];
    std::snprintf(json, sizeof json,
                  "{\"threads\": %u, \"memory_kib\": %u, \"iterations\": %u, \"parallelism\": 1, "
                  "\"hashes\": %llu, \"seconds\": %.3f, \"warmup_s\": %.3f, \"hashes_per_s\": %.3f, "
                  "\"ms_per_hash\": %.3f}\n",
                  o.threads, o.memory_kib, o.iterations, (unsigned long long)hashes, o.seconds, o.warmup, rate,
                  hashes ? 1e3 * busy / double(hashes) : 0.0);
    std::fputs(json, stdout);
    if (!o.json_out.empty()) {
        std::ofstream out(o.json_out, std::ios::binary | std::ios::trunc);
        out << json;
        if (!out) {
            std::fprintf(stderr, "argon2_rate: cannot write %s\n", o.json_out.c_str());
            return 1;
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse_options(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "argon2_rate: %s\n", e.what());
        return 1;
    }
}
