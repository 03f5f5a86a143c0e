// sms_sender against a scripted loopback HTTP gateway (blocking Beast in
// its own threads, 127.0.0.1 port 0): the JSON and Kannel requests, outcome
// classification, keep-alive reuse, a stale idle connection, the pool limit,
// deadlines and cancellation; plus the sans-I/O helpers. The io_context runs
// in the test thread; no sleeps are used as synchronisation.
#include <boost/test/unit_test.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <vector>

#include "workers/sms_sender.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using namespace std::chrono_literals;
using sesame::outbox_message;
using sesame::workers::send_result;
using sesame::workers::sms_options;
using sesame::workers::sms_sender;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

// What the stub does with one request.
struct reply {
    enum kind_t { answer, hang } kind = answer;
    unsigned status = 202;
    std::string body = R"({"id":"gw-1"})";
    bool keep_alive = true;
    bool close_after = false;  // close the socket right after answering, though keep-alive was announced
    std::chrono::milliseconds delay{0};
};

struct seen_request {
    std::string method;
    std::string target;
    std::string body;
    std::map<std::string, std::string> headers;
};

// A loopback HTTP/1.1 gateway answering from a script, one thread per connection.
class gateway_stub {
public:
    std::deque<reply> script;  // set before the first request; then `then` forever
    reply then;

    gateway_stub() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
        port_ = acceptor_.local_endpoint().port();
        accept_thread_ = std::thread([this] { accept_loop(); });
    }
    ~gateway_stub() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
        }
        cv_.notify_all();
        boost::system::error_code ec;
        tcp::socket wake(io_);
        wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
        accept_thread_.join();
        for (auto& t : threads_) t.join();
    }

    std::uint16_t port() const { return port_; }
    std::string url(const std::string& path = "/send") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
    std::vector<seen_request> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    int connections() {
        std::lock_guard lock(mutex_);
        return connections_;
    }
    int max_busy() {
        std::lock_guard lock(mutex_);
        return max_busy_;
    }

private:
    void accept_loop() {
        for (;;) {
            auto sock = std::make_shared<tcp::socket>(io_);
            boost::system::error_code ec;
            acceptor_.accept(*sock, ec);
            std::lock_guard lock(mutex_);
            if (stopping_ || ec) return;
            ++connections_;
            fds_.push_back(sock->native_handle());
            threads_.emplace_back([this, sock]() mutable {
                serve(*sock);
                sock.reset();  // after forget_fd: the fd is closed only once forgotten
            });
        }
    }

    void serve(tcp::socket& sock) {
        struct forget_fd {  // the fd may be reused once closed: never shut it down then
            gateway_stub& self;
            int fd;
            ~forget_fd() {
                std::lock_guard lock(self.mutex_);
                std::erase(self.fds_, fd);
            }
        } forget{*this, sock.native_handle()};
        beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            boost::system::error_code ec;
            http::read(sock, buffer, req, ec);
            if (ec) return;
            reply r;
            {
                std::lock_guard lock(mutex_);
                seen_request s{std::string(req.method_string()), std::string(req.target()), req.body(), {}};
                for (const auto& f : req) s.headers[std::string(f.name_string())] = std::string(f.value());
                requests_.push_back(std::move(s));
                if (!script.empty()) {
                    r = script.front();
                    script.pop_front();
                } else {
                    r = then;
                }
                max_busy_ = std::max(max_busy_, ++busy_);
            }
            if (r.kind == reply::hang) {
                std::unique_lock lock(mutex_);
                cv_.wait(lock, [this] { return stopping_; });
                return;
            }
            if (r.delay.count() > 0) {
                std::unique_lock lock(mutex_);
                cv_.wait_for(lock, r.delay, [this] { return stopping_; });
            }
            http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
            res.set(http::field::content_type, "application/json");
            res.body() = r.body;
            res.keep_alive(r.keep_alive);
            res.prepare_payload();
            {
                std::lock_guard lock(mutex_);
                --busy_;
            }
            http::write(sock, res, ec);
            if (ec || !r.keep_alive || r.close_after) {
                sock.shutdown(tcp::socket::shutdown_both, ec);
                return;  // closed by the owner once forget_fd ran
            }
        }
    }

    asio::io_context io_;
    tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::thread accept_thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::vector<int> fds_;
    std::vector<std::thread> threads_;
    std::vector<seen_request> requests_;
    int connections_ = 0;
    int busy_ = 0;
    int max_busy_ = 0;
};

outbox_message sms(const std::string& id = "0123456789abcdef0123456789abcdef") {
    outbox_message m;
    m.id = id;
    m.to = "+33612345678";
    m.text = "Sésame : votre code est 482913.\n@sesame.example #482913";
    m.reference = "R-7K3F-92QX";
    m.purpose = "recovery_code";
    return m;
}

sms_options options(const gateway_stub& gw, std::string format = "json") {
    sms_options o;
    o.url = gw.url();
    o.format = std::move(format);
    o.timeout = 5s;
    return o;
}

// Runs the sends concurrently on one io_context in this thread; results in order.
std::vector<send_result> send_all(asio::io_context& io, sms_sender& s, const std::vector<outbox_message>& ms) {
    std::vector<std::optional<send_result>> out(ms.size());
    for (std::size_t i = 0; i < ms.size(); ++i) {
        auto done = [&out, i](std::exception_ptr e, send_result r) {
            if (e) std::rethrow_exception(e);
            out[i] = std::move(r);
        };
        asio::co_spawn(io, s.send(ms[i]), std::move(done));
    }
    io.restart();
    io.run();
    std::vector<send_result> results;
    for (auto& r : out) {
        BOOST_TEST_REQUIRE(r.has_value());
        results.push_back(std::move(*r));
    }
    return results;
}

send_result send_one(asio::io_context& io, sms_sender& s, const outbox_message& m) {
    return send_all(io, s, {m}).front();
}

// The query parameters of a target, percent-decoded.
std::map<std::string, std::string> query_of(const std::string& target) {
    std::map<std::string, std::string> out;
    const auto q = target.find('?');
    if (q == std::string::npos) return out;
    auto decode = [](std::string_view s) {
        std::string d;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '%' && i + 2 < s.size()) {
                d.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
                i += 2;
            } else {
                d.push_back(s[i] == '+' ? ' ' : s[i]);
            }
        }
        return d;
    };
    std::string_view rest = std::string_view(target).substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        const auto eq = pair.find('=');
        out[decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1));
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sms_sender_suite)

BOOST_AUTO_TEST_CASE(json_post_carries_the_fields_and_reads_the_gateway_id) {
    asio::io_context io;
    gateway_stub gw;
    auto o = options(gw);
    o.callback_url = "http://portal.example/api/v1/hooks/sms-status?secret=abc";
    sms_sender s(io.get_executor(), o);
    const auto r = send_one(io, s, sms());
    BOOST_TEST(r.outcome == send_result::accepted);
    BOOST_TEST(r.gateway_id == "gw-1");
    BOOST_TEST(r.detail.rfind("HTTP 202", 0) == 0);
    const auto reqs = gw.requests();
    BOOST_TEST_REQUIRE(reqs.size() == 1u);
    BOOST_TEST(reqs[0].method == "POST");
    BOOST_TEST(reqs[0].target == "/send");
    BOOST_TEST(reqs[0].headers.at("Content-Type") == "application/json");
    BOOST_TEST(reqs[0].headers.at("Host") == "127.0.0.1:" + std::to_string(gw.port()));
    const auto body = json::parse(reqs[0].body).as_object();
    BOOST_TEST(body.at("to").as_string() == "+33612345678");
    BOOST_TEST(body.at("text").as_string() == sms().text);
    BOOST_TEST(body.at("reference").as_string() == "R-7K3F-92QX");
    BOOST_TEST(body.at("message_id").as_string() == sms().id);
    BOOST_TEST(body.at("callback_url").as_string() == o.callback_url);
}

BOOST_AUTO_TEST_CASE(json_without_reference_or_callback_and_gateway_id_fallback) {
    asio::io_context io;
    gateway_stub gw;
    gw.then.body = R"({"status":"queued"})";
    sms_sender s(io.get_executor(), options(gw));
    auto m = sms();
    m.reference.clear();
    const auto r = send_one(io, s, m);
    BOOST_TEST(r.outcome == send_result::accepted);
    BOOST_TEST(r.gateway_id == m.id);
    const auto body = json::parse(gw.requests().at(0).body).as_object();
    BOOST_TEST(body.at("reference").is_null());
    BOOST_TEST(!body.contains("callback_url"));
}

BOOST_AUTO_TEST_CASE(statuses_are_classified) {
    asio::io_context io;
    gateway_stub gw;
    for (unsigned st : {400u, 401u, 403u, 404u, 422u}) gw.script.push_back(reply{reply::answer, st, "{}", true});
    for (unsigned st : {408u, 429u, 500u, 502u, 503u, 301u}) gw.script.push_back(reply{reply::answer, st, "{}", true});
    sms_sender s(io.get_executor(), options(gw));
    for (unsigned st : {400u, 401u, 403u, 404u, 422u}) {
        const auto r = send_one(io, s, sms());
        BOOST_TEST(r.outcome == send_result::permanent_failure, "status " << st);
        BOOST_TEST(r.detail.rfind("HTTP " + std::to_string(st), 0) == 0);
    }
    for (unsigned st : {408u, 429u, 500u, 502u, 503u, 301u}) {
        const auto r = send_one(io, s, sms());
        BOOST_TEST(r.outcome == send_result::temporary_failure, "status " << st);
        BOOST_TEST(r.gateway_id.empty());
    }
    BOOST_TEST(gw.connections() == 1);  // every answer was keep-alive
}

BOOST_AUTO_TEST_CASE(detail_never_holds_the_text_or_code_even_echoed) {
    asio::io_context io;
    gateway_stub gw;
    const auto m = sms();
    json::object echo;
    echo["error"] = "invalid sender";
    echo["text"] = m.text;
    echo["code"] = "482913";
    gw.then = reply{reply::answer, 400, json::serialize(echo), true};
    sms_sender s(io.get_executor(), options(gw));
    const auto r = send_one(io, s, m);
    BOOST_TEST(r.outcome == send_result::permanent_failure);
    BOOST_TEST(r.detail.find("482913") == std::string::npos, r.detail);
    BOOST_TEST(r.detail.find("invalid sender") != std::string::npos, r.detail);
    BOOST_TEST(r.detail.size() <= 140u);
}

BOOST_AUTO_TEST_CASE(keep_alive_connection_is_reused) {
    asio::io_context io;
    gateway_stub gw;
    sms_sender s(io.get_executor(), options(gw));
    for (int i = 0; i < 3; ++i) BOOST_TEST(send_one(io, s, sms()).outcome == send_result::accepted);
    BOOST_TEST(gw.requests().size() == 3u);
    BOOST_TEST(gw.connections() == 1);
    BOOST_TEST(s.connections_opened() == 1u);
}

BOOST_AUTO_TEST_CASE(connection_close_answer_is_not_reused) {
    asio::io_context io;
    gateway_stub gw;
    gw.then.keep_alive = false;
    sms_sender s(io.get_executor(), options(gw));
    for (int i = 0; i < 2; ++i) BOOST_TEST(send_one(io, s, sms()).outcome == send_result::accepted);
    BOOST_TEST(gw.connections() == 2);
}

BOOST_AUTO_TEST_CASE(idle_connection_closed_by_the_gateway_is_retried_once_on_a_new_one) {
    asio::io_context io;
    gateway_stub gw;
    gw.script.push_back(reply{reply::answer, 202, "{}", true, true});  // announces keep-alive, then closes
    sms_sender s(io.get_executor(), options(gw));
    BOOST_TEST(send_one(io, s, sms()).outcome == send_result::accepted);
    const auto r = send_one(io, s, sms());
    BOOST_TEST(r.outcome == send_result::accepted, r.detail);
    BOOST_TEST(gw.connections() == 2);
    BOOST_TEST(gw.requests().size() == 2u);  // the retried request reached the gateway once
}

BOOST_AUTO_TEST_CASE(pool_never_exceeds_max_connections) {
    asio::io_context io;
    gateway_stub gw;
    gw.then.delay = 50ms;
    auto o = options(gw);
    o.max_connections = 2;
    sms_sender s(io.get_executor(), o);
    std::vector<outbox_message> ms;
    for (int i = 0; i < 6; ++i) ms.push_back(sms(std::string(31, '0') + std::to_string(i)));
    const auto results = send_all(io, s, ms);
    for (const auto& r : results) BOOST_TEST(r.outcome == send_result::accepted, r.detail);
    BOOST_TEST(gw.connections() == 2);
    BOOST_TEST(gw.max_busy() == 2);
    BOOST_TEST(gw.requests().size() == 6u);
}

BOOST_AUTO_TEST_CASE(pool_wait_has_the_send_deadline) {
    asio::io_context io;
    gateway_stub gw;
    gw.then.kind = reply::hang;
    auto o = options(gw);
    o.max_connections = 1;
    o.timeout = 400ms;
    sms_sender s(io.get_executor(), o);
    const auto started = steady::now();
    const auto results = send_all(io, s, {sms(), sms(std::string(32, 'b'))});
    const auto took = steady::now() - started;
    BOOST_TEST(results[0].outcome == send_result::temporary_failure);
    BOOST_TEST(results[0].detail == "read: timeout (400ms)");
    // The second waited for the only connection; its own deadline (a few
    // microseconds after the first's) ends it, whether still waiting or
    // just handed the freed slot.
    BOOST_TEST(results[1].outcome == send_result::temporary_failure);
    const bool waited_out = results[1].detail.find("no free gateway connection") != std::string::npos ||
                            results[1].detail.find("timeout") != std::string::npos;
    BOOST_TEST(waited_out, results[1].detail);
    BOOST_TEST((took < 750ms));  // not a second full timeout after the first
    BOOST_TEST(gw.requests().size() <= 2u);
}

BOOST_AUTO_TEST_CASE(silent_gateway_times_out) {
    asio::io_context io;
    gateway_stub gw;
    gw.then.kind = reply::hang;
    auto o = options(gw);
    o.timeout = 300ms;
    sms_sender s(io.get_executor(), o);
    const auto started = steady::now();
    const auto r = send_one(io, s, sms());
    const auto took = steady::now() - started;
    BOOST_TEST(r.outcome == send_result::temporary_failure);
    BOOST_TEST(r.detail.find("timeout") != std::string::npos, r.detail);
    BOOST_TEST((took >= 250ms));
    BOOST_TEST((took < 3s));
}

BOOST_AUTO_TEST_CASE(refused_connection_is_a_temporary_failure) {
    asio::io_context io;
    std::uint16_t port = 0;
    {
        tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        port = a.local_endpoint().port();
    }
    sms_options o;
    o.url = "http://127.0.0.1:" + std::to_string(port) + "/send";
    sms_sender s(io.get_executor(), o);
    const auto r = send_one(io, s, sms());
    BOOST_TEST(r.outcome == send_result::temporary_failure);
    BOOST_TEST(r.detail.rfind("connect: ", 0) == 0, r.detail);
    BOOST_TEST(s.connections_opened() == 0u);
}

BOOST_AUTO_TEST_CASE(terminal_cancellation_ends_the_send_promptly) {
    asio::io_context io;
    gateway_stub gw;
    gw.then.kind = reply::hang;
    auto o = options(gw);
    o.timeout = 30s;
    sms_sender s(io.get_executor(), o);
    asio::cancellation_signal stop;
    std::exception_ptr error;
    bool completed = false;
    const auto m = sms();
    auto done = [&](std::exception_ptr e, send_result) {
        error = e;
        completed = true;
    };
    asio::co_spawn(io, s.send(m), asio::bind_cancellation_slot(stop.slot(), std::move(done)));
    asio::steady_timer t(io);
    t.expires_after(100ms);
    t.async_wait([&](boost::system::error_code) { stop.emit(asio::cancellation_type::terminal); });
    const auto started = steady::now();
    io.run();
    BOOST_TEST(completed);
    BOOST_TEST((steady::now() - started < 3s));
    BOOST_TEST_REQUIRE(static_cast<bool>(error));
    try {
        std::rethrow_exception(error);
    } catch (const boost::system::system_error& e) {
        BOOST_TEST((e.code() == asio::error::operation_aborted));
    }
}

BOOST_AUTO_TEST_CASE(kannel_get_keeps_the_url_query_and_adds_the_dlr_url) {
    asio::io_context io;
    gateway_stub gw;
    gw.then = reply{reply::answer, 202, "0: Accepted for delivery", true};
    auto o = options(gw, "kannel");
    o.url = gw.url("/cgi-bin/sendsms?username=sesame&password=p%40ss");
    o.callback_url = "https://portal.example/api/v1/hooks/sms-status?secret=S3cr3t";
    sms_sender s(io.get_executor(), o);
    const auto m = sms();
    const auto r = send_one(io, s, m);
    BOOST_TEST(r.outcome == send_result::accepted);
    BOOST_TEST(r.detail == "HTTP 202 0: Accepted for delivery");
    BOOST_TEST(r.gateway_id.empty());
    const auto req = gw.requests().at(0);
    BOOST_TEST(req.method == "GET");
    BOOST_TEST(req.target.rfind("/cgi-bin/sendsms?username=sesame&password=p%40ss&", 0) == 0, req.target);
    BOOST_TEST(req.body.empty());
    auto q = query_of(req.target);
    BOOST_TEST(q["password"] == "p@ss");
    BOOST_TEST(q["to"] == "+33612345678");
    BOOST_TEST(q["text"] == m.text);
    BOOST_TEST(q["charset"] == "UTF-8");
    BOOST_TEST(q.count("coding") == 0u);  // GSM-7 text: Kannel's default coding
    BOOST_TEST(q["dlr-mask"] == "31");
    BOOST_TEST(q["dlr-url"] == o.callback_url + "&message_id=" + m.id + "&status=%d");
    BOOST_TEST(req.target.find("%2B33612345678") != std::string::npos);  // '+' never left raw
}

BOOST_AUTO_TEST_CASE(kannel_statuses_and_no_callback) {
    asio::io_context io;
    gateway_stub gw;
    gw.script.push_back(reply{reply::answer, 403, "Authorization failed for sendsms", true});
    gw.script.push_back(reply{reply::answer, 503, "Temporal failure, try again later.", true});
    gw.script.push_back(reply{reply::answer, 200, "Sent.", true});
    sms_sender s(io.get_executor(), options(gw, "kannel"));
    auto m = sms();
    m.text = "Code : 482913 — œuvre";  // not GSM-7
    BOOST_TEST(send_one(io, s, m).outcome == send_result::permanent_failure);
    const auto tmp = send_one(io, s, m);
    BOOST_TEST(tmp.outcome == send_result::temporary_failure);
    BOOST_TEST(tmp.detail == "HTTP 503 Temporal failure, try again later.");
    BOOST_TEST(send_one(io, s, m).outcome == send_result::accepted);
    auto q = query_of(gw.requests().at(0).target);
    BOOST_TEST(q["coding"] == "2");
    BOOST_TEST(q.count("dlr-url") == 0u);
    BOOST_TEST(q.count("dlr-mask") == 0u);
    BOOST_TEST(q["text"] == m.text);
}

BOOST_AUTO_TEST_CASE(url_userinfo_becomes_basic_auth) {
    asio::io_context io;
    gateway_stub gw;
    auto o = options(gw);
    o.url = "http://api:s%3Acret@127.0.0.1:" + std::to_string(gw.port()) + "/v1/sms";
    sms_sender s(io.get_executor(), o);
    BOOST_TEST(send_one(io, s, sms()).outcome == send_result::accepted);
    const auto req = gw.requests().at(0);
    BOOST_TEST(req.target == "/v1/sms");
    BOOST_TEST(req.headers.at("Authorization") == "Basic YXBpOnM6Y3JldA==");  // api:s:cret
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused) {
    asio::io_context io;
    sms_options o;
    o.url = "ftp://gw.example/";
    BOOST_CHECK_THROW(sms_sender(io.get_executor(), o), std::invalid_argument);
    o.url = "not a url";
    BOOST_CHECK_THROW(sms_sender(io.get_executor(), o), std::invalid_argument);
    o.url = "https://gw.example/send";
    o.format = "xml";
    BOOST_CHECK_THROW(sms_sender(io.get_executor(), o), std::invalid_argument);
    o.format = "kannel";
    BOOST_CHECK_NO_THROW(sms_sender(io.get_executor(), o));
}

BOOST_AUTO_TEST_CASE(gsm7_and_percent_encoding) {
    BOOST_TEST(sms_sender::fits_gsm7("Sésame : votre code est 123456.\n@sesame.example #123456 à € [x] ~ ^ {}"));
    BOOST_TEST(!sms_sender::fits_gsm7("façade"));  // ç (lower case) is not GSM-7
    BOOST_TEST(!sms_sender::fits_gsm7("tête"));
    BOOST_TEST(!sms_sender::fits_gsm7("a`b"));
    BOOST_TEST(!sms_sender::fits_gsm7("\xC3"));  // truncated UTF-8
    BOOST_TEST(sms_sender::percent_encode("a+b c/é~") == "a%2Bb%20c%2F%C3%A9~");
}

BOOST_AUTO_TEST_CASE(classify_reads_numeric_ids_and_ignores_bad_json) {
    const auto m = sms();
    BOOST_TEST(sms_sender::classify(201, R"({"message_id":12345})", true, m).gateway_id == "12345");
    BOOST_TEST(sms_sender::classify(200, "not json", true, m).gateway_id == m.id);
    BOOST_TEST(sms_sender::classify(204, "", true, m).detail == "HTTP 204");
    BOOST_TEST(sms_sender::classify(200, std::string(500, 'x'), false, m).detail.size() < 140u);
}

BOOST_AUTO_TEST_SUITE_END()
