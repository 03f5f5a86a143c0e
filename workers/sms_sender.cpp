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
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/system/system_error.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <optional>
#include <stdexcept>
#include <vector>

#include "workers/connection_pool.hpp"
#include "workers/mime.hpp"

namespace sesame::workers {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t snippet_limit = 120;                  // bytes of a gateway answer in `detail`
constexpr std::uint64_t body_limit = 1024 * 1024;          // a gateway answer larger than this is an error
constexpr std::uint32_t header_limit = 16 * 1024;
constexpr auto idle_limit = std::chrono::seconds(30);  // an idle connection older than this is closed

// ---- UTF-8 and text helpers ----

// Decodes one UTF-8 sequence at s[i]; advances i. nullopt on malformed input.
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int extra = 0;
    char32_t cp = 0;
    if (b0 < 0x80) {
        ++i;
        return b0;
    } else if ((b0 & 0xE0) == 0xC0) {
        extra = 1;
        cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
        extra = 2;
        cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
        extra = 3;
        cp = b0 & 0x07;
    } else {
        return std::nullopt;
    }
    if (i + extra >= s.size()) return std::nullopt;
    for (int k = 1; k <= extra; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return std::nullopt;
        cp = (cp << 6) | (b & 0x3F);
    }
    i += extra + 1;
    return cp;
}

bool in_gsm7(char32_t c) {
    if (c == U'\n' || c == U'\r' || c == U'\f') return true;
    if (c >= 0x20 && c <= 0x7E) return c != U'`';  // ASCII: all but the backquote (basic or extension table)
    static constexpr char32_t others[] = {
        U'£', U'¥', U'è', U'é', U'ù', U'ì', U'ò', U'Ç', U'Ø', U'ø', U'Å', U'å', U'Δ', U'Φ', U'Γ', U'Λ',
        U'Ω', U'Π', U'Ψ', U'Σ', U'Θ', U'Ξ', U'Æ', U'æ', U'ß', U'É', U'¤', U'¡', U'Ä', U'Ö', U'Ñ', U'Ü',
        U'§', U'¿', U'ä', U'ö', U'ñ', U'ü', U'à', U'€'};
    return std::find(std::begin(others), std::end(others), c) != std::end(others);
}

// Cut to at most n bytes without splitting a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t n) {
    if (s.size() <= n) return s;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
}

void replace_all(std::string& s, std::string_view what, std::string_view with) {
    if (what.empty()) return;
    for (std::size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + with.size()))
        s.replace(pos, what.size(), with);
}

// The first bytes of a gateway answer, on one line, without the message's
// text or any run of 4+ digits it holds (the code), even if echoed.
std::string snippet_of(std::string_view body, const outbox_message& m) {
    std::string s(body);
    replace_all(s, m.text, "[texte]");
    for (std::size_t i = 0; i < m.text.size();) {
        if (m.text[i] < '0' || m.text[i] > '9') {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < m.text.size() && m.text[j] >= '0' && m.text[j] <= '9') ++j;
        if (j - i >= 4) replace_all(s, std::string_view(m.text).substr(i, j - i), std::string(j - i, '*'));
        i = j;
    }
    for (char& c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    const auto first = s.find_first_not_of(' ');
    if (first == std::string::npos) return {};
    std::string out(utf8_prefix(std::string_view(s).substr(first), snippet_limit));
    while (!out.empty() && out.back() == ' ') out.pop_back();
    if (out.size() < s.size() - first) out += "…";
    return out;
}

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

// Throws operation_aborted when the awaiting coroutine was cancelled.
asio::awaitable<void> throw_if_cancelled() {
    const asio::cancellation_state cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none)
        throw boost::system::system_error(asio::error::operation_aborted);
}

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
        if (gw.tls) {
            SSL_CTX_set_min_proto_version(ssl.native_handle(), TLS1_2_VERSION);
            if (opts.verify_tls) {
                ssl.set_default_verify_paths();
                ssl.set_verify_mode(asio::ssl::verify_peer);
            } else {
                ssl.set_verify_mode(asio::ssl::verify_none);
            }
        }
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
            SSL* h = c->secure->native_handle();
            if (!gw.address && !SSL_set_tlsext_host_name(h, gw.host.c_str())) {
                detail = "tls: cannot set the server name";
                co_return nullptr;
            }
            if (opts.verify_tls) {
                X509_VERIFY_PARAM* param = SSL_get0_param(h);
                const int set = gw.address ? X509_VERIFY_PARAM_set1_ip_asc(param, gw.host.c_str())
                                           : X509_VERIFY_PARAM_set1_host(param, gw.host.c_str(), 0);
                if (set != 1) {
                    detail = "tls: cannot set the expected host";
                    co_return nullptr;
                }
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

// ---- the sans-I/O parts ----

std::string sms_sender::percent_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

bool sms_sender::fits_gsm7(std::string_view utf8) {
    for (std::size_t i = 0; i < utf8.size();) {
        const auto cp = next_code_point(utf8, i);
        if (!cp || !in_gsm7(*cp)) return false;
    }
    return true;
}

std::string sms_sender::json_body(const outbox_message& m, std::string_view callback_url) {
    json::object o;
    o["to"] = m.to;
    o["text"] = m.text;
    if (m.reference.empty())
        o["reference"] = nullptr;
    else
        o["reference"] = m.reference;
    o["message_id"] = m.id;
    if (!callback_url.empty()) o["callback_url"] = callback_url;
    return json::serialize(o);
}

std::string sms_sender::kannel_target(std::string_view base, const outbox_message& m, std::string_view callback_url) {
    std::string t(base);
    if (t.empty()) t = "/";
    const auto q = t.find('?');
    if (q == std::string::npos)
        t += '?';
    else if (q + 1 < t.size() && t.back() != '&')
        t += '&';
    t += "to=" + percent_encode(m.to);
    t += "&text=" + percent_encode(m.text);
    t += "&charset=UTF-8";
    if (!fits_gsm7(m.text)) t += "&coding=2";
    if (!callback_url.empty()) {
        std::string dlr(callback_url);
        dlr += dlr.find('?') == std::string::npos ? '?' : '&';
        dlr += "message_id=" + percent_encode(m.id) + "&status=%d";
        t += "&dlr-mask=31&dlr-url=" + percent_encode(dlr);
    }
    return t;
}

send_result sms_sender::classify(unsigned status, std::string_view body, bool json_format, const outbox_message& m) {
    send_result r;
    r.detail = "HTTP " + std::to_string(status);
    const std::string snippet = snippet_of(body, m);
    if (!snippet.empty()) r.detail += " " + snippet;
    if (status >= 200 && status < 300) {
        r.outcome = send_result::accepted;
        if (json_format) {
            r.gateway_id = m.id;
            error_code ec;
            const json::value v = json::parse(body, ec);
            if (!ec && v.is_object()) {
                for (const char* key : {"id", "message_id"}) {
                    const json::value* f = v.as_object().if_contains(key);
                    if (!f) continue;
                    if (f->is_string() && !f->as_string().empty() && f->as_string().size() <= 128) {
                        r.gateway_id = std::string(f->as_string());
                        break;
                    }
                    if (f->is_int64() || f->is_uint64()) {
                        r.gateway_id = json::serialize(*f);
                        break;
                    }
                }
            }
        }
    } else if (status >= 400 && status < 500 && status != 408 && status != 429) {
        r.outcome = send_result::permanent_failure;
    } else {
        r.outcome = send_result::temporary_failure;
    }
    return r;
}

}  // namespace sesame::workers
