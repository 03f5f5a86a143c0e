// delivery_rate: how many outbox messages per second the delivery workers
// (workers::delivery_service) hand to a real transport: the SMTP client to an
// SMTP sink, or the SMS client to an HTTP gateway (SPEC §7: at least 2,000/s
// each). bench/delivery_rate.sh drives it against Postfix's smtp-sink and an
// nginx answering 202.
//
// 1. A fresh RocksDB store in a temporary directory receives N pending
//    messages built by core/notifications (recovery_code_email: multipart
//    French text + HTML; recovery_code_sms: ~120 characters with the WebOTP
//    line), through repository::apply in batches, as the request path writes
//    them (buffered here, then flushed: the fill is not measured).
// 2. delivery_service runs as in `sesame serve`: one io_context thread for
//    the workers and the sender's sockets, a thread pool for store calls
//    (--store-threads, the server's default 32), the same constructors as
//    app/delivery_wiring.cpp. start() replays the outbox: every message is
//    read back, sent, and its status written.
// 3. Measured: from start() until the Nth message's final status write has
//    returned (a decorator over the outbox repository counts them), so the
//    figure covers replay, loads, sends and status writes. A decorator over
//    the sender counts outcomes and records each send()'s latency.
//    After stop(), the store is checked: no message may still be pending.
//
// Prints one JSON object on stdout. Exit 0 when every message was sent,
// 1 when not (failures, timeout), 2 on bad usage.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <sys/resource.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/flags.hpp"
#include "bench/histogram.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/notifications.hpp"
#include "core/ports.hpp"
#include "store/database.hpp"
#include "store/repository.hpp"
#include "workers/delivery.hpp"
#include "workers/sender.hpp"
#include "workers/smtp_sender.hpp"
#include "workers/sms_sender.hpp"

namespace {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;
using namespace sesame;

struct options {
    std::string channel;  // email | sms
    std::string target;   // smtp://127.0.0.1:2525 or http://127.0.0.1:8080/send
    std::size_t messages = 20000;
    std::uint32_t concurrency = 8;
    std::string format = "json";
    std::uint32_t store_threads = 32;
    std::uint32_t loaders = 2;  // delivery_options::loaders (the product's default; not configurable in sesame)
    std::size_t batch = 1000;
    double timeout_s = 600;
    std::string log_level = "info";
    std::string dir;  // parent of the temporary store; default $TMPDIR or /tmp
    std::string json_out;
};

constexpr std::string_view usage_text =
    "usage: delivery_rate --channel email|sms --target URL --messages N [--concurrency C]\n"
    "                     [--format json|kannel] [--store-threads 32] [--loaders 2] [--batch 1000]\n"
    "                     [--timeout 600] [--log-level info|warn|error] [--dir TMPDIR] [--json OUT.json]\n"
    "  Fills a fresh store with N pending messages, runs the delivery workers with the\n"
    "  SMTP client (--target smtp://HOST:PORT) or the SMS client (--target http://HOST:PORT/PATH)\n"
    "  at concurrency C (workers and pooled connections), and prints\n"
    "  {channel, messages, concurrency, seconds, messages_per_s, p50_ms, p99_ms, accepted, failed, ...}.\n"
    "  Logs (one line per message at info, as in production) go to stderr.\n"
    "  Exit: 0 when all N were sent, 1 otherwise, 2 on bad usage.\n";

const sesame::bench::flags cli("delivery_rate", usage_text);

options parse_options(int argc, char** argv) {
    options o;
    cli.parse(argc, argv, [&](std::string_view arg, std::string_view value) {
        if (arg == "--channel") o.channel = std::string(value);
        else if (arg == "--target") o.target = std::string(value);
        else if (arg == "--messages") o.messages = cli.number<std::size_t>(arg, value, 1, 10'000'000);
        else if (arg == "--concurrency") o.concurrency = cli.number<std::uint32_t>(arg, value, 1, 1024);
        else if (arg == "--format") o.format = std::string(value);
        else if (arg == "--store-threads") o.store_threads = cli.number<std::uint32_t>(arg, value, 1, 1024);
        else if (arg == "--loaders") o.loaders = cli.number<std::uint32_t>(arg, value, 1, 1024);
        else if (arg == "--batch") o.batch = cli.number<std::size_t>(arg, value, 1, 100'000);
        else if (arg == "--timeout") o.timeout_s = cli.number<double>(arg, value, 1, 86400);
        else if (arg == "--log-level") o.log_level = std::string(value);
        else if (arg == "--dir") o.dir = std::string(value);
        else if (arg == "--json") o.json_out = std::string(value);
        else return false;
        return true;
    });
    if (o.channel != "email" && o.channel != "sms") cli.usage_error("--channel must be email or sms");
    if (o.target.empty()) cli.usage_error("--target is required");
    if (o.format != "json" && o.format != "kannel") cli.usage_error("--format must be json or kannel");
    if (o.log_level != "debug" && o.log_level != "info" && o.log_level != "warn" && o.log_level != "error")
        cli.usage_error("--log-level must be debug, info, warn or error");
    return o;
}

log::level parse_level(const std::string& s) {
    if (s == "debug") return log::level::debug;
    if (s == "warn") return log::level::warn;
    if (s == "error") return log::level::error;
    return log::level::info;
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

// ---- realistic messages ----

constexpr const char* first_names[] = {"Léa", "Noé", "Chloé", "Maël", "Inès", "Jérôme", "Zoé", "Anaïs", "Hugo",
                                       "Éloïse", "Gaëlle", "François", "Clémence", "Loïc", "Maïwenn", "Rémi"};
constexpr const char* last_names[] = {"martin", "bernard", "dubois", "thomas", "robert", "richard", "petit",
                                      "durand", "leroy", "moreau", "simon", "laurent", "lefebvre", "michel",
                                      "garcia", "david", "bertrand", "roux", "vincent", "fournier"};
constexpr const char* academies[] = {"ac-lyon.fr", "ac-versailles.fr", "ac-rennes.fr", "ac-lille.fr",
                                     "ac-toulouse.fr", "ac-reunion.fr", "ac-grenoble.fr", "ac-strasbourg.fr"};

template <std::size_t K>
const char* pick(const char* const (&a)[K], std::size_t i) {
    return a[i % K];
}

std::string message_id(std::size_t i) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "de1ba7e5%024llx", static_cast<unsigned long long>(i));
    return buf;
}

std::string reference_of(std::size_t i) {
    static constexpr char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    std::string r = "R-";
    std::uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull;
    for (int k = 0; k < 8; ++k) {
        if (k == 4) r += '-';
        r += alphabet[x % 32];
        x /= 32;
    }
    return r;
}

outbox_message make_message(const options& o, std::size_t i, timestamp now) {
    message_context ctx;
    ctx.id = message_id(i);
    ctx.reference = reference_of(i);
    const std::string first = pick(first_names, i);
    const std::string last = pick(last_names, i / 7);
    ctx.identifier = std::string(1, char('a' + i % 26)) + "." + last + std::to_string(i % 1000);
    ctx.public_url = "https://sesame.education.gouv.fr";
    ctx.public_host = "sesame.education.gouv.fr";
    ctx.now = now;
    char code[8];
    std::snprintf(code, sizeof code, "%06u", static_cast<unsigned>((i * 7919 + 104729) % 1000000));
    const duration ttl = std::chrono::hours(1);  // never expires during the run
    if (o.channel == "email") {
        const std::string to = ctx.identifier + "." + std::to_string(i) + "@" + pick(academies, i / 3);
        const std::string link = ctx.public_url + "/recuperation/" + ctx.id + "#t=" + message_id(i * 31 + 17);
        return recovery_code_email(ctx, to, first, code, link, ttl);
    }
    char phone[16];
    std::snprintf(phone, sizeof phone, "+33%c%08u", i % 2 ? '6' : '7', static_cast<unsigned>(i % 100000000));
    return recovery_code_sms(ctx, phone, code, ttl);
}

// ---- decorators ----

// Counts final status writes (the message is settled once its status write
// returned) and calls on_all() once the Nth has.
class counting_outbox final : public outbox_repository {
public:
    counting_outbox(store::repository& repo, std::size_t target) : repo_(repo), target_(target) {}

    std::vector<outbox_message> pending_outbox(timestamp now) override { return repo_.pending_outbox(now); }
    std::optional<outbox_message> find_message(std::string_view id) override { return repo_.find_message(id); }
    std::unique_lock<std::mutex> lock_message(std::string_view id) override { return repo_.lock_message(id); }
    void update_message(const outbox_message& m, bool durable) override {
        repo_.update_message(m, durable);
        if (m.status == message_status::pending) return;  // waits for a retry
        if (m.status == message_status::sent) sent.fetch_add(1);
        if (settled.fetch_add(1) + 1 == target_) {
            finished_at = steady::now();
            if (on_all) on_all();
        }
    }

    std::atomic<std::size_t> sent{0};
    std::atomic<std::size_t> settled{0};
    steady::time_point finished_at{};
    std::function<void()> on_all;  // set before start(); runs on a pool thread

private:
    store::repository& repo_;
    std::size_t target_;
};

// Counts outcomes and records each send()'s latency. Runs on the delivery
// service's strand only (its workers), so plain members are enough.
class measuring_sender final : public workers::sender {
public:
    explicit measuring_sender(workers::sender& inner) : inner_(inner) {}

    asio::awaitable<workers::send_result> send(const outbox_message& m) override {
        const auto t0 = steady::now();
        workers::send_result r = co_await inner_.send(m);
        latency.record(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now() - t0).count()));
        if (r.outcome == workers::send_result::accepted) {
            ++accepted;
        } else {
            ++failed;
            if (first_failure.empty()) first_failure = std::string(workers::to_string(r.outcome)) + ": " + r.detail;
        }
        co_return r;
    }

    bench::latency_histogram latency;
    std::uint64_t accepted = 0;
    std::uint64_t failed = 0;
    std::string first_failure;

private:
    workers::sender& inner_;
};

// The channel not under test: never called (no message of its channel).
class refusing_sender final : public workers::sender {
public:
    asio::awaitable<workers::send_result> send(const outbox_message&) override {
        co_return workers::send_result{workers::send_result::permanent_failure, "canal non mesuré", {}};
    }
};

int run(const options& o) {
    log::set_min_level(parse_level(o.log_level));
    namespace fs = std::filesystem;
    const fs::path parent = !o.dir.empty() ? fs::path(o.dir)
                            : std::getenv("TMPDIR") ? fs::path(std::getenv("TMPDIR"))
                                                    : fs::temp_directory_path();
    std::string tmpl = (parent / "sesame-delivery-rate.XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary directory in " + parent.string());
    const fs::path work(tmpl);
    struct remover {
        fs::path p;
        ~remover() {
            std::error_code ec;
            fs::remove_all(p, ec);
        }
    } cleanup{work};

    std::unique_ptr<store::database> db;
    {
        store::open_options so;
        so.path = (work / "data").string();
        db = store::database::open(so);
    }
    store::repository repo(*db);

    // ---- fill ----
    const auto fill_t0 = steady::now();
    const timestamp now = std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
    std::size_t content_bytes = 0;
    for (std::size_t i = 0; i < o.messages;) {
        changes c;
        c.synced = false;
        for (std::size_t k = 0; k < o.batch && i < o.messages; ++k, ++i) {
            outbox_message m = make_message(o, i, now);
            content_bytes += m.subject.size() + m.text.size() + m.html.size();
            c.outbox.push_back(std::move(m));
        }
        repo.apply(c);
    }
    db->flush();
    const double fill_s = std::chrono::duration<double>(steady::now() - fill_t0).count();

    // ---- delivery ----
    asio::io_context io(1);
    asio::thread_pool blocking(o.store_threads);
    system_clock clk;
    metrics_registry registry;

    std::unique_ptr<workers::smtp_sender> smtp;
    std::unique_ptr<workers::sms_sender> sms;
    workers::sender* real = nullptr;
    if (o.channel == "email") {
        workers::smtp_options so;
        so.url = o.target;
        so.from = "Sésame <ne-pas-repondre@sesame.education.gouv.fr>";
        so.verify_tls = false;
        so.max_connections = o.concurrency;
        smtp = std::make_unique<workers::smtp_sender>(io.get_executor(), std::move(so));
        real = smtp.get();
    } else {
        workers::sms_options so;
        so.url = o.target;
        so.format = o.format;
        so.max_connections = o.concurrency;
        sms = std::make_unique<workers::sms_sender>(io.get_executor(), std::move(so));
        real = sms.get();
    }
    measuring_sender measured(*real);
    refusing_sender other;
    counting_outbox outbox(repo, o.messages);

    workers::delivery_options dopt;
    dopt.sms_concurrency = o.concurrency;
    dopt.email_concurrency = o.concurrency;
    dopt.loaders = o.loaders;
    workers::sender& sms_side = o.channel == "sms" ? static_cast<workers::sender&>(measured) : other;
    workers::sender& email_side = o.channel == "email" ? static_cast<workers::sender&>(measured) : other;
    workers::delivery_service service(io, blocking, outbox, sms_side, email_side, clk, registry, dopt);

    auto guard = asio::make_work_guard(io);
    asio::steady_timer deadline(io);
    bool timed_out = false;
    bool shutting_down = false;
    std::string close_error;

    // Stops the service, then QUITs the pooled SMTP sessions, then lets io end.
    auto shutdown = [&] {
        if (shutting_down) return;
        shutting_down = true;
        deadline.cancel();
        service.stop([&] {
            if (!smtp) {
                guard.reset();
                return;
            }
            auto on_closed = [&](std::exception_ptr e) {
                if (e) {
                    close_error = what_of(e);
                    log::error("bench_smtp_close_failed", {{"error", close_error}});
                }
                guard.reset();
            };
            asio::co_spawn(io, smtp->close(), on_closed);
        });
    };
    outbox.on_all = [&] { asio::post(io, shutdown); };
    deadline.expires_after(std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o.timeout_s)));
    deadline.async_wait([&](const boost::system::error_code& ec) {
        if (ec) return;
        timed_out = true;
        log::error("bench_timeout", {{"settled", outbox.settled.load()}, {"messages", o.messages}});
        shutdown();
    });

    const double cpu0 = cpu_seconds();
    const auto t0 = steady::now();
    service.start();
    io.run();
    const auto stopped_at = steady::now();
    const double cpu1 = cpu_seconds();
    blocking.join();

    const bool complete = !timed_out && outbox.settled.load() == o.messages;
    const auto end = complete ? outbox.finished_at : stopped_at;
    const double seconds = std::chrono::duration<double>(end - t0).count();
    const std::size_t pending_left = repo.pending_outbox(clk.now()).size();
    const std::size_t sent = outbox.sent.load();
    log::flush();

    const double rate = seconds > 0 ? double(sent) / seconds : 0.0;
    const auto ms = [&](double q) { return double(measured.latency.quantile(q)) / 1e6; };
    const std::uint64_t connections = smtp ? smtp->sessions_opened() : sms->connections_opened();
    char json[2048];
    std::snprintf(
        json, sizeof json,
        "{\"channel\": \"%s\", \"messages\": %zu, \"concurrency\": %u, \"seconds\": %.3f, "
        "\"messages_per_s\": %.1f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"accepted\": %llu, \"failed\": %llu, "
        "\"sent_status\": %zu, \"pending_left\": %zu, \"complete\": %s, \"format\": \"%s\", "
        "\"store_threads\": %u, \"loaders\": %u, \"connections_opened\": %llu, \"avg_content_bytes\": %zu, \"fill_s\": %.3f, "
        "\"cpu_s\": %.3f, \"cpu_us_per_message\": %.1f, \"p90_ms\": %.3f, \"max_ms\": %.3f, \"log_level\": \"%s\", "
        "\"stop_s\": %.3f}\n",
        o.channel.c_str(), o.messages, o.concurrency, seconds, rate, ms(0.5), ms(0.99),
        static_cast<unsigned long long>(measured.accepted), static_cast<unsigned long long>(measured.failed), sent,
        pending_left, complete ? "true" : "false", o.channel == "sms" ? o.format.c_str() : "smtp", o.store_threads, o.loaders,
        static_cast<unsigned long long>(connections), o.messages ? content_bytes / o.messages : 0, fill_s,
        cpu1 - cpu0, sent ? 1e6 * (cpu1 - cpu0) / double(sent) : 0.0, ms(0.9), double(measured.latency.max()) / 1e6,
        o.log_level.c_str(), std::chrono::duration<double>(stopped_at - end).count());
    std::fputs(json, stdout);
    std::fflush(stdout);
    if (!measured.first_failure.empty())
        std::fprintf(stderr, "delivery_rate: first failure: %s\n", measured.first_failure.c_str());
    if (!o.json_out.empty()) {
        std::ofstream out(o.json_out, std::ios::binary | std::ios::trunc);
        out << json;
        if (!out) {
            std::fprintf(stderr, "delivery_rate: cannot write %s\n", o.json_out.c_str());
            return 1;
        }
    }
    return complete && sent == o.messages && pending_left == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse_options(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "delivery_rate: %s\n", e.what());
        return 1;
    }
}
