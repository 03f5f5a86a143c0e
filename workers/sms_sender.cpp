#include "workers/sms_sender.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/system/system_error.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <vector>

#include "workers/connection_pool.hpp"
#include "workers/mime.hpp"
#include "workers/tls_client.hpp"

namespace sesame::workers {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t body_limit = 1024 * 1024;          // a gateway answer larger than this is an error
constexpr std::uint32_t header_limit = 16 * 1024;
constexpr auto idle_limit = std::chrono::seconds(30);  // an idle connection older than this is closed

std::string seconds_text(duration d) {
    const auto ms = d.count();
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

// ---- the gateway's address ----

struct gateway {
    bool tls = false;
    std::string host;  // name or address, without IPv6 brackets
    std::optional<asio::ip::address> address;  // when host is a literal address
    std::uint16_t port = 0;
    std::string host_header;
    std::string target;         // path and query, at least "/"
    std::string authorization;  // "Basic ..." from the URL's userinfo, or empty
};

gateway parse_gateway(const std::string& url) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) throw std::invalid_argument("sms.url: not a URL");
    const boost::urls::url_view u = *parsed;
    gateway g;
    if (u.scheme_id() == boost::urls::scheme::https)
        g.tls = true;
    else if (u.scheme_id() != boost::urls::scheme::http)
        throw std::invalid_argument("sms.url: the scheme must be http or https");
    g.host = u.host_address();
    if (g.host.empty()) throw std::invalid_argument("sms.url: no host");
    error_code ec;
    const auto address = asio::ip::make_address(g.host, ec);
    if (!ec) g.address = address;
    const std::uint16_t default_port = g.tls ? 443 : 80;
    g.port = u.has_port() ? u.port_number() : default_port;
    if (u.has_port() && g.port == 0) throw std::invalid_argument("sms.url: bad port");
    const bool v6 = g.address && g.address->is_v6();
    g.host_header = v6 ? "[" + g.host + "]" : g.host;
    if (g.port != default_port) g.host_header += ":" + std::to_string(g.port);
    g.target = std::string(u.encoded_path());
    if (g.target.empty()) g.target = "/";
    if (u.has_query()) g.target += "?" + std::string(u.encoded_query());
    if (u.has_userinfo()) {
        std::string credentials = u.user();
        credentials += ":";
        credentials += u.password();
        g.authorization = "Basic " + mime::base64(credentials);
    }
    return g;
}

// ---- connections and the pool ----

struct connection {
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;

    beast::tcp_stream& tcp() { return secure ? secure->next_layer() : *plain; }
};

// A name resolution that may outlive its caller (getaddrinfo cannot be
// interrupted): the caller waits on `done` up to its deadline, the result
// lands here whenever it comes. Touched on the caller's strand only (the
// completion is bound to it).
struct resolution {
    resolution(const asio::any_io_executor& io, const asio::any_io_executor& caller) : resolver(io), done(caller) {}
    tcp::resolver resolver;
    asio::steady_timer done;
    bool finished = false;
    error_code ec;
    tcp::resolver::results_type results;
};

struct exchange_result {
    bool ok = false;
    bool stale = false;  // failed before any answer byte on a connection the peer had closed
    unsigned status = 0;
    std::string body;
    bool keep_alive = false;
    std::string detail;
};

bool peer_closed(const error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated;
}

std::string step_error(std::string_view step, const error_code& ec, duration timeout) {
    if (ec == beast::error::timeout || ec == asio::error::timed_out)
        return std::string(step) + ": timeout (" + seconds_text(timeout) + ")";
    return std::string(step) + ": " + ec.message();
}

template <class Stream>
asio::awaitable<exchange_result> exchange_on(Stream& stream, connection& c,
                                             const http::request<http::string_body>& req, steady::time_point deadline,
                                             duration timeout) {
    exchange_result out;
    c.tcp().expires_at(deadline);
    auto [wec, written] = co_await http::async_write(stream, req, tuple_awaitable);
    if (wec) {
        out.stale = peer_closed(wec);
        out.detail = step_error("write", wec, timeout);
        co_return out;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    parser.header_limit(header_limit);
    c.tcp().expires_at(deadline);
    auto [rec, read] = co_await http::async_read(stream, c.buffer, parser, tuple_awaitable);
    if (rec) {
        out.stale = peer_closed(rec) && !parser.got_some();
        out.detail = step_error("read", rec, timeout);
        co_return out;
    }
    c.tcp().expires_never();
    out.ok = true;
    out.status = parser.get().result_int();
    out.keep_alive = parser.get().keep_alive() && !parser.need_eof();
    out.body = std::move(parser.get().body());
    co_return out;
}

}  // namespace

// ---------------------------------------------------------------------------

struct sms_sender::impl {
    impl(asio::any_io_executor e, sms_options o)
        : ex(std::move(e)),
          opts(std::move(o)),
          gw(parse_gateway(opts.url)),
          ssl(asio::ssl::context::tls_client),
          pool(opts.max_connections, idle_limit) {
        if (opts.format != "json" && opts.format != "kannel")
            throw std::invalid_argument("sms.format: json or kannel");
        if (gw.tls) ssl = tls_client::make_context(opts.verify_tls);
    }

    asio::any_io_executor ex;
    sms_options opts;
    gateway gw;
    asio::ssl::context ssl;
    connection_pool<connection> pool;
    std::uint64_t opened = 0;

    bool json_format() const { return opts.format == "json"; }

    http::request<http::string_body> make_request(const outbox_message& m) const {
        http::request<http::string_body> req;
        req.version(11);
        if (json_format()) {
            req.method(http::verb::post);
            req.target(gw.target);
            req.set(http::field::content_type, "application/json");
            req.set(http::field::accept, "application/json");
            req.body() = json_body(m, opts.callback_url);
        } else {
            req.method(http::verb::get);
            req.target(kannel_target(gw.target, m, opts.callback_url));
        }
        req.set(http::field::host, gw.host_header);
        req.set(http::field::user_agent, "Sesame");
        if (!gw.authorization.empty()) req.set(http::field::authorization, gw.authorization);
        req.keep_alive(true);
        req.prepare_payload();
        return req;
    }

    // Resolves (unless the host is an address) and connects, then the TLS
    // handshake. nullptr and `detail` on failure. Throws on cancellation.
    asio::awaitable<std::unique_ptr<connection>> connect(steady::time_point deadline, std::string& detail) {
        std::vector<tcp::endpoint> endpoints;
        if (gw.address) {
            endpoints.emplace_back(*gw.address, gw.port);
        } else {
            const asio::any_io_executor caller = co_await asio::this_coro::executor;
            auto r = std::make_shared<resolution>(ex, caller);
            r->done.expires_at(deadline);
            auto on_resolved = [r](const error_code& ec, tcp::resolver::results_type results) {
                r->finished = true;
                r->ec = ec;
                r->results = std::move(results);
                r->done.cancel();
            };
            // On the caller's executor (a strand, per the sender contract), so
            // the timer is never cancelled while the wait is being started.
            auto bound = asio::bind_executor(caller, std::move(on_resolved));
            r->resolver.async_resolve(gw.host, std::to_string(gw.port), std::move(bound));
            [[maybe_unused]] auto [wec] = co_await r->done.async_wait(tuple_awaitable);
            co_await throw_if_cancelled();
            if (!r->finished) {
                detail = "resolve " + gw.host + ": timeout (" + seconds_text(opts.timeout) + ")";
                co_return nullptr;
            }
            if (r->ec) {
                detail = "resolve " + gw.host + ": " + r->ec.message();
                co_return nullptr;
            }
            for (const auto& e : r->results) endpoints.push_back(e.endpoint());
        }

        auto c = std::make_unique<connection>();
        const auto strand = asio::make_strand(ex);
        if (gw.tls)
            c->secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(strand, ssl);
        else
            c->plain = std::make_unique<beast::tcp_stream>(strand);
        c->tcp().expires_at(deadline);
        [[maybe_unused]] auto [cec, ep] = co_await c->tcp().async_connect(endpoints, tuple_awaitable);
        if (cec) {
            co_await throw_if_cancelled();
            detail = step_error("connect", cec, opts.timeout);
            co_return nullptr;
        }
        ++opened;
        if (gw.tls) {
            if (!tls_client::expect_peer(c->secure->native_handle(), gw.host, opts.verify_tls)) {
                detail = "tls: cannot set the server name or the expected host";
                co_return nullptr;
            }
            c->tcp().expires_at(deadline);
            auto [hec] = co_await c->secure->async_handshake(asio::ssl::stream_base::client, tuple_awaitable);
            if (hec) {
                co_await throw_if_cancelled();
                detail = step_error("tls handshake", hec, opts.timeout);
                co_return nullptr;
            }
        }
        co_return c;
    }
};

sms_sender::sms_sender(asio::any_io_executor ex, sms_options opts)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(opts))) {}

sms_sender::~sms_sender() = default;

std::uint64_t sms_sender::connections_opened() const { return impl_->opened; }

asio::awaitable<send_result> sms_sender::send(const outbox_message& m) {
    impl& s = *impl_;
    co_await throw_if_cancelled();
    const auto deadline = steady::now() + s.opts.timeout;
    const http::request<http::string_body> req = s.make_request(m);
    for (int round = 0;; ++round) {
        auto lease = co_await s.pool.acquire(deadline);
        if (!lease)
            co_return send_result{send_result::temporary_failure,
                                  "no free gateway connection within " + seconds_text(s.opts.timeout), {}};
        if (!lease.connection) {
            std::string detail;
            lease.connection = co_await s.connect(deadline, detail);
            if (!lease.connection) co_return send_result{send_result::temporary_failure, detail, {}};
        }
        connection& c = *lease.connection;
        exchange_result x;
        if (c.secure)
            x = co_await exchange_on(*c.secure, c, req, deadline, s.opts.timeout);
        else
            x = co_await exchange_on(*c.plain, c, req, deadline, s.opts.timeout);
        if (x.ok) {
            if (x.keep_alive) lease.keep();
            co_return classify(x.status, x.body, s.json_format(), m);
        }
        lease.discard();
        co_await throw_if_cancelled();
        if (lease.reused() && x.stale && round == 0 && steady::now() < deadline) continue;
        co_return send_result{send_result::temporary_failure, x.detail, {}};
    }
}

}  // namespace sesame::workers
