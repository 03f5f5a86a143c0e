// One HTTP/1.1 connection's request loop over any Beast stream (TCP, TLS,
// or Beast's in-memory test stream): wait for a request, read its header and
// body within the size limits, route it, run its handler within
// http.handler_timeout, write the answer, then keep or close the connection.
// Internal to net: http_server.cpp runs it on sockets, tests/net on
// beast::test::stream. Depends on Asio, Beast, net/router.hpp,
// net/http_metrics.hpp, net/client_address.hpp, config/settings.hpp.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <limits>
#include <list>
#include <optional>
#include <string>
#include <type_traits>

#include "config/settings.hpp"
#include "core/log.hpp"
#include "net/beast_request.hpp"
#include "net/client_address.hpp"
#include "net/error_response.hpp"
#include "net/http_metrics.hpp"
#include "net/router.hpp"

namespace boost::asio::ssl {
template <typename Stream>
class stream;
}  // namespace boost::asio::ssl

namespace sesame::net {

using clock_type = std::chrono::steady_clock;

// One open connection, as the deadline sweeper and the shutdown see it.
// Touched only on the thread of the connection's io_context.
struct connection_entry {
    std::function<void()> close;                 // closes the transport: what is pending fails
    clock_type::time_point deadline{};           // the pending step must finish by then
    bool busy = false;                           // a request is being read, handled or answered
    bool handling = false;                       // its handler runs: `deadline` is the handler's bound
    bool handler_late = false;                   // the handler outlived its bound
    bool expired = false;                        // closed by its deadline
    boost::asio::steady_timer* wake = nullptr;   // wakes the connection waiting on its handler
};

inline void set_deadline(connection_entry& e, duration d) { e.deadline = clock_type::now() + d; }

// The sweeper's pass over one context's connections at `now`: past its
// deadline, a connection waiting on I/O is closed (which aborts the read or
// write); one whose handler runs is woken to answer 503 instead, its socket
// left open for that answer.
void expire_deadlines(std::list<connection_entry>& entries, clock_type::time_point now);
// How often the sweeper runs: a quarter of the shortest bound, within
// [10 ms, 1 s]; a deadline is thus enforced within that period.
clock_type::duration sweep_period(const config::http_settings& settings);

// What every connection of a server shares.
struct session_context {
    const config::http_settings& settings;
    const router& routes;
    http_metrics& metrics;
    proxy_trust proxies;
    std::string public_origin;  // of http.public_url: what Origin must say on a state change
    std::function<response(const request&)> not_found_page;  // unknown paths outside /api/
    std::atomic<bool> stopping{false};

    session_context(const config::http_settings& s, const router& r, http_metrics& m);
};

// scheme://host[:port] of a URL, lower-cased, default ports dropped.
std::string origin_of(std::string_view url);

// The answer given without running the handler, if any: an unknown path
// (404), a known path with another method (405 and Allow), a state change
// from another Origin (403 bad_origin), a body that is not JSON where JSON
// is expected (415). A missing Origin is accepted (not a browser's
// cross-site request); routes with `any_origin` skip that check.
std::optional<response> refusal(const session_context& ctx, const route_match& m, const request& req);

// Runs a route's handler: its response, or 503 overloaded when the store
// cannot write (unavailable_error), or a generic 500 for any other exception
// (logged). Never throws.
boost::asio::awaitable<response> call_handler(const route& r, request& req);
// The answer when a handler outlives http.handler_timeout: 503 overloaded
// with Retry-After, closing the connection.
response handler_timeout_response();
response malformed_request();

// Beast's parse errors (a bad request line, a bad header...), as opposed to
// the peer going away.
bool is_protocol_error(const boost::system::error_code& ec);
// The response header, serialised by hand (the hot path of every request).
void format_head(std::string& head, const request& req, const response& res, std::size_t body_size,
                 bool keep_alive);
void log_request(const request& req, std::string_view route_name, unsigned status, double seconds);

// Writing and closing on a TCP socket: `head`, then `size` bytes of `fd`
// from `offset` with sendfile(2); a graceful close (half-close, then drain
// briefly so the answer is not lost to a reset), TLS's close_notify.
boost::asio::awaitable<bool> write_with_sendfile(boost::asio::ip::tcp::socket& socket, const std::string& head,
                                                 std::size_t size, int fd, std::uint64_t offset);
boost::asio::awaitable<void> close_gracefully(boost::asio::ip::tcp::socket& socket, connection_entry& entry);
boost::asio::awaitable<void> close_gracefully(boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream,
                                              connection_entry& entry);
template <class Stream>
boost::asio::awaitable<void> close_gracefully(Stream& stream, connection_entry& entry);

// The request loop of one connection. `stream`, `entry` and the session
// outlive run(); run() completes when the connection is done, never before
// a handler it started has finished (even one answered 503 for being late).
template <class Stream>
class http_session {
public:
    http_session(session_context& ctx, Stream& stream, connection_entry& entry, std::string peer_ip, bool secure)
        : ctx_(ctx), settings_(ctx.settings), stream_(stream), entry_(entry), peer_ip_(std::move(peer_ip)),
          secure_(secure), wake_(stream.get_executor(), clock_type::time_point::max()) {
        entry_.wake = &wake_;
    }
    ~http_session() { entry_.wake = nullptr; }
    http_session(const http_session&) = delete;
    http_session& operator=(const http_session&) = delete;

    boost::asio::awaitable<void> run() {
        bool first = true;
        for (;;) {
            entry_.busy = false;
            if (ctx_.stopping.load()) co_return;
            if (!co_await wait_for_request(first)) co_return;
            first = false;
            incoming in;
            if (!co_await read_request(in)) co_return;
            response res = co_await handle(in);
            const bool go_on = co_await answer(in, res);
            // A late handler still holds views into `in`: wait for its end.
            while (!handler_done_) co_await wake_.async_wait(use_tuple);
            if (!go_on) co_return;
        }
    }

private:
    static constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    using header_parser = boost::beast::http::request_parser<boost::beast::http::empty_body>;
    using body_parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

    // One request while it is served; `req` views into the parsers.
    struct incoming {
        header_parser header;
        std::optional<body_parser> body;
        request req;
        route_match match;
        bool keep_alive = false;
        clock_type::time_point started;
    };

    // Waits for a request's first byte: read_timeout on a new connection
    // (that same deadline then covers the header), idle_timeout after a
    // response. False when the peer left or the deadline closed it.
    boost::asio::awaitable<bool> wait_for_request(bool first) {
        if (buffer_.size() == 0) {
            if (!first) set_deadline(entry_, settings_.idle_timeout);
            auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(4096), use_tuple);
            if (ec) co_return false;
            buffer_.commit(n);
        }
        entry_.busy = true;
        if (!first) set_deadline(entry_, settings_.read_timeout);
        co_return true;
    }

    // Reads the header, routes, then reads the body within the route's
    // limit. False when the request was refused (and answered, connection
    // closed) or the peer left.
    boost::asio::awaitable<bool> read_request(incoming& in) {
        namespace http = boost::beast::http;
        in.header.header_limit(settings_.max_header_bytes);
        in.header.body_limit(std::numeric_limits<std::uint64_t>::max());
        auto [ec, n] = co_await http::async_read_header(stream_, buffer_, in.header, use_tuple);
        in.started = clock_type::now();
        in.req.client_ip = peer_ip_;
        in.req.secure = secure_;
        if (ec) {
            if (ec == http::error::header_limit)
                co_await answer_and_close(in, error_response(http_errc::header_too_large));
            else if (is_protocol_error(ec))
                co_await answer_and_close(in, malformed_request());
            co_return false;
        }
        fill_request(in.req, in.header.get());
        in.match = ctx_.routes.find(in.req);
        std::size_t limit = settings_.max_body_bytes;
        if (in.match.kind == route_match::found && in.match.matched->options.max_body)
            limit = in.match.matched->options.max_body;
        if (const auto len = in.header.content_length(); len && *len > limit) {
            co_await answer_and_close(in, error_response(http_errc::body_too_large));
            co_return false;
        }
        in.keep_alive = in.header.get().keep_alive();
        if (!in.header.is_done() && !co_await read_body(in, limit)) co_return false;
        if (!ctx_.proxies.empty()) {
            const auto& h = in.body ? in.body->get().base() : in.header.get().base();
            in.req.client_ip = ctx_.proxies.client_ip(peer_ip_, h["X-Forwarded-For"]);
        }
        co_return true;
    }

    boost::asio::awaitable<bool> read_body(incoming& in, std::size_t limit) {
        namespace http = boost::beast::http;
        in.header.body_limit(limit);
        if (in.header.get()[http::field::expect] == "100-continue") {
            static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
            auto [ec, n] = co_await boost::asio::async_write(stream_, boost::asio::buffer(cont), use_tuple);
            if (ec) co_return false;
        }
        auto& parser = in.body.emplace(std::move(in.header));
        while (!parser.is_done()) {
            set_deadline(entry_, settings_.read_timeout);  // the longest gap between body chunks
            auto [ec, n] = co_await http::async_read_some(stream_, buffer_, parser, use_tuple);
            if (!ec) continue;
            if (ec == http::error::body_limit)
                co_await answer_and_close(in, error_response(http_errc::body_too_large));
            else if (is_protocol_error(ec))
                co_await answer_and_close(in, malformed_request());
            co_return false;
        }
        // The header moved with the parser: point the views at it again.
        fill_request(in.req, parser.get());
        in.req.body = std::move(parser.get().body());
        in.match = ctx_.routes.find(in.req);
        co_return true;
    }

    boost::asio::awaitable<response> handle(incoming& in) {
        if (auto refused = refusal(ctx_, in.match, in.req)) co_return std::move(*refused);
        const route& r = *in.match.matched;
        if (r.options.never_waits) co_return co_await call_handler(r, in.req);
        co_return co_await run_handler(r, in.req);
    }

    // Runs the handler as its own coroutine on this connection's executor
    // and waits for whichever comes first: its end, or the sweeper finding
    // it past http.handler_timeout. A late handler is not cut (it may be
    // in the middle of a store write): run() waits for it after the 503.
    boost::asio::awaitable<response> run_handler(const route& r, request& req) {
        handler_done_ = false;
        handler_result_.reset();
        entry_.handling = true;
        entry_.handler_late = false;
        set_deadline(entry_, settings_.handler_timeout);
        auto call = call_handler(r, req);
        boost::asio::co_spawn(stream_.get_executor(), std::move(call), [this](std::exception_ptr e, response res) {
            handler_result_ = e ? internal_error_response() : std::move(res);
            handler_done_ = true;
            wake_.cancel();
        });
        while (!handler_done_ && !entry_.handler_late) co_await wake_.async_wait(use_tuple);
        entry_.handling = false;
        if (handler_done_) co_return std::move(*handler_result_);
        log::warn("handler_timeout", {{"route", r.pattern}});
        co_return handler_timeout_response();
    }

    // Writes the answer, counts and logs the request; false when the
    // connection is done (closed gracefully when it was not broken).
    boost::asio::awaitable<bool> answer(incoming& in, response& res) {
        const bool keep_alive = in.keep_alive && !res.close && !ctx_.stopping.load();
        const bool written = co_await write_response(in.req, res, keep_alive);
        const double seconds = std::chrono::duration<double>(clock_type::now() - in.started).count();
        const bool found = in.match.kind == route_match::found;
        ctx_.metrics.observe(found ? in.match.matched->id : ctx_.metrics.unmatched_id(), res.status, seconds);
        log_request(in.req, found ? std::string_view(in.match.matched->pattern) : std::string_view("unmatched"),
                    res.status, seconds);
        if (!written) co_return false;
        if (!keep_alive) {
            co_await close_gracefully(stream_, entry_);
            co_return false;
        }
        co_return true;
    }

    // A request refused before routing or while reading: answered, then
    // the connection closed (the rest of the message is not read).
    boost::asio::awaitable<void> answer_and_close(incoming& in, response res) {
        in.req.method_text = "-";
        if (co_await write_response(in.req, res, false)) co_await close_gracefully(stream_, entry_);
        const double seconds = std::chrono::duration<double>(clock_type::now() - in.started).count();
        ctx_.metrics.observe(ctx_.metrics.unmatched_id(), res.status, seconds);
        log_request(in.req, "unparsed", res.status, seconds);
    }

    boost::asio::awaitable<bool> write_response(const request& req, response& res, bool keep_alive) {
        const std::string_view body = res.static_body.empty() ? std::string_view(res.body) : res.static_body;
        format_head(head_, req, res, body.size(), keep_alive);
        const bool with_body = req.verb != method::head && !body.empty();
        set_deadline(entry_, settings_.read_timeout);
        if constexpr (std::is_same_v<Stream, boost::asio::ip::tcp::socket>) {
            if (with_body && res.static_fd >= 0)
                co_return co_await write_with_sendfile(stream_, head_, body.size(), res.static_fd, res.static_offset);
        }
        const std::array<boost::asio::const_buffer, 2> buffers{
            boost::asio::buffer(head_), with_body ? boost::asio::buffer(body) : boost::asio::const_buffer{}};
        auto [ec, n] = co_await boost::asio::async_write(stream_, buffers, use_tuple);
        co_return !ec;
    }

    session_context& ctx_;
    const config::http_settings& settings_;
    Stream& stream_;
    connection_entry& entry_;
    std::string peer_ip_;
    bool secure_;
    boost::beast::flat_buffer buffer_;
    std::string head_;  // response header, reused
    // The handler in flight: its result, set by its completion handler,
    // which then cancels `wake_` (a timer that never expires by itself).
    bool handler_done_ = true;
    std::optional<response> handler_result_;
    boost::asio::steady_timer wake_;
};

// Any other stream (Beast's test stream): close it.
template <class Stream>
boost::asio::awaitable<void> close_gracefully(Stream& stream, connection_entry&) {
    boost::beast::get_lowest_layer(stream).close();
    co_return;
}

}  // namespace sesame::net
