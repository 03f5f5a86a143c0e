// `sesame serve`: wires the store, the pools, the routes and the server
// together, runs until SIGTERM/SIGINT, then shuts down gracefully.
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include <csignal>

#include "app/commands.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "net/control_socket.hpp"
#include "net/http_server.hpp"
#include "net/system_routes.hpp"
#include "store/database.hpp"

namespace sesame::app {

namespace {

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

    std::unique_ptr<store::database> db;
    try {
        store::open_options opts;
        opts.path = cfg.store.path;
        opts.sync_writes = cfg.store.sync_writes;
        db = store::database::open(opts);
    } catch (const std::exception& e) {
        return fail(exit_failure, e.what());
    }

    net::io_runtime runtime(cfg.http.threads);
    boost::asio::thread_pool blocking(cfg.store.threads);
    metrics_registry registry;
    bool running = true;

    net::router routes;
    net::system_probes probes;
    probes.registry = &registry;
    probes.ready = [&] { return running && db != nullptr; };
    net::add_system_routes(routes, probes);

    std::vector<std::string> route_names;
    for (const auto& r : routes.routes()) route_names.push_back(r.pattern);
    net::http_metrics http_metrics(route_names);
    probes.http = &http_metrics;

    net::http_server server(runtime, cfg.http, routes, http_metrics);
    try {
        server.listen();
    } catch (const std::exception& e) {
        return fail(exit_failure, e.what());
    }
    net::control_server control(runtime, blocking, net::control_socket_path(cfg.store.path),
                                [&](const std::string& dir) { db->checkpoint(dir); });
    control.start();

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
                boost::system::error_code ignored;
                signals.cancel(ignored);
                runtime.release();
            });
        };
    signals.async_wait(on_signal);

    server.start();
    log::info("listening", {{"address", server.local_endpoint()},
                            {"tls", cfg.http.tls_cert.has_value()},
                            {"store", cfg.store.path},
                            {"threads", cfg.http.threads}});
    runtime.run();
    blocking.join();
    db.reset();
    log::info("stopped");
    log::flush();
    return exit_ok;
}

}  // namespace sesame::app
