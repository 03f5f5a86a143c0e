#include "net/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <list>
#include <mutex>
#include <unordered_map>
#include <stdexcept>
#include <type_traits>

#include "core/error.hpp"
#include "core/log.hpp"
#include "net/client_address.hpp"
#include "net/error_response.hpp"
#include "net/beast_request.hpp"

namespace sesame::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

bool changes_state(method m) { return m == method::post || m == method::put || m == method::patch || m == method::del; }

// scheme://host[:port] of a URL, lower-cased, default ports dropped.
std::string origin_of(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::string(url);
    const auto host_end = url.find('/', scheme_end + 3);
    std::string o(url.substr(0, host_end));
    for (auto& c : o) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (o.starts_with("http://") && o.ends_with(":80")) o.resize(o.size() - 3);
    if (o.starts_with("https://") && o.ends_with(":443")) o.resize(o.size() - 4);
    return o;
}

bool is_protocol_error(const beast::error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_target).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
}

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

response malformed_request() {
    return error_response(make_error(errc::invalid_request, "La requête HTTP est mal formée."));
}

response default_not_found_page(const request&) {
    return response::text(404,
                          "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Page introuvable — "
                          "Sésame</title></head><body><main><h1>Page introuvable</h1><p>La page demandée n'existe "
                          "pas. <a href=\"/\">Retour à l'accueil</a></p></main></body></html>",
                          "text/html; charset=utf-8");
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

// One open connection, as seen by the deadline sweeper and the shutdown
// logic. Touched only on the thread of the connection's io_context.
struct connection_entry {
    tcp::socket* socket = nullptr;
    std::chrono::steady_clock::time_point deadline{};  // the pending operation must finish by then
    bool busy = false;  // a request is being read, handled or answered
    bool expired = false;
};

using clock_type = std::chrono::steady_clock;

const char* reason_phrase(unsigned status) {
    const auto r = http::obsolete_reason(static_cast<http::status>(status));
    return r.empty() ? "Unknown" : r.data();
}

}  // namespace

struct http_server::impl {
    io_runtime& runtime;
    const config::http_settings& settings;
    const router& routes;
    http_metrics& metrics;
    proxy_trust proxies;
    std::string public_origin;
    std::unique_ptr<asio::ssl::context> tls;
    std::unique_ptr<tcp::acceptor> acceptor;
    std::vector<std::list<connection_entry>> live;  // per context
    std::vector<std::unique_ptr<asio::steady_timer>> sweepers;  // per context
    std::atomic<std::size_t> live_count{0};
    connections_per_address per_ip;
    std::atomic<bool> stopping{false};
    std::atomic<bool> shutdown_requested{false};
    std::atomic<bool> accept_loop_running{false};
    std::function<void()> on_stopped;
    std::once_flag stopped_once;
    std::unique_ptr<asio::steady_timer> force_timer;
    std::function<response(const request&)> not_found_page = default_not_found_page;

    impl(io_runtime& r, const config::http_settings& s, const router& ro, http_metrics& m)
        : runtime(r), settings(s), routes(ro), metrics(m), proxies(s.trusted_proxies),
          public_origin(origin_of(s.public_url)), live(r.size()) {}

    // ---- deadlines ----------------------------------------------------------
    //
    // Every read and write has a deadline, stored in the connection's entry
    // (a plain assignment, no timer operation per request). One sweeper per
    // io_context wakes every quarter of the shortest timeout and closes the
    // connections whose deadline has passed, which aborts their pending
    // operation. A deadline is thus enforced within that quarter.

    clock_type::duration sweep_period() const {
        auto p = std::min(settings.read_timeout, settings.idle_timeout) / 4;
        return std::clamp<clock_type::duration>(p, std::chrono::milliseconds(10), std::chrono::seconds(1));
    }

    static void set_deadline(connection_entry& e, duration d) { e.deadline = clock_type::now() + d; }

    static void close_socket(connection_entry& e) {
        beast::error_code ec;
        e.socket->shutdown(tcp::socket::shutdown_both, ec);
        e.socket->close(ec);
    }

    void sweep(std::size_t ctx) {
        const auto now = clock_type::now();
        for (auto& e : live[ctx])
            if (!e.expired && e.deadline <= now) {
                e.expired = true;
                close_socket(e);
            }
    }

    void start_sweeper(std::size_t ctx) {
        auto& timer = *sweepers[ctx];
        timer.expires_after(sweep_period());
        timer.async_wait([this, ctx](const beast::error_code& ec) {
            if (ec) return;  // cancelled at shutdown
            sweep(ctx);
            start_sweeper(ctx);
        });
    }

    // ---- connection lifetime -------------------------------------------

    void maybe_finished() {
        if (!stopping.load() || live_count.load() != 0 || accept_loop_running.load()) return;
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
            if (!idle_only || !e.busy) close_socket(e);
    }

    // ---- responses -------------------------------------------------------

    // Serialises by hand: the responses are small and simple, and this is
    // the hot path of every request.
    template <class Stream>
    awaitable<bool> write_response(Stream& stream, connection_entry& entry, std::string& head, const request& req,
                                   response& res, bool keep_alive) {
        head.clear();
        head += "HTTP/1.1 ";
        head += std::to_string(res.status);
        head += ' ';
        head += reason_phrase(res.status);
        head += "\r\n";
        if (!res.content_type.empty()) {
            head += "Content-Type: ";
            head += res.content_type;
            head += "\r\n";
        }
        head += "X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n";
        if (req.path.starts_with("/api/")) head += "Cache-Control: no-store\r\n";
        for (const auto& [name, value] : res.headers) {
            head += name;
            head += ": ";
            head += value;
            head += "\r\n";
        }
        head += res.static_headers;
        const std::string_view body = res.static_body.empty() ? std::string_view(res.body) : res.static_body;
        if (res.status >= 200 && res.status != 204 && res.status != 304) {
            char digits[24];
            const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, body.size());
            head += "Content-Length: ";
            head.append(digits, end);
            head += "\r\n";
        }
        head += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
        const bool with_body = req.verb != method::head && !body.empty();
        if constexpr (std::is_same_v<Stream, tcp::socket>) {
            if (with_body && res.static_fd >= 0)
                co_return co_await write_with_sendfile(stream, entry, head, body.size(), res.static_fd, res.static_offset);
        }
        const std::array<asio::const_buffer, 2> buffers{asio::buffer(head),
                                                       with_body ? asio::buffer(body) : asio::const_buffer{}};
        set_deadline(entry, settings.read_timeout);
        auto [ec, n] = co_await asio::async_write(stream, buffers, use_tuple);
        co_return !ec;
    }

    // The header (flagged MSG_MORE, so it leaves with the body's first
    // segment), then `size` bytes of `fd` from `offset` with sendfile(2) on
    // the non-blocking socket, waiting for writability when the send buffer
    // is full; one deadline for the whole answer.
    awaitable<bool> write_with_sendfile(tcp::socket& socket, connection_entry& entry, const std::string& head,
                                        std::size_t size, int fd, std::uint64_t offset) {
        set_deadline(entry, settings.read_timeout);
        auto [ec, n] = co_await socket.async_send(asio::buffer(head), MSG_MORE, use_tuple);
        if (ec) co_return false;
        if (n < head.size()) {
            auto [rec, rn] = co_await asio::async_write(socket, asio::buffer(head.data() + n, head.size() - n), use_tuple);
            if (rec) co_return false;
        }
        if (!socket.native_non_blocking()) {  // once per connection: the flag stays
            beast::error_code nb;
            socket.native_non_blocking(true, nb);
            if (nb) co_return false;
        }
        auto off = static_cast<off_t>(offset);
        std::size_t left = size;
        while (left > 0) {
            const ssize_t sent = ::sendfile(socket.native_handle(), fd, &off, left);
            if (sent > 0) {
                left -= static_cast<std::size_t>(sent);
            } else if (sent < 0 && errno == EINTR) {
                continue;
            } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                auto [wec] = co_await socket.async_wait(tcp::socket::wait_write, use_tuple);
                if (wec) co_return false;
            } else {
                co_return false;
            }
        }
        co_return true;
    }

    // Half-close, then drain what the client still sends for a short while,
    // so a response sent before the whole request was read is not lost to a
    // TCP reset.
    awaitable<void> close_gracefully(tcp::socket& socket, connection_entry& entry) {
        beast::error_code ec;
        socket.shutdown(tcp::socket::shutdown_send, ec);
        entry.deadline = clock_type::now() + std::chrono::milliseconds(500);
        char sink[4096];
        std::size_t drained = 0;
        while (drained < (256u << 10)) {
            auto [rec, n] = co_await socket.async_read_some(asio::buffer(sink), use_tuple);
            if (rec) break;
            drained += n;
        }
        socket.close(ec);
    }
    awaitable<void> close_gracefully(asio::ssl::stream<tcp::socket>& stream, connection_entry& entry) {
        entry.deadline = clock_type::now() + std::chrono::milliseconds(500);
        co_await stream.async_shutdown(use_tuple);
        beast::error_code ec;
        stream.next_layer().close(ec);
    }

    // ---- dispatch --------------------------------------------------------

    awaitable<response> dispatch(const route_match& m, request& req) {
        if (m.kind == route_match::no_path) {
            if (req.path.starts_with("/api/") || req.path == "/api") co_return error_response(errc::not_found);
            co_return not_found_page(req);
        }
        if (m.kind == route_match::wrong_method) {
            response r = error_response(http_errc::method_not_allowed);
            r.headers.emplace_back("Allow", m.allow);
            co_return r;
        }
        if (changes_state(req.verb)) {
            if (!req.origin.empty() && !m.matched->options.any_origin && origin_of(req.origin) != public_origin)
                co_return error_response(http_errc::bad_origin);
            if (m.matched->options.json_body) {
                const bool has_type = !req.content_type.empty();
                if ((has_type && req.media_type() != "application/json") || (!has_type && !req.body.empty()))
                    co_return error_response(http_errc::unsupported_media_type);
            }
        }
        try {
            co_return co_await m.matched->fn(req);
        } catch (const unavailable_error& e) {
            // The store cannot write (a full disk): the request had no
            // effect; the client may retry.
            log::warn("handler_unavailable", {{"route", m.matched->pattern}, {"what", e.what()}});
            domain_error busy = make_error(errc::overloaded);
            busy.retry_after_s = 5;
            co_return error_response(busy);
        } catch (const std::exception& e) {
            log::error("handler_failed", {{"route", m.matched->pattern}, {"what", e.what()}});
        }
        co_return internal_error_response();
    }

    void log_request(const request& req, std::string_view route_name, unsigned status, double seconds) {
        log::info("request", {{"method", req.method_text},
                              {"route", route_name},
                              {"status", status},
                              {"duration_ms", seconds * 1000.0},
                              {"client", req.client_ip}});
    }

    // ---- the connection loop --------------------------------------------

    template <class Stream>
    awaitable<void> serve(Stream& stream, connection_entry& entry, const std::string& peer_ip, bool secure) {
        beast::flat_buffer buffer;
        std::string head;  // response header, reused
        bool first = true;
        for (;;) {
            entry.busy = false;
            if (stopping.load()) co_return;
            // Wait for the first byte: read_timeout on a new connection (and
            // that same deadline then covers the header), idle_timeout after
            // a response.
            if (buffer.size() == 0) {
                if (!first) set_deadline(entry, settings.idle_timeout);
                auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
                if (ec) co_return;
                buffer.commit(n);
            }
            entry.busy = true;
            if (!first) set_deadline(entry, settings.read_timeout);
            first = false;

            http::request_parser<http::empty_body> header_parser;
            header_parser.header_limit(settings.max_header_bytes);
            header_parser.body_limit(std::numeric_limits<std::uint64_t>::max());
            auto [hec, hn] = co_await http::async_read_header(stream, buffer, header_parser, use_tuple);
            const auto started = clock_type::now();
            request req;
            req.client_ip = peer_ip;
            req.secure = secure;
            if (hec) {
                if (hec == http::error::header_limit) {
                    response res = error_response(http_errc::header_too_large);
                    co_await answer_and_close(stream, entry, head, req, res, started);
                } else if (is_protocol_error(hec)) {
                    response res = malformed_request();
                    co_await answer_and_close(stream, entry, head, req, res, started);
                }
                co_return;
            }

            fill_request(req, header_parser.get());
            route_match match = routes.find(req);
            std::size_t limit = settings.max_body_bytes;
            if (match.kind == route_match::found && match.matched->options.max_body)
                limit = match.matched->options.max_body;
            if (const auto len = header_parser.content_length(); len && *len > limit) {
                response res = error_response(http_errc::body_too_large);
                co_await answer_and_close(stream, entry, head, req, res, started);
                co_return;
            }
            bool keep_alive_requested = header_parser.get().keep_alive();
            std::optional<http::request_parser<http::string_body>> body_parser;
            if (!header_parser.is_done()) {
                header_parser.body_limit(limit);
                if (header_parser.get()[http::field::expect] == "100-continue") {
                    static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
                    auto [cec, cn] = co_await asio::async_write(stream, asio::buffer(cont), use_tuple);
                    if (cec) co_return;
                }
                body_parser.emplace(std::move(header_parser));
                auto& parser = *body_parser;
                while (!parser.is_done()) {
                    set_deadline(entry, settings.read_timeout);  // the longest gap between body chunks
                    auto [bec, bn] = co_await http::async_read_some(stream, buffer, parser, use_tuple);
                    if (!bec) continue;
                    if (bec == http::error::body_limit || is_protocol_error(bec)) {
                        response res = bec == http::error::body_limit ? error_response(http_errc::body_too_large)
                                                                      : malformed_request();
                        co_await answer_and_close(stream, entry, head, req, res, started);
                    }
                    co_return;
                }
                // The header moved with the parser: point the views at it again.
                fill_request(req, parser.get());
                req.body = std::move(parser.get().body());
                match = routes.find(req);
            }
            if (!proxies.empty()) {
                const auto& h = body_parser ? body_parser->get().base() : header_parser.get().base();
                req.client_ip = proxies.client_ip(peer_ip, h["X-Forwarded-For"]);
            }

            response res = co_await dispatch(match, req);
            const bool keep_alive = keep_alive_requested && !res.close && !stopping.load();
            const bool written = co_await write_response(stream, entry, head, req, res, keep_alive);
            const double seconds = std::chrono::duration<double>(clock_type::now() - started).count();
            const bool found = match.kind == route_match::found;
            metrics.observe(found ? match.matched->id : metrics.unmatched_id(), res.status, seconds);
            log_request(req, found ? std::string_view(match.matched->pattern) : std::string_view("unmatched"),
                        res.status, seconds);
            if (!written) co_return;
            if (!keep_alive) {
                co_await close_gracefully(stream, entry);
                co_return;
            }
        }
    }

    template <class Stream>
    awaitable<void> answer_and_close(Stream& stream, connection_entry& entry, std::string& head, request& req,
                                     response& res, clock_type::time_point started) {
        req.method_text = "-";
        if (co_await write_response(stream, entry, head, req, res, false)) co_await close_gracefully(stream, entry);
        const double seconds = std::chrono::duration<double>(clock_type::now() - started).count();
        metrics.observe(metrics.unmatched_id(), res.status, seconds);
        log_request(req, "unparsed", res.status, seconds);
    }

    awaitable<void> run_connection(tcp::socket socket, std::size_t ctx) {
        beast::error_code ec;
        socket.set_option(tcp::no_delay(true), ec);
        const auto remote = socket.remote_endpoint(ec);
        const std::string peer_ip = ec ? std::string("-") : address_text(remote);
        metrics.open_connections().add(1);
        auto& registry = live[ctx];
        if (tls) {
            asio::ssl::stream<tcp::socket> stream(std::move(socket), *tls);
            auto it = registry.insert(registry.end(), connection_entry{&stream.next_layer()});
            set_deadline(*it, settings.read_timeout);
            auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
            if (!hec) co_await serve(stream, *it, peer_ip, true);
            registry.erase(it);
        } else {
            auto it = registry.insert(registry.end(), connection_entry{&socket});
            set_deadline(*it, settings.read_timeout);
            co_await serve(socket, *it, peer_ip, false);
            registry.erase(it);
        }
        metrics.open_connections().add(-1);
    }

    awaitable<void> accept_loop() {
        for (;;) {
            auto [ctx_index, ctx] = runtime.next();
            auto [ec, socket] = co_await acceptor->async_accept(*ctx, use_tuple);
            if (stopping.load()) co_return;
            if (ec) {
                if (ec == asio::error::operation_aborted) co_return;
                // Out of descriptors or a reset before accept: pause briefly, keep serving.
                log::warn("accept_failed", {{"error", ec.message()}});
                asio::steady_timer pause(acceptor->get_executor(), std::chrono::milliseconds(50));
                co_await pause.async_wait(use_tuple);
                continue;
            }
            metrics.accepted_connections().inc();
            if (live_count.load() >= settings.max_connections) {
                metrics.refused_connections(false).inc();
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
            if (!address.empty() && proxies.trusts(address)) address.clear();
            if (!address.empty() && !per_ip.acquire(address, settings.max_connections_per_ip)) {
                metrics.refused_connections(true).inc();
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
    s.stopping.store(true);
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

bool http_server::stopping() const { return impl_->stopping.load(); }

void http_server::set_not_found_page(std::function<response(const request&)> page) {
    impl_->not_found_page = std::move(page);
}

}  // namespace sesame::net
