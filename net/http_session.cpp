#include "net/http_session.hpp"

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/http/status.hpp>

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/error.hpp"

namespace sesame::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

bool changes_state(method m) { return m == method::post || m == method::put || m == method::patch || m == method::del; }

const char* reason_phrase(unsigned status) {
    const auto r = http::obsolete_reason(static_cast<http::status>(status));
    return r.empty() ? "Unknown" : r.data();
}

response default_not_found_page(const request&) {
    return response::text(404,
                          "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Page introuvable — "
                          "Sésame</title></head><body><main><h1>Page introuvable</h1><p>La page demandée n'existe "
                          "pas. <a href=\"/\">Retour à l'accueil</a></p></main></body></html>",
                          "text/html; charset=utf-8");
}

}  // namespace

void expire_deadlines(std::list<connection_entry>& entries, clock_type::time_point now) {
    for (auto& e : entries) {
        if (e.expired || e.deadline > now) continue;
        if (e.handling) {
            if (!e.handler_late && e.wake) {
                e.handler_late = true;
                e.wake->cancel();
            }
            continue;
        }
        e.expired = true;
        e.close();
    }
}

clock_type::duration sweep_period(const config::http_settings& settings) {
    const auto p = std::min({settings.read_timeout, settings.idle_timeout, settings.handler_timeout}) / 4;
    return std::clamp<clock_type::duration>(p, std::chrono::milliseconds(10), std::chrono::seconds(1));
}

session_context::session_context(const config::http_settings& s, const router& r, http_metrics& m)
    : settings(s), routes(r), metrics(m), proxies(s.trusted_proxies), public_origin(origin_of(s.public_url)),
      not_found_page(default_not_found_page) {}

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

std::optional<response> refusal(const session_context& ctx, const route_match& m, const request& req) {
    if (m.kind == route_match::no_path) {
        if (req.path.starts_with("/api/") || req.path == "/api") return error_response(errc::not_found);
        return ctx.not_found_page(req);
    }
    if (m.kind == route_match::wrong_method) {
        response r = error_response(http_errc::method_not_allowed);
        r.headers.emplace_back("Allow", m.allow);
        return r;
    }
    if (changes_state(req.verb)) {
        if (!req.origin.empty() && !m.matched->options.any_origin && origin_of(req.origin) != ctx.public_origin)
            return error_response(http_errc::bad_origin);
        if (m.matched->options.json_body) {
            const bool has_type = !req.content_type.empty();
            if ((has_type && req.media_type() != "application/json") || (!has_type && !req.body.empty()))
                return error_response(http_errc::unsupported_media_type);
        }
    }
    return std::nullopt;
}

awaitable<response> call_handler(const route& r, request& req) {
    try {
        co_return co_await r.fn(req);
    } catch (const unavailable_error& e) {
        // The store cannot write (a full disk): the request had no effect;
        // the client may retry.
        log::warn("handler_unavailable", {{"route", r.pattern}, {"what", e.what()}});
        domain_error busy = make_error(errc::overloaded);
        busy.retry_after_s = 5;
        co_return error_response(busy);
    } catch (const std::exception& e) {
        log::error("handler_failed", {{"route", r.pattern}, {"what", e.what()}});
    }
    co_return internal_error_response();
}

response handler_timeout_response() {
    domain_error busy = make_error(errc::overloaded);
    busy.retry_after_s = 5;
    response r = error_response(busy);
    r.close = true;  // the late handler still holds the request: no next one on this connection
    return r;
}

response malformed_request() {
    return error_response(make_error(errc::invalid_request, "La requête HTTP est mal formée."));
}

bool is_protocol_error(const boost::system::error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_target).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
}

void format_head(std::string& head, const request& req, const response& res, std::size_t body_size,
                 bool keep_alive) {
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
    if (res.status >= 200 && res.status != 204 && res.status != 304) {
        char digits[24];
        const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, body_size);
        head += "Content-Length: ";
        head.append(digits, end);
        head += "\r\n";
    }
    head += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
}

void log_request(const request& req, std::string_view route_name, unsigned status, double seconds) {
    log::info("request", {{"method", req.method_text},
                          {"route", route_name},
                          {"status", status},
                          {"duration_ms", seconds * 1000.0},
                          {"client", req.client_ip}});
}

// The header (flagged MSG_MORE, so it leaves with the body's first segment),
// then the file with sendfile(2) on the non-blocking socket, waiting for
// writability when the send buffer is full; the caller's deadline covers it.
awaitable<bool> write_with_sendfile(tcp::socket& socket, const std::string& head, std::size_t size, int fd,
                                    std::uint64_t offset) {
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

// Half-close, then drain what the client still sends for a short while, so a
// response sent before the whole request was read is not lost to a TCP reset.
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

}  // namespace sesame::net
