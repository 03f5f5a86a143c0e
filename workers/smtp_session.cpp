#include "workers/smtp_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include <openssl/err.h>

#include <memory>

#include "workers/mime.hpp"
#include "workers/tls_client.hpp"

namespace sesame::workers::smtp {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_reply_bytes = 64 * 1024;

std::string error_text(const error_code& ec) {
    if (ec == beast::error::timeout) return "délai dépassé";
    if (ec == asio::error::operation_aborted) return "annulé";
    return ec.message();
}

send_result temporary(std::string detail) { return {send_result::temporary_failure, std::move(detail), {}}; }
send_result permanent(std::string detail) { return {send_result::permanent_failure, std::move(detail), {}}; }

outcome io_failure(const error_code& ec, std::string_view step) {
    return {temporary("connexion SMTP interrompue (" + std::string(step) + ") : " + error_text(ec)), false, false};
}

// A refusal of the session (greeting, EHLO, STARTTLS, AUTH): temporary,
// whatever the class: it says nothing about this message.
outcome session_refused(const reply& r) { return {temporary(r.summary()), false, false}; }

// A refusal within a transaction: 4xx temporary, 5xx permanent; the
// session stays usable (RSET) but after 421, 530 or an unexpected class.
outcome transaction_refused(const reply& r) {
    // 530 "authentication required" (RFC 4954) is about the session, not this message.
    if (r.code == 530) return {temporary(r.summary()), false, false};
    if (r.code >= 400 && r.code < 500) return {temporary(r.summary()), r.code != 421, false};
    if (r.code >= 500 && r.code < 600) return {permanent(r.summary()), true, false};
    return {temporary("réponse SMTP inattendue : " + r.summary()), false, false};
}

}  // namespace

session::session(asio::any_io_executor ex, const session_config& cfg)
    : cfg_(cfg), ex_(std::move(ex)), stream_(ex_, *cfg.tls) {}

session::~session() { close(); }

void session::close() {
    error_code ignored;
    socket_layer().socket().close(ignored);
}

void session::park() { beast::get_lowest_layer(stream_).expires_never(); }

asio::awaitable<void> session::quit() {
    try {
        auto [ec, r] = co_await command("QUIT");
        (void)ec;
        (void)r;
    } catch (const std::exception&) {
        // cancelled: still close
    }
    close();
}

asio::awaitable<error_code> session::write(std::string_view data) {
    beast::get_lowest_layer(stream_).expires_after(cfg_.timeout);
    const asio::const_buffer buf(data.data(), data.size());
    if (tls_) {
        auto [ec, n] = co_await asio::async_write(stream_, buf, nothrow);
        co_return ec;
    }
    auto [ec, n] = co_await asio::async_write(socket_layer(), buf, nothrow);
    co_return ec;
}

asio::awaitable<std::tuple<error_code, reply>> session::read_reply() {
    beast::get_lowest_layer(stream_).expires_after(cfg_.timeout);  // one deadline for the whole reply
    reply_parser parser;
    char chunk[4096];
    for (;;) {
        const auto eol = rbuf_.find("\r\n");
        if (eol == std::string::npos) {
            if (rbuf_.size() > max_reply_bytes)
                co_return std::tuple{make_error_code(boost::system::errc::message_size), reply{}};
            const asio::mutable_buffer buf(chunk, sizeof chunk);
            error_code ec;
            std::size_t n = 0;
            if (tls_)
                std::tie(ec, n) = co_await stream_.async_read_some(buf, nothrow);
            else
                std::tie(ec, n) = co_await socket_layer().async_read_some(buf, nothrow);
            if (ec) co_return std::tuple{ec, reply{}};
            rbuf_.append(chunk, n);
            continue;
        }
        const std::string line = rbuf_.substr(0, eol);
        rbuf_.erase(0, eol + 2);
        switch (parser.feed(line)) {
            case reply_parser::more: break;
            case reply_parser::done: co_return std::tuple{error_code{}, parser.take()};
            case reply_parser::bad:
                co_return std::tuple{make_error_code(boost::system::errc::protocol_error), reply{}};
        }
    }
}

// Writes `command` CRLF and reads the reply.
asio::awaitable<std::tuple<error_code, reply>> session::command(std::string_view cmd) {
    std::string line(cmd);
    line += "\r\n";
    if (auto ec = co_await write(line)) co_return std::tuple{ec, reply{}};
    co_return co_await read_reply();
}

asio::awaitable<error_code> session::handshake() {
    if (!tls_client::expect_peer(stream_.native_handle(), cfg_.server.host, cfg_.verify_tls))
        co_return error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
    beast::get_lowest_layer(stream_).expires_after(cfg_.timeout);
    auto [ec] = co_await stream_.async_handshake(ssl::stream_base::client, nothrow);
    if (!ec) tls_ = true;
    co_return ec;
}

asio::awaitable<std::tuple<error_code, tcp::resolver::results_type>> session::resolve() {
    const std::string port = std::to_string(cfg_.server.port);
    error_code addr_ec;
    const auto addr = asio::ip::make_address(cfg_.server.host, addr_ec);
    if (!addr_ec)
        co_return std::tuple{error_code{},
                             tcp::resolver::results_type::create(tcp::endpoint(addr, cfg_.server.port), cfg_.server.host, port)};
    // The resolver takes no cancellation slot: a timer on the caller's
    // strand cancels it at the deadline.
    auto resolver = std::make_shared<tcp::resolver>(ex_);
    const auto caller_ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(caller_ex);
    timer.expires_after(cfg_.timeout);
    std::weak_ptr<tcp::resolver> weak = resolver;
    auto on_deadline = [weak](error_code ec) {
        if (ec) return;
        if (auto r = weak.lock()) r->cancel();
    };
    timer.async_wait(on_deadline);
    auto [ec, results] = co_await resolver->async_resolve(cfg_.server.host, port, nothrow);
    timer.cancel();
    if (ec == asio::error::operation_aborted) ec = beast::error::timeout;
    co_return std::tuple{ec, results};
}

asio::awaitable<std::tuple<error_code, reply>> session::ehlo() {
    // (Arguments are named, never temporaries inside co_await: GCC 12.)
    const std::string ehlo_cmd = "EHLO " + cfg_.helo;
    auto [ec, r] = co_await command(ehlo_cmd);
    if (ec) co_return std::tuple{ec, r};
    if (r.code == 250) {
        caps_ = parse_ehlo(r);
        co_return std::tuple{ec, r};
    }
    if (r.code >= 500 && r.code < 600) {  // an RFC 821 server: HELO, no extensions
        const std::string helo_cmd = "HELO " + cfg_.helo;
        auto [ec2, r2] = co_await command(helo_cmd);
        caps_ = {};
        co_return std::tuple{ec2, r2};
    }
    co_return std::tuple{ec, r};
}

// Connects and runs greeting, EHLO, STARTTLS and AUTH. nullopt when the
// session is ready.
asio::awaitable<std::optional<outcome>> session::open() {
    auto [rec, results] = co_await resolve();
    if (rec) co_return io_failure(rec, "résolution de " + cfg_.server.host);
    beast::get_lowest_layer(stream_).expires_after(cfg_.timeout);
    auto [cec, peer] = co_await beast::get_lowest_layer(stream_).async_connect(results, nothrow);
    if (cec) co_return io_failure(cec, "connexion");
    if (cfg_.server.sec == security::implicit_tls)
        if (auto ec = co_await handshake()) co_return io_failure(ec, "négociation TLS");

    {
        auto [ec, r] = co_await read_reply();
        if (ec) co_return io_failure(ec, "accueil");
        if (r.code != 220) co_return session_refused(r);
    }
    {
        auto [ec, r] = co_await ehlo();
        if (ec) co_return io_failure(ec, "EHLO");
        if (r.code != 250) co_return session_refused(r);
    }
    if (cfg_.server.sec == security::starttls) {
        if (!caps_.starttls) co_return outcome{permanent("STARTTLS non proposé par le serveur"), false, false};
        auto [ec, r] = co_await command("STARTTLS");
        if (ec) co_return io_failure(ec, "STARTTLS");
        if (r.code != 220) co_return session_refused(r);
        // Anything sent before the handshake could be an injected command.
        if (!rbuf_.empty())
            co_return outcome{temporary("données en clair reçues après STARTTLS"), false, false};
        if (auto hec = co_await handshake()) co_return io_failure(hec, "négociation TLS");
        auto [ec2, r2] = co_await ehlo();
        if (ec2) co_return io_failure(ec2, "EHLO");
        if (r2.code != 250) co_return session_refused(r2);
    }
    if (cfg_.server.user) {
        const std::string& user = *cfg_.server.user;
        const std::string password = cfg_.server.password.value_or("");
        if (caps_.auth_plain) {
            std::string token;
            token += '\0';
            token += user;
            token += '\0';
            token += password;
            const std::string auth_cmd = "AUTH PLAIN " + mime::base64(token);
            auto [ec, r] = co_await command(auth_cmd);
            if (ec) co_return io_failure(ec, "AUTH");
            if (r.code != 235) co_return session_refused(r);
        } else if (caps_.auth_login) {
            auto [ec, r] = co_await command("AUTH LOGIN");
            if (ec) co_return io_failure(ec, "AUTH");
            if (r.code != 334) co_return session_refused(r);
            const std::string user_line = mime::base64(user);
            std::tie(ec, r) = co_await command(user_line);
            if (ec) co_return io_failure(ec, "AUTH");
            if (r.code != 334) co_return session_refused(r);
            const std::string password_line = mime::base64(password);
            std::tie(ec, r) = co_await command(password_line);
            if (ec) co_return io_failure(ec, "AUTH");
            if (r.code != 235) co_return session_refused(r);
        } else {
            co_return outcome{permanent("AUTH PLAIN ou LOGIN non proposé par le serveur"), false, false};
        }
    }
    co_return std::nullopt;
}

// One message on a ready session: [RSET], MAIL, RCPT, DATA, content.
asio::awaitable<outcome> session::transaction(bool reused, const std::string& to, const std::string& data,
                                         bool needs_utf8) {
    std::string mail = "MAIL FROM:<" + cfg_.from_address + ">";
    if (caps_.eightbitmime) mail += " BODY=8BITMIME";
    if (caps_.size) {
        if (data.size() > *caps_.size)
            co_return outcome{permanent("message trop volumineux pour le serveur (SIZE " +
                                        std::to_string(*caps_.size) + ")"),
                              true, false};
        mail += " SIZE=" + std::to_string(data.size());
    }
    if (needs_utf8) {
        if (!caps_.smtputf8)
            co_return outcome{permanent("adresse non ASCII et SMTPUTF8 non proposé par le serveur"), true, false};
        mail += " SMTPUTF8";
    }
    const std::string rcpt = "RCPT TO:<" + to + ">";

    reply rm, rr, rd;
    if (caps_.pipelining) {
        // RFC 2920: RSET, MAIL and RCPT may be grouped; DATA ends the group.
        std::string batch = reused ? "RSET\r\n" : "";
        batch += mail + "\r\n" + rcpt + "\r\nDATA\r\n";
        if (auto ec = co_await write(batch)) co_return outcome{io_failure(ec, "envoi").result, false, reused};
        if (reused) {
            auto [ec, r] = co_await read_reply();
            if (ec || r.code != 250)
                co_return outcome{ec ? io_failure(ec, "RSET").result : temporary(r.summary()), false, true};
        }
        error_code ec;
        std::tie(ec, rm) = co_await read_reply();
        if (ec) co_return io_failure(ec, "MAIL FROM");
        std::tie(ec, rr) = co_await read_reply();
        if (ec) co_return io_failure(ec, "RCPT TO");
        std::tie(ec, rd) = co_await read_reply();
        if (ec) co_return io_failure(ec, "DATA");
        const reply* refused = rm.code / 100 != 2 ? &rm : rr.code / 100 != 2 ? &rr : nullptr;
        if (refused) {
            outcome o = transaction_refused(*refused);
            if (rd.code == 354) {  // DATA accepted anyway: end it empty, then drop the session
                const std::string end = ".\r\n";
                if (!co_await write(end)) (void)co_await read_reply();
                o.keep = false;
            }
            co_return o;
        }
        if (rd.code != 354) co_return transaction_refused(rd);
    } else {
        if (reused) {
            auto [ec, r] = co_await command("RSET");
            if (ec || r.code != 250)
                co_return outcome{ec ? io_failure(ec, "RSET").result : temporary(r.summary()), false, true};
        }
        error_code ec;
        std::tie(ec, rm) = co_await command(mail);
        if (ec) co_return io_failure(ec, "MAIL FROM");
        if (rm.code / 100 != 2) co_return transaction_refused(rm);
        std::tie(ec, rr) = co_await command(rcpt);
        if (ec) co_return io_failure(ec, "RCPT TO");
        if (rr.code / 100 != 2) co_return transaction_refused(rr);
        std::tie(ec, rd) = co_await command("DATA");
        if (ec) co_return io_failure(ec, "DATA");
        if (rd.code != 354) co_return transaction_refused(rd);
    }
    if (auto ec = co_await write(data)) co_return io_failure(ec, "contenu");
    auto [ec, r] = co_await read_reply();
    if (ec) co_return io_failure(ec, "fin de DATA");
    if (r.code / 100 != 2) co_return transaction_refused(r);
    co_return outcome{send_result{send_result::accepted, r.summary(), {}}, true, false};
}


}  // namespace sesame::workers::smtp
