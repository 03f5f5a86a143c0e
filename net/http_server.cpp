#include "net/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <list>
#include <mutex>
#include <stdexcept>
#include <type_traits>
#include <unordered_map>

#include "core/error.hpp"
#include "core/log.hpp"
#include "net/client_address.hpp"
#include "net/http_session.hpp"

namespace sesame::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using asio::awaitable;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

std::string endpoint_text(const tcp::endpoint& ep) {
    const auto a = ep.address();
    if (a.is_v6()) {
        const auto v6 = a.to_v6();
        if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string() + ":" + std::to_string(ep.port());
        return "[" + a.to_string() + "]:" + std::to_string(ep.port());
    }
    return a.to_string() + ":" + std::to_string(ep.port());
}

std::string address_text(const tcp::endpoint& ep) {
    const auto a = ep.address();
    if (a.is_v6() && a.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
    return a.to_string();
}

// Open connections by client address (http.max_connections_per_ip): taken
// by the accept loop, given back by each connection's completion handler on
// its own thread.
class connections_per_address {
public:
    bool acquire(const std::string& address, std::uint32_t cap) {
        std::lock_guard lock(mu_);
        auto& n = open_[address];
        if (n >= cap) {
            if (n == 0) open_.erase(address);
            return false;
        }
        ++n;
        return true;
    }
    void release(const std::string& address) {
        std::lock_guard lock(mu_);
        auto it = open_.find(address);
        if (it == open_.end()) return;
        if (--it->second == 0) open_.erase(it);
    }

private:
    std::mutex mu_;
    std::unordered_map<std::string, std::uint32_t> open_;
};

}  // namespace

struct http_server::impl {
    io_runtime& runtime;
    const config::http_settings& settings;
    session_context shared;  // what every connection reads; `stopping` included
    std::unique_ptr<asio::ssl::context> tls;
    std::unique_ptr<tcp::acceptor> acceptor;
    std::vector<std::list<connection_entry>> live;  // per context
    std::vector<std::unique_ptr<asio::steady_timer>> sweepers;  // per context
    std::atomic<std::size_t> live_count{0};
    connections_per_address per_ip;
    std::atomic<bool> shutdown_requested{false};
    std::atomic<bool> accept_loop_running{false};
    std::function<void()> on_stopped;
    std::once_flag stopped_once;
    std::unique_ptr<asio::steady_timer> force_timer;

    impl(io_runtime& r, const config::http_settings& s, const router& ro, http_metrics& m)
        : runtime(r), settings(s), shared(s, ro, m), live(r.size()) {}

    // ---- deadlines ----------------------------------------------------------
    //
    // Every read, write and handler has a deadline, stored in the
    // connection's entry (a plain assignment, no timer operation per
    // request). One sweeper per io_context wakes every sweep_period() and
    // applies expire_deadlines() (net/http_session.hpp) to its connections.

    void start_sweeper(std::size_t ctx) {
        auto& timer = *sweepers[ctx];
        timer.expires_after(sweep_period(settings));
        timer.async_wait([this, ctx](const beast::error_code& ec) {
            if (ec) return;  // cancelled at shutdown
            expire_deadlines(live[ctx], clock_type::now());
            start_sweeper(ctx);
        });
    }

    // ---- connection lifetime -------------------------------------------

    void maybe_finished() {
        if (!shared.stopping.load() || live_count.load() != 0 || accept_loop_running.load()) return;
        std::call_once(stopped_once, [this] {
            for (std::size_t i = 0; i < runtime.size(); ++i)
                asio::post(runtime.at(i), [this, i] { sweepers[i]->cancel(); });
            asio::post(runtime.at(0), [this] {
                if (force_timer) force_timer->cancel();
                if (on_stopped) on_stopped();
            });
        });
    }

    void close_connections(std::size_t ctx, bool idle_only) {
        for (auto& e : live[ctx])
            if (!idle_only || !e.busy) e.close();
    }

    awaitable<void> run_connection(tcp::socket socket, std::size_t ctx) {
        beast::error_code ec;
        socket.set_option(tcp::no_delay(true), ec);
        const auto remote = socket.remote_endpoint(ec);
        const std::string peer_ip = ec ? std::string("-") : address_text(remote);
        shared.metrics.open_connections().add(1);
        if (tls) {
            asio::ssl::stream<tcp::socket> stream(std::move(socket), *tls);
            co_await serve(stream, stream.next_layer(), ctx, peer_ip);
        } else {
            co_await serve(socket, socket, ctx, peer_ip);
        }
        shared.metrics.open_connections().add(-1);
    }

    // Registers the connection with its context's sweeper and the shutdown,
    // then runs its request loop (after the TLS handshake, under TLS).
    template <class Stream>
    awaitable<void> serve(Stream& stream, tcp::socket& socket, std::size_t ctx, const std::string& peer_ip) {
        constexpr bool secure = !std::is_same_v<Stream, tcp::socket>;
        auto& registry = live[ctx];
        auto it = registry.insert(registry.end(), connection_entry{});
        it->close = [&socket] {
            beast::error_code ignored;
            socket.shutdown(tcp::socket::shutdown_both, ignored);
            socket.close(ignored);
        };
        set_deadline(*it, settings.read_timeout);
        bool ready = true;
        if constexpr (secure) {
            auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
            ready = !hec;
        }
        if (ready) {
            http_session<Stream> session(shared, stream, *it, peer_ip, secure);
            co_await session.run();
        }
        registry.erase(it);
    }

    awaitable<void> accept_loop() {
        for (;;) {
            auto [ctx_index, ctx] = runtime.next();
            auto [ec, socket] = co_await acceptor->async_accept(*ctx, use_tuple);
            if (shared.stopping.load()) co_return;
            if (ec) {
                if (ec == asio::error::operation_aborted) co_return;
                // Out of descriptors or a reset before accept: pause briefly, keep serving.
                log::warn("accept_failed", {{"error", ec.message()}});
                asio::steady_timer pause(acceptor->get_executor(), std::chrono::milliseconds(50));
                co_await pause.async_wait(use_tuple);
                continue;
            }
            shared.metrics.accepted_connections().inc();
            if (live_count.load() >= settings.max_connections) {
                shared.metrics.refused_connections(false).inc();
                beast::error_code ignored;
                socket.close(ignored);
                continue;
            }
            // One address may hold at most http.max_connections_per_ip of
            // them (a slowloris from one host cannot take them all); trusted
            // proxies carry many clients and are exempt.
            beast::error_code peer_ec;
            const auto peer = socket.remote_endpoint(peer_ec);
            std::string address = peer_ec ? std::string() : address_text(peer);
            if (!address.empty() && shared.proxies.trusts(address)) address.clear();
            if (!address.empty() && !per_ip.acquire(address, settings.max_connections_per_ip)) {
                shared.metrics.refused_connections(true).inc();
                beast::error_code ignored;
                socket.close(ignored);
                continue;
            }
            live_count.fetch_add(1);
            asio::co_spawn(*ctx, run_connection(tcp::socket(std::move(socket)), ctx_index),
                           [this, address = std::move(address)](std::exception_ptr e) {
                               if (e) log::error("connection_failed", {{"what", what_of(e)}});
                               if (!address.empty()) per_ip.release(address);
                               live_count.fetch_sub(1);
                               maybe_finished();
                           });
        }
    }
};

http_server::http_server(io_runtime& runtime, const config::http_settings& settings, const router& routes,
                         http_metrics& metrics)
    : impl_(std::make_unique<impl>(runtime, settings, routes, metrics)) {}

http_server::~http_server() = default;

void http_server::listen() {
    auto& s = *impl_;
    const std::string& listen = s.settings.listen;
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("http.listen : adresse invalide « " + listen + " »");
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host == "localhost") host = "127.0.0.1";
    if (host.empty()) host = "0.0.0.0";
    beast::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) throw std::runtime_error("http.listen : adresse invalide « " + listen + " »");
    const int port = std::stoi(listen.substr(colon + 1));
    const tcp::endpoint ep{address, static_cast<unsigned short>(port)};

    if (s.settings.tls_cert && s.settings.tls_key) {
        s.tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
        s.tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
        s.tls->use_certificate_chain_file(*s.settings.tls_cert, ec);
        if (ec) throw std::runtime_error("http.tls_cert : impossible de lire le certificat « " + *s.settings.tls_cert + " » (" + ec.message() + ")");
        s.tls->use_private_key_file(*s.settings.tls_key, asio::ssl::context::pem, ec);
        if (ec) throw std::runtime_error("http.tls_key : impossible de lire la clé « " + *s.settings.tls_key + " » (" + ec.message() + ")");
    }

    s.acceptor = std::make_unique<tcp::acceptor>(s.runtime.at(0));
    s.acceptor->open(ep.protocol(), ec);
    if (!ec) s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) s.acceptor->bind(ep, ec);
    if (!ec) s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("http.listen : impossible d'écouter sur " + listen + " (" + ec.message() + ")");
}

std::string http_server::local_endpoint() const {
    beast::error_code ec;
    const auto ep = impl_->acceptor->local_endpoint(ec);
    return ec ? std::string{} : endpoint_text(ep);
}

void http_server::start() {
    auto& s = *impl_;
    for (std::size_t i = 0; i < s.runtime.size(); ++i) {
        s.sweepers.push_back(std::make_unique<asio::steady_timer>(s.runtime.at(i)));
        asio::post(s.runtime.at(i), [&s, i] { s.start_sweeper(i); });
    }
    s.accept_loop_running.store(true);
    asio::co_spawn(s.runtime.at(0), s.accept_loop(), [&s](std::exception_ptr e) {
        if (e) log::error("accept_loop_failed", {{"what", what_of(e)}});
        s.accept_loop_running.store(false);
        s.maybe_finished();
    });
}

void http_server::shutdown(std::function<void()> done) {
    auto& s = *impl_;
    if (s.shutdown_requested.exchange(true)) return;
    s.on_stopped = std::move(done);
    s.shared.stopping.store(true);
    asio::post(s.runtime.at(0), [&s] {
        beast::error_code ec;
        if (s.acceptor) s.acceptor->close(ec);
        s.force_timer = std::make_unique<asio::steady_timer>(s.runtime.at(0), s.settings.shutdown_timeout);
        s.force_timer->async_wait([&s](const beast::error_code& ec) {
            if (ec) return;
            log::warn("shutdown_forced", {{"open_connections", s.live_count.load()}});
            for (std::size_t i = 0; i < s.runtime.size(); ++i)
                asio::post(s.runtime.at(i), [&s, i] { s.close_connections(i, false); });
        });
        for (std::size_t i = 0; i < s.runtime.size(); ++i)
            asio::post(s.runtime.at(i), [&s, i] { s.close_connections(i, true); });
        s.maybe_finished();
    });
}

bool http_server::stopping() const { return impl_->shared.stopping.load(); }

void http_server::set_not_found_page(std::function<response(const request&)> page) {
    impl_->shared.not_found_page = std::move(page);
}

}  // namespace sesame::net
