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

log::level parse_level(const std::string& s) {
    if (s == "debug") return log::level::debug;
    if (s == "warn") return log::level::warn;
    if (s == "error") return log::level::error;
    return log::level::info;
}

}  // namespace

int run_serve(const command_line& cl) {
    auto loaded = load_settings_or_report(cl);
    if (!loaded) return exit_usage;
    const config::settings& cfg = loaded->values;
    log::set_min_level(parse_level(cfg.log.level));
    for (const auto& w : loaded->warnings) log::warn("config_warning", {{"message", w}});
    size_file_descriptors(cfg.http.max_connections);

    std::unique_ptr<store::database> db;
    try {
        store::open_options opts;
        opts.path = cfg.store.path;
        opts.sync_writes = cfg.store.sync_writes;
        opts.write_buffer_bytes = cfg.store.memtable_bytes;
        opts.total_write_buffer_bytes = std::size_t{3} * cfg.store.memtable_bytes;
        db = store::database::open(opts);
    } catch (const std::exception& e) {
        return fail(exit_failure, e.what());
    }

    system_clock clock;
    net::io_runtime runtime(cfg.http.threads);
    boost::asio::thread_pool blocking(cfg.store.threads);
    metrics_registry registry;
    store::repository repo(*db);
    repo.set_audit_retention(cfg.audit.retention);
    try {
        if (repo.rebuild_derived_indexes()) log::info("indexes_rebuilt", {{"indexes", "names, staff"}});
    } catch (const std::exception& e) {
        return fail(exit_failure, e.what());
    }

    // Delivery: SMS and e-mail workers draining the durable outbox.
    std::unique_ptr<message_senders> senders;
    try {
        senders = make_senders(cfg, runtime.at(0).get_executor(), clock);
    } catch (const std::exception& e) {
        return fail(exit_failure, e.what());
    }
    workers::delivery_service delivery(runtime.at(0), blocking, repo, *senders->sms, *senders->email, clock, registry,
                                       make_delivery_options(cfg));

    workers::crypto_openssl crypto;
    workers::argon2_hasher hasher(crypto, cfg.password.argon2_memory_kib, cfg.password.argon2_iterations);
    workers::hash_pool hashing(cfg.workers.hash_threads, cfg.workers.hash_queue);
    const account_ports ports{repo, repo, repo, repo, repo, delivery};
    account_service accounts(ports, crypto, hasher, make_account_policy(cfg));
    accounts.set_dummy_hash(hasher.make_dummy_hash());
    login_monitor logins(registry, cfg.login.alert_failures_per_minute, clock);
    accounts.set_monitor(&logins);
    recovery_service recovery(ports, repo, accounts, crypto, hasher, make_recovery_policy(cfg), db->server_secret());
    recovery.set_metrics(registry);
    staff_service staff(ports, repo, repo, repo, accounts, recovery, crypto, hasher);
    net::jwt_es256 jwt(crypto);
    oidc_policy oidc_settings{cfg.http.public_url, cfg.oidc.access_token_ttl, cfg.oidc.refresh_token_ttl,
                              cfg.oidc.code_ttl};
    oidc_service oidc(ports, repo, crypto, jwt, db->server_secret(), oidc_settings);
    try {
        oidc.load_keys(clock.now());
    } catch (const std::exception& e) {
        return fail(exit_failure, e.what());
    }
    if (cfg.demo.seed) {
        if (seed_demo_accounts(repo, repo, crypto, hasher, clock.now())) log::info("demo_accounts_created");
        if (seed_demo_staff(repo, repo, hasher, clock.now())) log::info("demo_staff_created");
        std::fputs(demo_banner().c_str(), stdout);
        std::fflush(stdout);
    }

    registry.add_callback("sesame_hash_queue_waiting", "Logins and password changes waiting for the Argon2 pool.",
                          [&] { return double(hashing.waiting()); });
    registry.add_callback("sesame_hash_rejected_total", "Jobs refused because the Argon2 queue was full (503).",
                          [&] { return double(hashing.rejected()); });
    registry.add_callback("sesame_hash_completed_total", "Argon2 pool jobs completed.",
                          [&] { return double(hashing.completed()); });
    // Read by /readyz on the network threads, written by the signal handler.
    std::atomic<bool> running{true};
    std::atomic<bool> delivering{false};

    net::router routes;
    net::system_probes probes;
    probes.registry = &registry;
    probes.ready = [&] { return running && delivering && db != nullptr && !hashing.stopped() && db->writable(); };
    net::add_system_routes(routes, probes);
    net::api_context api{accounts, blocking, hashing, clock, cfg.http.secure_cookies};
    net::add_account_routes(routes, api);
    net::recovery_context recovery_api{api, recovery};
    net::add_recovery_routes(routes, recovery_api);
    const auto hooks = add_delivery_routes(routes, api, repo, cfg);
    net::staff_context staff_api{api, staff, cfg.http.max_import_bytes};
    net::add_staff_routes(routes, staff_api);
    net::oidc_context oidc_api{api, staff_api, oidc};
    net::add_oidc_routes(routes, oidc_api);
    // The portal's pages and assets, from memory; after the API routes, which
    // are the busier ones to match.
    const net::static_site site(web::portal_assets());
    site.add_routes(routes);

    std::vector<std::string> route_names;
    for (const auto& r : routes.routes()) route_names.push_back(r.pattern);
    net::http_metrics http_metrics(route_names);
    probes.http = &http_metrics;

    // A peer that resets its connection during a ::sendfile() response (no
    // MSG_NOSIGNAL there) would raise SIGPIPE and kill the process; every
    // write already handles EPIPE as an error.
    std::signal(SIGPIPE, SIG_IGN);
    net::http_server server(runtime, cfg.http, routes, http_metrics);
    server.set_not_found_page([&site](const net::request& req) { return site.not_found(req); });
    try {
        server.listen();
    } catch (const std::exception& e) {
        return fail(exit_failure, e.what());
    }
    net::control_server control(runtime, blocking, net::control_socket_path(cfg.store.path),
                                [&](const std::string& dir) { db->checkpoint(dir); });
    control.start();

    // Shutdown order: stop accepting and finish requests in flight; then
    // let the workers finish their sends (what is left stays pending in the
    // durable outbox); then let the threads end.
    boost::asio::signal_set signals(runtime.at(0), SIGINT, SIGTERM);
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int sig) {
            if (ec) return;
            if (!running) {  // a second signal: stop now
                log::warn("shutdown_immediate", {{"signal", sig}});
                runtime.stop();
                return;
            }
            running = false;
            log::info("shutdown_requested", {{"signal", sig}});
            signals.async_wait(on_signal);
            server.shutdown([&] {
                control.stop();
                delivery.stop([&] {
                    boost::system::error_code ignored;
                    signals.cancel(ignored);
                    runtime.release();
                });
            });
        };
    signals.async_wait(on_signal);

    delivery.start();
    delivering = true;
    server.start();
    log::info("listening", {{"address", server.local_endpoint()},
                            {"tls", cfg.http.tls_cert.has_value()},
                            {"store", cfg.store.path},
                            {"threads", cfg.http.threads},
                            {"sms", senders->sms_kind},
                            {"email", senders->email_kind}});
    runtime.run();
    hashing.stop();
    blocking.join();
    // The store closes when this scope ends, after everything that uses it
    // (the repository flushes its windows first).
    log::info("stopped");
    log::flush();
    return exit_ok;
}

}  // namespace sesame::app
