// The HTTP layer without sockets: the real request loop (net/http_session.hpp)
// over Beast's in-memory test stream, plus the router, the error mapping and
// the cookies. Deadlines are driven by calling the sweeper's pass with a
// chosen `now`, never by waiting.
#include <boost/test/unit_test.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/json/parse.hpp>

#include <memory>
#include <string>
#include <vector>

#include "net/api_support.hpp"
#include "net/http_session.hpp"

using namespace sesame;
using namespace sesame::net;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;

namespace {

// One answer as the client read it.
struct reply {
    unsigned status = 0;
    std::string head;  // status line and header lines
    std::string body;

    bool has_header(std::string_view line) const { return head.find(std::string(line) + "\r\n") != std::string::npos; }
    json::object json_body() const { return json::parse(body).as_object(); }
};

// The answers in `raw`, in order (each framed by its Content-Length).
std::vector<reply> parse_replies(std::string_view raw) {
    std::vector<reply> out;
    while (!raw.empty()) {
        const auto end = raw.find("\r\n\r\n");
        BOOST_REQUIRE(end != std::string_view::npos);
        reply r;
        r.head = std::string(raw.substr(0, end + 2));
        r.status = unsigned(std::stoi(r.head.substr(9, 3)));
        std::size_t length = 0;
        if (const auto cl = r.head.find("Content-Length: "); cl != std::string::npos)
            length = std::stoul(r.head.substr(cl + 16));
        r.body = std::string(raw.substr(end + 4, length));
        raw.remove_prefix(std::min(raw.size(), end + 4 + length));
        out.push_back(std::move(r));
    }
    return out;
}

// A server-side connection run by the real request loop on a test stream,
// with a few routes. The handler of /api/v1/slow waits until release().
struct connection {
    asio::io_context io;
    config::http_settings settings;
    router routes;
    std::unique_ptr<http_metrics> metrics;
    std::unique_ptr<session_context> ctx;
    beast::test::stream server{io};
    beast::test::stream client{io};
    std::list<connection_entry> entries;
    asio::steady_timer gate{io, clock_type::time_point::max()};
    int handled = 0;
    bool slow_entered = false;
    bool finished = false;

    connection() {
        settings.public_url = "https://portail.example.fr";
        settings.max_header_bytes = 1024;
        settings.max_body_bytes = 1024;
        routes.add(method::get, "/healthz", [this](request&) -> asio::awaitable<response> {
            ++handled;
            co_return response::text(200, "ok\n");
        });
        routes.add(method::post, "/api/v1/things", [this](request& req) -> asio::awaitable<response> {
            ++handled;
            co_return response::json(201, "{\"size\":" + std::to_string(req.body.size()) + "}");
        });
        routes.add(method::get, "/api/v1/things/{id}", [this](request& req) -> asio::awaitable<response> {
            ++handled;
            co_return response::json(200, "{\"id\":\"" + std::string(req.param("id")) + "\"}");
        });
        route_options relying_party;
        relying_party.any_origin = true;
        routes.add(
            method::post, "/oidc/token",
            [this](request&) -> asio::awaitable<response> {
                ++handled;
                co_return response::json(200, "{}");
            },
            relying_party);
        routes.add(method::get, "/api/v1/slow", [this](request&) -> asio::awaitable<response> {
            slow_entered = true;
            co_await gate.async_wait(asio::as_tuple(asio::use_awaitable));
            ++handled;
            co_return response::json(200, "{\"late\":true}");
        });
        routes.add(method::get, "/api/v1/broken", [](request&) -> asio::awaitable<response> {
            throw std::runtime_error("secret detail");
            co_return response::json(200, "{}");
        });
    }

    // Ends the loop before the objects it uses go: the client leaves and a
    // waiting handler is released.
    ~connection() {
        client.close();
        gate.cancel();
        settle();
    }

    void start() {
        std::vector<std::string> names;
        for (const auto& r : routes.routes()) names.push_back(r.pattern);
        metrics = std::make_unique<http_metrics>(names);
        ctx = std::make_unique<session_context>(settings, routes, *metrics);
        server.connect(client);
        auto& e = entries.emplace_back();
        e.close = [this] { server.close(); };
        set_deadline(e, settings.read_timeout);
        auto loop = serve();
        asio::co_spawn(io, std::move(loop), [this](std::exception_ptr p) {
            BOOST_TEST(!p);
            finished = true;
        });
        settle();
    }

    asio::awaitable<void> serve() {
        http_session<beast::test::stream> session(*ctx, server, entries.front(), "192.0.2.7", false);
        co_await session.run();
    }

    // Runs every handler that is ready, until the loop waits on the client,
    // its handler or a deadline.
    void settle() {
        io.restart();
        while (io.poll() > 0) {
        }
    }

    void send(std::string_view raw) {
        asio::write(client, asio::buffer(raw));
        settle();
    }

    // The sweeper's pass `after` from now.
    void sweep(clock_type::duration after) {
        expire_deadlines(entries, clock_type::now() + after);
        settle();
    }

    void release() {
        gate.cancel();
        settle();
    }

    std::vector<reply> replies() const { return parse_replies(client.str()); }

    // One request on a fresh connection; its only answer.
    static reply one(std::string_view raw) {
        connection c;
        c.start();
        c.send(raw);
        const auto r = c.replies();
        BOOST_REQUIRE_EQUAL(r.size(), 1u);
        return r.front();
    }
};

std::string post(std::string_view path, std::string_view headers, std::string_view body) {
    return "POST " + std::string(path) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + std::string(headers) +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(router_table)

BOOST_AUTO_TEST_CASE(matches_method_and_path_with_params) {
    router r;
    const auto nothing = [](request&) -> asio::awaitable<response> { co_return response::no_content(); };
    r.add(method::get, "/api/v1/me", nothing);
    r.add(method::get, "/api/v1/me/sessions/{id}", nothing);
    r.add(method::del, "/api/v1/me/sessions/{id}", nothing);
    r.add(method::post, "/api/v1/login", nothing);

    request req;
    req.verb = method::del;
    req.path = "/api/v1/me/sessions/abc";
    auto m = r.find(req);
    BOOST_TEST((m.kind == route_match::found));
    BOOST_TEST(m.matched->pattern == "/api/v1/me/sessions/{id}");
    BOOST_TEST((m.matched->verb == method::del));
    BOOST_TEST(req.param("id") == "abc");

    req.verb = method::head;  // HEAD is served by GET routes
    req.path = "/api/v1/me";
    BOOST_TEST((r.find(req).kind == route_match::found));

    req.verb = method::put;
    req.path = "/api/v1/me/sessions/abc";
    m = r.find(req);
    BOOST_TEST((m.kind == route_match::wrong_method));
    BOOST_TEST(m.allow.find("GET") != std::string::npos);
    BOOST_TEST(m.allow.find("DELETE") != std::string::npos);
    BOOST_TEST(m.allow.find("POST") == std::string::npos);

    req.verb = method::get;
    for (std::string_view path : {"/api/v1/me/", "/api/v1/me/sessions/", "/api/v1/me/sessions/a/b", "/api/v1",
                                  "api/v1/me", "", "/api/v1/login/x"}) {
        req.path = path;
        BOOST_TEST((r.find(req).kind == route_match::no_path), path);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(error_mapping)

BOOST_AUTO_TEST_CASE(each_domain_error_has_its_status_and_wire_name) {
    const std::vector<std::pair<errc, unsigned>> table{
        {errc::invalid_request, 400}, {errc::invalid_token, 400},       {errc::invalid_code, 400},
        {errc::birth_dates_mismatch, 400}, {errc::unauthenticated, 401}, {errc::invalid_credentials, 401},
        {errc::otp_required, 401},    {errc::forbidden, 403},           {errc::password_change_required, 403},
        {errc::not_found, 404},       {errc::conflict, 409},            {errc::already_exists, 409},
        {errc::ambiguous_contact, 409}, {errc::token_expired, 410},     {errc::flow_expired, 410},
        {errc::flow_closed, 410},     {errc::weak_password, 422},       {errc::account_locked, 423},
        {errc::rate_limited, 429},    {errc::overloaded, 503},
    };
    for (const auto& [code, status] : table) {
        const response r = error_response(code);
        BOOST_TEST_CONTEXT(to_string(code)) {
            BOOST_TEST(r.status == status);
            BOOST_TEST(r.content_type == "application/json");
            const auto body = json::parse(r.body).as_object();
            BOOST_TEST(body.at("error").as_string() == to_string(code));
            BOOST_TEST(body.at("message").as_string() == default_message(code));
            BOOST_TEST(!r.close);
        }
    }
}

BOOST_AUTO_TEST_CASE(each_transport_error_has_its_status_and_wire_name) {
    const std::vector<std::tuple<http_errc, unsigned, const char*, bool>> table{
        {http_errc::bad_origin, 403, "bad_origin", false},
        {http_errc::method_not_allowed, 405, "method_not_allowed", false},
        {http_errc::body_too_large, 413, "body_too_large", true},
        {http_errc::unsupported_media_type, 415, "unsupported_media_type", false},
        {http_errc::header_too_large, 431, "header_too_large", true},
    };
    for (const auto& [code, status, name, closes] : table) {
        const response r = error_response(code);
        BOOST_TEST_CONTEXT(name) {
            BOOST_TEST(r.status == status);
            BOOST_TEST(r.close == closes);
            const auto body = json::parse(r.body).as_object();
            BOOST_TEST(body.size() == 2u);
            BOOST_TEST(body.at("error").as_string() == name);
            BOOST_TEST(body.at("message").as_string() == default_message(code));
        }
    }
}

BOOST_AUTO_TEST_CASE(extra_fields_and_retry_after) {
    domain_error e = rate_limited(90s);
    response r = error_response(e);
    BOOST_TEST(r.status == 429u);
    BOOST_TEST(json::parse(r.body).as_object().at("retry_after").as_int64() == 90);
    BOOST_REQUIRE_EQUAL(r.headers.size(), 1u);
    BOOST_TEST(r.headers[0].first == "Retry-After");
    BOOST_TEST(r.headers[0].second == "90");

    r = error_response(invalid_field("email", "Adresse invalide."));
    auto body = json::parse(r.body).as_object();
    BOOST_TEST(body.at("field").as_string() == "email");
    BOOST_TEST(body.at("message").as_string() == "Adresse invalide.");

    e = make_error(errc::invalid_code);
    e.attempts_left = 2;
    BOOST_TEST(json::parse(error_response(e).body).as_object().at("attempts_left").as_int64() == 2);

    e = make_error(errc::account_locked);  // staff only: no date to show
    BOOST_TEST(json::parse(error_response(e).body).as_object().at("locked_until").is_null());

    e = make_error(errc::weak_password);
    e.reasons = {"too_short", "common"};
    body = json::parse(error_response(e).body).as_object();
    BOOST_TEST(body.at("reasons").as_array().size() == 2u);
    BOOST_TEST(body.at("reasons").as_array()[1].as_string() == "common");

    r = internal_error_response();
    BOOST_TEST(r.status == 500u);
    BOOST_TEST(json::parse(r.body).as_object().at("error").as_string() == "internal_error");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cookies)

BOOST_AUTO_TEST_CASE(a_cookie_is_found_by_its_exact_name) {
    request req;
    req.cookie = "theme=dark; xsesame_session=wrong;sesame_session=tok123; lang=fr";
    BOOST_TEST(req.cookie_value("sesame_session") == "tok123");
    BOOST_TEST(req.cookie_value("theme") == "dark");
    BOOST_TEST(req.cookie_value("lang") == "fr");
    BOOST_TEST(req.cookie_value("absent").empty());
    req.cookie = "";
    BOOST_TEST(req.cookie_value("sesame_session").empty());
    req.cookie = "sesame_session";  // no value at all
    BOOST_TEST(req.cookie_value("sesame_session").empty());
}

BOOST_AUTO_TEST_CASE(the_session_cookie_carries_its_attributes) {
    const std::string plain = session_cookie("tok", 30min, false);
    BOOST_TEST(plain.starts_with("sesame_session=tok; "));
    for (const char* attribute : {"; Path=/", "; HttpOnly", "; SameSite=Lax", "; Max-Age=1800"})
        BOOST_TEST(plain.find(attribute) != std::string::npos, attribute);
    BOOST_TEST(plain.find("Secure") == std::string::npos);
    BOOST_TEST(session_cookie("tok", 30min, true).ends_with("; Secure"));

    const std::string cleared = cleared_session_cookie(true);
    BOOST_TEST(cleared.starts_with("sesame_session=; "));
    BOOST_TEST(cleared.find("; Max-Age=0") != std::string::npos);
    BOOST_TEST(cleared.find("; HttpOnly") != std::string::npos);
    BOOST_TEST(cleared.ends_with("; Secure"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(http_session_loop)

BOOST_AUTO_TEST_CASE(routes_a_request_and_keeps_the_connection) {
    connection c;
    c.start();
    c.send("GET /api/v1/things/42 HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto r = c.replies();
    BOOST_REQUIRE_EQUAL(r.size(), 2u);
    BOOST_TEST(r[0].status == 200u);
    BOOST_TEST(r[0].json_body().at("id").as_string() == "42");
    BOOST_TEST(r[0].has_header("Connection: keep-alive"));
    BOOST_TEST(r[0].has_header("Cache-Control: no-store"));
    BOOST_TEST(r[0].has_header("X-Content-Type-Options: nosniff"));
    BOOST_TEST(r[1].body == "ok\n");
    BOOST_TEST(!r[1].has_header("Cache-Control: no-store"));
    BOOST_TEST(!c.finished);  // waiting for the next request
    c.client.close();
    c.settle();
    BOOST_TEST(c.finished);
}

BOOST_AUTO_TEST_CASE(unknown_path_is_404_json_under_api_and_a_page_elsewhere) {
    auto r = connection::one("GET /api/v1/nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_TEST(r.status == 404u);
    BOOST_TEST(r.json_body().at("error").as_string() == "not_found");
    r = connection::one("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_TEST(r.status == 404u);
    BOOST_TEST(r.has_header("Content-Type: text/html; charset=utf-8"));
    BOOST_TEST(r.body.find("Page introuvable") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(wrong_method_is_405_with_allow) {
    const auto r = connection::one("DELETE /api/v1/things HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_TEST(r.status == 405u);
    BOOST_TEST(r.json_body().at("error").as_string() == "method_not_allowed");
    BOOST_TEST(r.has_header("Allow: POST"));
}

BOOST_AUTO_TEST_CASE(origin_check_refuses_cross_site_state_changes) {
    // Another site: refused before the handler runs.
    connection c;
    c.start();
    c.send(post("/api/v1/things", "Origin: https://evil.example\r\nContent-Type: application/json\r\n", "{}"));
    auto r = c.replies();
    BOOST_REQUIRE_EQUAL(r.size(), 1u);
    BOOST_TEST(r[0].status == 403u);
    BOOST_TEST(r[0].json_body().at("error").as_string() == "bad_origin");
    BOOST_TEST(c.handled == 0);

    // The portal's own origin (case and default port do not matter), and
    // no Origin at all (not a browser's cross-site request): accepted.
    for (std::string_view origin : {"Origin: https://portail.example.fr\r\n", "Origin: HTTPS://Portail.Example.FR:443\r\n",
                                    ""}) {
        const auto ok = connection::one(
            post("/api/v1/things", std::string(origin) + "Content-Type: application/json\r\n", "{}"));
        BOOST_TEST(ok.status == 201u, origin);
    }
    // A scheme or port change is another origin.
    for (std::string_view origin : {"Origin: http://portail.example.fr\r\n", "Origin: https://portail.example.fr:8443\r\n",
                                    "Origin: null\r\n"}) {
        BOOST_TEST(connection::one(post("/api/v1/things", std::string(origin), "")).status == 403u, origin);
    }
    // Routes for relying parties take any Origin; reads are never refused.
    BOOST_TEST(connection::one(post("/oidc/token", "Origin: https://rp.example\r\n", "")).status == 200u);
    BOOST_TEST(connection::one("GET /healthz HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n\r\n").status ==
               200u);
}

BOOST_AUTO_TEST_CASE(a_json_route_refuses_other_media_types) {
    auto r = connection::one(post("/api/v1/things", "Content-Type: text/plain\r\n", "{}"));
    BOOST_TEST(r.status == 415u);
    BOOST_TEST(r.json_body().at("error").as_string() == "unsupported_media_type");
    BOOST_TEST(connection::one(post("/api/v1/things", "", "{}")).status == 415u);  // a body without a type
    BOOST_TEST(connection::one(post("/api/v1/things", "", "")).status == 201u);    // no body, no type
    r = connection::one(post("/api/v1/things", "Content-Type: Application/JSON; charset=utf-8\r\n", "[1]"));
    BOOST_TEST(r.status == 201u);
    BOOST_TEST(r.json_body().at("size").as_int64() == 3);
}

BOOST_AUTO_TEST_CASE(oversized_header_is_431_and_closes) {
    connection c;
    c.start();
    c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(2000, 'a') + "\r\n\r\n");
    const auto r = c.replies();
    BOOST_REQUIRE_EQUAL(r.size(), 1u);
    BOOST_TEST(r[0].status == 431u);
    BOOST_TEST(r[0].json_body().at("error").as_string() == "header_too_large");
    BOOST_TEST(r[0].has_header("Connection: close"));
    BOOST_TEST(c.finished);
    BOOST_TEST(c.handled == 0);
}

BOOST_AUTO_TEST_CASE(oversized_body_is_413_whether_announced_or_chunked) {
    auto r = connection::one(post("/api/v1/things", "Content-Type: application/json\r\n", std::string(2000, ' ')));
    BOOST_TEST(r.status == 413u);
    BOOST_TEST(r.json_body().at("error").as_string() == "body_too_large");
    BOOST_TEST(r.has_header("Connection: close"));

    std::string chunked =
        "POST /api/v1/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) chunked += "200\r\n" + std::string(0x200, ' ') + "\r\n";
    chunked += "0\r\n\r\n";
    r = connection::one(chunked);
    BOOST_TEST(r.status == 413u);
    BOOST_TEST(r.json_body().at("error").as_string() == "body_too_large");
}

BOOST_AUTO_TEST_CASE(malformed_request_line_is_400_json) {
    for (std::string_view raw : {"GARBAGE\r\n\r\n", "GET /healthz HTTP/9.9\r\n\r\n", "GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n"}) {
        const auto r = connection::one(raw);
        BOOST_TEST(r.status == 400u, raw);
        BOOST_TEST(r.json_body().at("error").as_string() == "invalid_request");
        BOOST_TEST(r.has_header("Connection: close"));
    }
}

BOOST_AUTO_TEST_CASE(expect_100_continue_is_answered_before_the_body) {
    connection c;
    c.start();
    c.send("POST /api/v1/things HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
           "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    BOOST_TEST(c.client.str() == "HTTP/1.1 100 Continue\r\n\r\n");
    c.send("{}");
    const auto r = c.replies();
    BOOST_REQUIRE_EQUAL(r.size(), 2u);
    BOOST_TEST(r[1].status == 201u);
}

BOOST_AUTO_TEST_CASE(while_stopping_the_answer_closes_the_connection) {
    connection c;
    c.start();
    c.ctx->stopping = true;  // the server's graceful shutdown began
    c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto r = c.replies();
    BOOST_REQUIRE_EQUAL(r.size(), 1u);
    BOOST_TEST(r[0].status == 200u);
    BOOST_TEST(r[0].has_header("Connection: close"));
    BOOST_TEST(c.finished);
}

BOOST_AUTO_TEST_CASE(a_failing_handler_is_a_500_that_leaks_nothing) {
    const auto r = connection::one("GET /api/v1/broken HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_TEST(r.status == 500u);
    BOOST_TEST(r.json_body().at("error").as_string() == "internal_error");
    BOOST_TEST(r.body.find("secret") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_silent_client_is_closed_at_its_read_deadline) {
    connection c;
    c.start();
    c.send("GET /healthz HTTP/1.1\r\n");  // the header never ends
    c.sweep(c.settings.read_timeout / 2);
    BOOST_TEST(!c.finished);
    c.sweep(c.settings.read_timeout + 1s);
    BOOST_TEST(c.finished);
    BOOST_TEST(c.client.str().empty());
    BOOST_TEST(c.entries.front().expired);
}

BOOST_AUTO_TEST_CASE(a_handler_within_its_bound_outlives_the_read_deadline) {
    connection c;
    c.settings.read_timeout = 1s;
    c.settings.handler_timeout = 60s;
    c.start();
    c.send("GET /api/v1/slow HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_REQUIRE(c.slow_entered);
    c.sweep(30s);  // far past read_timeout, within handler_timeout
    BOOST_TEST(!c.entries.front().expired);
    BOOST_TEST(c.client.str().empty());
    c.release();
    const auto r = c.replies();
    BOOST_REQUIRE_EQUAL(r.size(), 1u);
    BOOST_TEST(r[0].status == 200u);
    BOOST_TEST(r[0].json_body().at("late").as_bool());
    BOOST_TEST(!c.finished);  // kept alive
}

BOOST_AUTO_TEST_CASE(a_handler_past_its_bound_is_answered_503_and_still_awaited) {
    connection c;
    c.settings.handler_timeout = 5s;
    c.start();
    c.send("GET /api/v1/slow HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_REQUIRE(c.slow_entered);
    c.sweep(6s);
    auto r = c.replies();
    BOOST_REQUIRE_EQUAL(r.size(), 1u);
    BOOST_TEST(r[0].status == 503u);
    const auto body = r[0].json_body();
    BOOST_TEST(body.at("error").as_string() == "overloaded");
    BOOST_TEST(body.at("retry_after").as_int64() == 5);
    BOOST_TEST(r[0].has_header("Retry-After: 5"));
    BOOST_TEST(r[0].has_header("Connection: close"));
    // The late handler holds the request: the connection waits for it.
    BOOST_TEST(!c.finished);
    BOOST_TEST(c.handled == 0);
    c.release();
    BOOST_TEST(c.handled == 1);
    BOOST_TEST(c.finished);
    BOOST_TEST(c.replies().size() == 1u);  // its late answer is not sent
}

BOOST_AUTO_TEST_CASE(the_sweeper_period_follows_the_shortest_bound) {
    config::http_settings s;
    s.read_timeout = 8s;
    s.idle_timeout = 60s;
    s.handler_timeout = 2s;
    BOOST_TEST((sweep_period(s) == std::chrono::milliseconds(500)));
    s.handler_timeout = 1h;
    BOOST_TEST((sweep_period(s) == std::chrono::seconds(1)));  // at most a second
    s.read_timeout = std::chrono::milliseconds(8);
    BOOST_TEST((sweep_period(s) == std::chrono::milliseconds(10)));  // at least 10 ms
}

BOOST_AUTO_TEST_SUITE_END()
