// libFuzzer target for the request side of net/http_server.cpp without sockets: the input is the
// byte stream of one connection, parsed, routed and read (query, cookie, media type, client address,
// the static assets' Accept-Encoding and If-None-Match).
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/api_support.hpp"
#include "net/client_address.hpp"
#include "net/http.hpp"
#include "net/beast_request.hpp"
#include "net/router.hpp"
#include "net/static_routes.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace sesame::net;

void check(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz_http_request: invariant violated: %s\n", what);
    std::abort();
}

// The limits of net/http_server.cpp's defaults (http.max_header_bytes, http.max_body_bytes).
constexpr std::uint32_t max_header_bytes = 16 * 1024;
constexpr std::uint32_t max_body_bytes = 64 * 1024;

// The real route table: the patterns and options of net/account_routes.cpp,
// net/recovery_routes.cpp, net/hook_routes.cpp and net/system_routes.cpp, each
// with a handler that is never called.
const router& routes() {
    static const router r = [] {
        router t;
        const handler none = [](request&) -> boost::asio::awaitable<response> { co_return response::no_content(); };
        t.add(method::post, "/api/v1/session", none);
        t.add(method::del, "/api/v1/session", none, {0, false});
        t.add(method::get, "/api/v1/me", none);
        t.add(method::post, "/api/v1/me/password", none);
        t.add(method::get, "/api/v1/me/sessions", none);
        t.add(method::del, "/api/v1/me/sessions", none, {0, false});
        t.add(method::del, "/api/v1/me/sessions/{id}", none, {0, false});
        t.add(method::get, "/api/v1/me/activity", none);
        t.add(method::post, "/api/v1/recovery/identifier", none);
        t.add(method::post, "/api/v1/recovery/password", none);
        t.add(method::post, "/api/v1/recovery/password/reset", none);
        t.add(method::post, "/api/v1/recovery/password/{flow_id}/resend", none);
        t.add(method::post, "/api/v1/recovery/password/{flow_id}/verify", none);
        t.add(method::post, "/api/v1/activation", none);
        t.add(method::post, "/api/v1/activation/complete", none);
        t.add(method::post, "/api/v1/activation/{flow_id}/resend", none);
        t.add(method::post, "/api/v1/activation/{flow_id}/verify", none);
        t.add(method::post, "/api/v1/me/email", none);
        t.add(method::post, "/api/v1/email/confirm", none);
        t.add(method::get, "/api/v1/hooks/sms-status", none);
        t.add(method::post, "/api/v1/hooks/sms-status", none, {8 * 1024, true});
        t.add(method::get, "/healthz", none);
        t.add(method::get, "/readyz", none);
        t.add(method::get, "/metrics", none);
        return t;
    }();
    return r;
}

const proxy_trust& proxies() {
    static const proxy_trust p({"127.0.0.1", "10.0.0.0/8", "::1", "2001:db8::/32", "192.168.0.0/16"});
    return p;
}

bool inside(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// What the server does with a routed request before the handler, and what
// handlers read from it.
void check_route(request& req) {
    const route_match m = routes().find(req);
    switch (m.kind) {
        case route_match::found: {
            check(m.matched != nullptr, "found without a route");
            const route& r = *m.matched;
            check(r.verb == req.verb || (r.verb == method::get && req.verb == method::head), "found the wrong method");
            std::size_t params = 0;
            for (const auto& seg : r.segments) params += seg.size() > 2 && seg.front() == '{';
            check(req.params.size() == params, "parameter count");
            for (const auto& [name, value] : req.params) {
                check(!value.empty() && value.find('/') == std::string_view::npos, "parameter value");
                check(inside(value, req.path), "parameter does not point into the path");
                check(req.param(name) == value || name == "", "param() lookup");
            }
            break;
        }
        case route_match::wrong_method: check(!m.allow.empty(), "405 without Allow"); break;
        case route_match::no_path: check(m.matched == nullptr && m.allow.empty(), "404 with a route"); break;
    }
    for (const char* name : {"limit", "before", "secret", "message_id", "status", "detail", "answer"}) {
        if (const auto v = req.query_param(name)) check(v->size() <= req.query.size(), "query value longer than query");
    }
    const std::string_view token = req.cookie_value(session_cookie_name);
    check(inside(token, req.cookie), "cookie value outside the header");
    check(token.find(';') == std::string_view::npos, "cookie value spans items");
    const std::string media = req.media_type();
    check(media.find(';') == std::string::npos, "media type with parameters");
    for (char c : media) check(!(c >= 'A' && c <= 'Z'), "media type not lower-cased");
    check(media.empty() || (media.front() != ' ' && media.back() != ' '), "media type not trimmed");
    // The static assets' negotiation: never a coding the asset lacks, and an
    // If-None-Match of exactly the asset's tag always matches.
    check(choose_coding(req.accept_encoding, false, false) == content_coding::identity, "coding the asset lacks");
    (void)choose_coding(req.accept_encoding, true, true);
    (void)etag_matches(req.if_none_match, "3f9c2a1b07");
    check(etag_matches("\"3f9c2a1b07\", " + std::string(req.if_none_match), "3f9c2a1b07"),
          "If-None-Match listing the exact tag did not match");
    const std::string decoded = percent_decode(req.path, false);
    check(decoded.size() <= req.path.size(), "percent_decode grew");
    (void)client_of(req);
}

void check_client_ip(const std::string& peer, std::string_view forwarded_for) {
    const std::string ip = proxies().client_ip(peer, forwarded_for);
    check(ip == peer || parse_ip(ip).has_value(), "client address neither the peer nor an address");
    if (!proxies().trusts(peer)) check(ip == peer, "X-Forwarded-For believed from an untrusted peer");
    // Trust built from the header itself: any list must be handled.
    std::vector<std::string> trusted;
    std::string_view rest = forwarded_for;
    while (!rest.empty() && trusted.size() < 8) {
        const auto comma = rest.find(',');
        trusted.emplace_back(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        if (const auto n = parse_network(trusted.back())) check(n->prefix <= 128, "network prefix");
    }
    const proxy_trust own(trusted);
    (void)own.client_ip(peer, forwarded_for);
}

// A connection's bytes arriving `chunk` at a time, as the server's flat_buffer fills.
struct stream_bytes {
    std::string_view all;
    std::size_t chunk;
    std::size_t pos = 0;       // consumed by the parser
    std::size_t received = 0;  // "read" from the socket so far

    bool receive() {
        if (received == all.size()) return false;
        received = std::min(all.size(), received + chunk);
        return true;
    }
    asio::const_buffer pending() const { return asio::buffer(all.data() + pos, received - pos); }
};

// Feeds the parser until `done()`, an error, or the end of the stream (then
// put_eof, as a read that hits EOF does).
template <class Parser, class Done>
beast::error_code feed(Parser& parser, stream_bytes& in, Done done) {
    while (!done()) {
        beast::error_code ec;
        if (in.pos == in.received && !in.receive()) {
            parser.put_eof(ec);
            return ec ? ec : beast::error_code(http::error::partial_message);
        }
        const std::size_t n = parser.put(in.pending(), ec);
        check(n <= in.received - in.pos, "parser consumed more than it was given");
        in.pos += n;
        if (ec == http::error::need_more) {
            if (!in.receive()) {
                parser.put_eof(ec);
                return ec ? ec : beast::error_code(http::error::partial_message);
            }
            continue;
        }
        if (ec) return ec;
        if (n == 0 && !done() && !in.receive()) return http::error::partial_message;
    }
    return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 256 * 1024) return 0;
    const std::string_view all(reinterpret_cast<const char*>(data), size);
    // The last byte picks the segmentation: one read for everything, or small reads.
    const std::size_t chunk = size == 0 || (data[size - 1] & 0x80) ? 4096 : 1 + data[size - 1] % 64;
    stream_bytes in{all, chunk};

    // Requests of one keep-alive connection, as http_server.cpp's serve() loop.
    for (int n = 0; n < 8 && in.pos < all.size(); ++n) {
        http::request_parser<http::empty_body> header_parser;
        header_parser.header_limit(max_header_bytes);
        header_parser.body_limit(std::numeric_limits<std::uint64_t>::max());
        header_parser.eager(false);
        if (feed(header_parser, in, [&] { return header_parser.is_header_done(); })) break;

        request req;
        req.client_ip = "127.0.0.1";
        fill_request(req, header_parser.get());
        check(inside(req.path, req.target) && inside(req.query, req.target), "path or query outside the target");
        route_match match = routes().find(req);
        std::size_t limit = max_body_bytes;
        if (match.kind == route_match::found && match.matched->options.max_body) limit = match.matched->options.max_body;
        if (const auto len = header_parser.content_length(); len && *len > limit) break;  // 413, close
        const bool keep_alive = header_parser.get().keep_alive();

        std::optional<http::request_parser<http::string_body>> body_parser;
        if (!header_parser.is_done()) {
            header_parser.body_limit(limit);
            body_parser.emplace(std::move(header_parser));
            auto& parser = *body_parser;
            parser.eager(true);
            if (feed(parser, in, [&] { return parser.is_done(); })) break;  // 413 or 400, close
            // The header moved with the parser: point the views at it again.
            fill_request(req, parser.get());
            req.body = std::move(parser.get().body());
            check(req.body.size() <= limit, "body over its limit");
            if (const auto len = parser.content_length()) check(req.body.size() == *len, "body length");
        }
        const auto& h = body_parser ? body_parser->get().base() : header_parser.get().base();
        check_client_ip("127.0.0.1", h["X-Forwarded-For"]);
        check_client_ip("203.0.113.7", h["X-Forwarded-For"]);
        req.client_ip = proxies().client_ip(req.client_ip, h["X-Forwarded-For"]);
        check_route(req);
        if (!keep_alive) break;
    }

    // The router and the request readers on arbitrary text, beyond what Beast lets through.
    request raw;
    raw.verb = size ? static_cast<method>(data[0] % 8) : method::get;
    raw.target = all;
    const auto q = all.find('?');
    raw.path = all.substr(0, q);
    raw.query = q == std::string_view::npos ? std::string_view{} : all.substr(q + 1);
    raw.cookie = all;
    raw.content_type = all;
    check_route(raw);
    const std::string decoded = percent_decode(all);
    check(decoded.size() <= all.size(), "percent_decode grew");
    if (all.find_first_of("%+") == std::string_view::npos) check(decoded == all, "percent_decode changed plain text");
    return 0;
}
