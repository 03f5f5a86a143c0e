// `sesame serve`: wires the store, the pools, the routes and the server
// together, runs until SIGTERM/SIGINT, then shuts down gracefully.
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include <sys/resource.h>

#include <atomic>
#include <csignal>

#include <cstdio>

#include "app/commands.hpp"
#include "app/delivery_wiring.hpp"
#include "app/demo.hpp"
#include "app/wiring.hpp"
#include "core/durable_notifier.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "net/account_routes.hpp"
#include "net/recovery_routes.hpp"
#include "net/staff_routes.hpp"
#include "net/jwt.hpp"
#include "net/oidc_routes.hpp"
#include "net/control_socket.hpp"
#include "net/http_server.hpp"
#include "net/static_routes.hpp"
#include "net/system_routes.hpp"
#include "store/database.hpp"
#include "store/repository.hpp"
#include "web/portal_assets.hpp"
#include "workers/argon2_hasher.hpp"
#include "workers/crypto_openssl.hpp"
#include "workers/delivery.hpp"
#include "workers/hash_pool.hpp"

namespace sesame::app {

namespace {

// Every connection is a file descriptor: raise the soft limit to the hard
// one at start, and say so, with a warning when http.max_connections does
// not fit (the accept loop would then hit EMFILE and pause).
void size_file_descriptors(std::uint32_t max_connections) {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
    const rlim_t before = lim.rlim_cur;
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) lim.rlim_cur = before;
    }
    // Descriptors besides connections: the store's files, the pools, logs.
    constexpr rlim_t reserve = 512;
    log::info("file_descriptors", {{"soft_limit_before", std::int64_t(before)},
                                   {"soft_limit", std::int64_t(lim.rlim_cur)},
                                   {"hard_limit", std::int64_t(lim.rlim_max)}});
    if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < rlim_t(max_connections) + reserve)
        log::warn("file_descriptors_short", {{"soft_limit", std::int64_t(lim.rlim_cur)},
                                             {"http.max_connections", std::int64_t(max_connections)},
                                             {"advice", "raise LimitNOFILE (systemd) or ulimit -n, or lower "
                                                        "http.max_connections"}});
}

void start_logging(const config::loaded& loaded) {
    log::set_min_level(loaded.values.log.level);
    for (const auto& w : loaded.warnings) log::warn("config_warning", {{"message", w}});
}

std::unique_ptr<store::database> open_store(const config::store_settings& cfg) {
    store::open_options opts;
    opts.path = cfg.path;
    opts.sync_writes = cfg.sync_writes;
    opts.write_buffer_bytes = cfg.memtable_bytes;
    opts.total_write_buffer_bytes = std::size_t{3} * cfg.memtable_bytes;
    return store::database::open(opts);
}

// The use cases and the engines they run on (crypto, Argon2 and its pool),
// wired once over the repository and the delivery service.
struct use_cases {
    workers::crypto_openssl crypto;
    workers::argon2_hasher hasher;
    workers::hash_pool hashing;
    // Message ids reach the workers once their batch is on disk (use cases on
    // the network threads answer before their fsync, see net/deferred.hpp).
    durable_notifier notify_when_durable;
    const account_ports ports;
    account_service accounts;
    login_monitor logins;
    recovery_service recovery;
    staff_service staff;
    net::jwt_es256 jwt;
    oidc_service oidc;

    use_cases(const config::settings& cfg, store::database& db, store::repository& repo,
              workers::delivery_service& delivery, metrics_registry& registry, const sesame::clock& clock)
        : hasher(crypto, cfg.password.argon2_memory_kib, cfg.password.argon2_iterations),
          hashing(cfg.workers.hash_threads, cfg.workers.hash_queue),
          notify_when_durable(repo, delivery),
          ports{repo, repo, repo, repo, repo, notify_when_durable},
          accounts(ports, crypto, hasher, make_account_policy(cfg)),
          logins(registry, cfg.login.alert_failures_per_minute, clock),
          recovery(ports, repo, accounts, crypto, hasher, make_recovery_policy(cfg), db.server_secret()),
          staff(ports, repo, repo, repo, accounts, recovery, crypto, hasher),
          jwt(crypto),
          oidc(ports, repo, crypto, jwt, db.server_secret(),
               oidc_policy{cfg.http.public_url, cfg.oidc.access_token_ttl, cfg.oidc.refresh_token_ttl,
                           cfg.oidc.code_ttl}) {
        accounts.set_dummy_hash(hasher.make_dummy_hash());
        accounts.set_monitor(&logins);
        recovery.set_metrics(registry);
    }
};

// The demo accounts and staff, on an empty store (demo.seed), and the banner
// that lists them.
void seed_demo(store::repository& repo, crypto& c, password_hasher& hasher, timestamp now) {
    if (seed_demo_accounts(repo, repo, c, hasher, now)) log::info("demo_accounts_created");
    if (seed_demo_staff(repo, repo, hasher, now)) log::info("demo_staff_created");
    std::fputs(demo_banner().c_str(), stdout);
    std::fflush(stdout);
}

void log_listening(const config::settings& cfg, const net::http_server& server, const message_senders& senders) {
    log::info("listening", {{"address", server.local_endpoint()},
                            {"tls", cfg.http.tls_cert.has_value()},
                            {"store", cfg.store.path},
                            {"threads", cfg.http.threads},
                            {"sms", senders.sms_kind},
                            {"email", senders.email_kind}});
}

void add_store_metrics(metrics_registry& registry, const store::database& db) {
    registry.add_callback("sesame_store_write_batches_total", "Write batches put into the store's log.",
                          [&] { return double(db.written().batches); });
    registry.add_callback("sesame_store_written_keys_total", "Keys put or deleted in the store (all batches).",
                          [&] { return double(db.written().keys); });
    registry.add_callback("sesame_store_written_bytes_total", "Key and value bytes written to the store's log.",
                          [&] { return double(db.written().bytes); });
}

void add_hash_pool_metrics(metrics_registry& registry, const workers::hash_pool& hashing) {
    registry.add_callback("sesame_hash_queue_waiting", "Logins and password changes waiting for the Argon2 pool.",
                          [&] { return double(hashing.waiting()); });
    registry.add_callback("sesame_hash_rejected_total", "Jobs refused because the Argon2 queue was full (503).",
                          [&] { return double(hashing.rejected()); });
    registry.add_callback("sesame_hash_completed_total", "Argon2 pool jobs completed.",
                          [&] { return double(hashing.completed()); });
}

// The routing table and the contexts its handlers are bound to (they must
// outlive it): system probes, the API (accounts, recovery, delivery hooks,
// staff, OpenID Connect), then the portal's pages and assets from memory,
// after the API routes, which are the busier ones to match.
struct http_routes {
    net::router table;
    net::recovery_context recovery_api;
    std::unique_ptr<net::hook_context> hooks;
    net::staff_context staff_api;
    net::oidc_context oidc_api;
    net::static_site site{web::portal_assets()};
    std::unique_ptr<net::http_metrics> metrics;  // one slot per route

    http_routes(const config::settings& cfg, const net::system_probes& probes, net::api_context& api,
                recovery_service& recovery, staff_service& staff, oidc_service& oidc, outbox_repository& outbox)
        : recovery_api{api, recovery}, staff_api{api, staff, cfg.http.max_import_bytes}, oidc_api{api, staff_api, oidc} {
        net::add_system_routes(table, probes);
        net::add_account_routes(table, api);
        net::add_recovery_routes(table, recovery_api);
        hooks = add_delivery_routes(table, api, outbox, cfg);
        net::add_staff_routes(table, staff_api);
        net::add_oidc_routes(table, oidc_api);
        site.add_routes(table);
        std::vector<std::string> route_names;
        for (const auto& r : table.routes()) route_names.push_back(r.pattern);
        metrics = std::make_unique<net::http_metrics>(route_names);
    }
};

// SIGINT/SIGTERM: stop accepting and finish requests in flight; then let the
// workers finish their sends (what is left stays pending in the durable
// outbox); then let the threads end. A second signal stops everything now.
// `running` is read by /readyz on the network threads.
class shutdown_on_signal {
public:
    shutdown_on_signal(net::io_runtime& runtime, net::http_server& server, net::control_server& control,
                       workers::delivery_service& delivery, std::atomic<bool>& running)
        : runtime_(runtime), server_(server), control_(control), delivery_(delivery), running_(running),
          signals_(runtime.at(0), SIGINT, SIGTERM) {
        wait();
    }

private:
    void wait() {
        signals_.async_wait([this](const boost::system::error_code& ec, int sig) { on_signal(ec, sig); });
    }

    void on_signal(const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (!running_) {
            log::warn("shutdown_immediate", {{"signal", sig}});
            runtime_.stop();
            return;
        }
        running_ = false;
        log::info("shutdown_requested", {{"signal", sig}});
        wait();
        server_.shutdown([this] {
            control_.stop();
            delivery_.stop([this] {
                boost::system::error_code ignored;
                signals_.cancel(ignored);
                runtime_.release();
            });
        });
    }

    net::io_runtime& runtime_;
    net::http_server& server_;
    net::control_server& control_;
    workers::delivery_service& delivery_;
    std::atomic<bool>& running_;
    boost::asio::signal_set signals_;
};

}  // namespace

int run_serve(const command_line& cl) {
    auto loaded = load_settings_or_report(cl);
    if (!loaded) return exit_usage;
    const config::settings& cfg = loaded->values;
    start_logging(*loaded);
    size_file_descriptors(cfg.http.max_connections);

    std::unique_ptr<store::database> db;
    try {
        db = open_store(cfg.store);
    } catch (const std::exception& e) {
        return fail(exit_failure, e.what());
    }

    system_clock clock;
    net::io_runtime runtime(cfg.http.threads);
    boost::asio::thread_pool blocking(cfg.store.threads);
    metrics_registry registry;
    store::repository repo(*db);
    repo.set_audit_retention(cfg.audit.retention);
    // Delivery: SMS and e-mail workers draining the durable outbox.
    std::unique_ptr<message_senders> senders;
    try {
        if (repo.rebuild_derived_indexes()) log::info("indexes_rebuilt", {{"indexes", "names, staff"}});
        senders = make_senders(cfg, runtime.at(0).get_executor(), clock);
    } catch (const std::exception& e) {
        return fail(exit_failure, e.what());
    }
    workers::delivery_service delivery(runtime.at(0), blocking, repo, *senders->sms, *senders->email, clock, registry,
                                       make_delivery_options(cfg));

    use_cases uc(cfg, *db, repo, delivery, registry, clock);
    try {
        uc.oidc.load_keys(clock.now());
    } catch (const std::exception& e) {
        return fail(exit_failure, e.what());
    }
    if (cfg.demo.seed) seed_demo(repo, uc.crypto, uc.hasher, clock.now());

    add_store_metrics(registry, *db);
    add_hash_pool_metrics(registry, uc.hashing);
    // Read by /readyz on the network threads, written by the signal handler.
    std::atomic<bool> running{true};
    std::atomic<bool> delivering{false};

    net::system_probes probes;
    probes.registry = &registry;
    probes.ready = [&] { return running && delivering && db != nullptr && !uc.hashing.stopped() && db->writable(); };
    net::api_context api{uc.accounts, blocking, uc.hashing, clock, cfg.http.secure_cookies};
    api.commits = &repo;
    const http_routes routes(cfg, probes, api, uc.recovery, uc.staff, uc.oidc, repo);
    probes.http = routes.metrics.get();

    // A peer that resets its connection during a ::sendfile() response (no
    // MSG_NOSIGNAL there) would raise SIGPIPE and kill the process; every
    // write already handles EPIPE as an error.
    std::signal(SIGPIPE, SIG_IGN);
    net::http_server server(runtime, cfg.http, routes.table, *routes.metrics);
    server.set_not_found_page([&routes](const net::request& req) { return routes.site.not_found(req); });
    try {
        server.listen();
    } catch (const std::exception& e) {
        return fail(exit_failure, e.what());
    }
    net::control_server control(runtime, blocking, net::control_socket_path(cfg.store.path), cfg.http.read_timeout,
                                [&](const std::string& dir) { db->checkpoint(dir); });
    control.start();

    shutdown_on_signal shutdown(runtime, server, control, delivery, running);

    delivery.start();
    delivering = true;
    server.start();
    log_listening(cfg, server, *senders);
    runtime.run();
    uc.hashing.stop();
    blocking.join();
    // The store closes when this scope ends, after everything that uses it
    // (the repository flushes its windows first).
    log::info("stopped");
    log::flush();
    return exit_ok;
}

}  // namespace sesame::app
