#include "workers/smtp_sender.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <stdexcept>

#include "core/contact.hpp"
#include "core/log.hpp"
#include "workers/connection_pool.hpp"
#include "workers/mime.hpp"

namespace sesame::workers {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Sans-I/O protocol pieces

namespace smtp {

namespace {

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
            !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
            return std::nullopt;
        out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
    }
    return out;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::optional<endpoint> parse_url(std::string_view url) {
    const auto sep = url.find("://");
    if (sep == std::string_view::npos) return std::nullopt;
    std::string scheme(url.substr(0, sep));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    endpoint ep;
    if (scheme == "smtp") {
        ep.sec = security::plain;
        ep.port = 25;
    } else if (scheme == "smtp+starttls") {
        ep.sec = security::starttls;
        ep.port = 587;
    } else if (scheme == "smtps") {
        ep.sec = security::implicit_tls;
        ep.port = 465;
    } else {
        return std::nullopt;
    }
    std::string_view rest = url.substr(sep + 3);
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        const auto colon = userinfo.find(':');
        auto user = percent_decode(userinfo.substr(0, colon));
        if (!user) return std::nullopt;
        ep.user = std::move(*user);
        if (colon != std::string_view::npos) {
            auto password = percent_decode(userinfo.substr(colon + 1));
            if (!password) return std::nullopt;
            ep.password = std::move(*password);
        } else {
            ep.password = std::string();
        }
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        ep.host = std::string(authority.substr(1, close - 1));
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::nullopt;
            port_text = after.substr(1);
            if (port_text.empty()) return std::nullopt;
        }
    } else {
        const auto colon = authority.rfind(':');
        ep.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) return std::nullopt;
        }
    }
    if (ep.host.empty()) return std::nullopt;
    for (unsigned char c : ep.host)
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == '@') return std::nullopt;
    if (!port_text.empty()) {
        if (port_text.size() > 5) return std::nullopt;
        unsigned port = 0;
        for (char c : port_text) {
            if (c < '0' || c > '9') return std::nullopt;
            port = port * 10 + unsigned(c - '0');
        }
        if (port == 0 || port > 65535) return std::nullopt;
        ep.port = static_cast<std::uint16_t>(port);
    }
    return ep;
}

std::string reply::summary() const {
    std::string s = std::to_string(code);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        s += i == 0 ? " " : " / ";
        s += lines[i];
    }
    for (char& c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    if (s.size() > 300) s.resize(300);
    return s;
}

reply_parser::status reply_parser::feed(std::string_view line) {
    if (line.size() < 3 || r_.lines.size() >= 200) return bad;
    for (int i = 0; i < 3; ++i)
        if (line[i] < '0' || line[i] > '9') return bad;
    const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (code < 100 || (r_.code != 0 && code != r_.code)) return bad;
    r_.code = code;
    if (line.size() == 3) {
        r_.lines.emplace_back();
        return done;
    }
    if (line[3] != '-' && line[3] != ' ') return bad;
    r_.lines.emplace_back(line.substr(4));
    return line[3] == '-' ? more : done;
}

reply reply_parser::take() {
    reply r = std::move(r_);
    r_ = reply{};
    return r;
}

capabilities parse_ehlo(const reply& r) {
    capabilities caps;
    for (std::size_t i = 1; i < r.lines.size(); ++i) {
        const std::string line = upper(r.lines[i]);
        std::vector<std::string> words;
        std::size_t pos = 0;
        while (pos < line.size()) {
            const auto start = line.find_first_not_of(" \t", pos);
            if (start == std::string::npos) break;
            const auto end = line.find_first_of(" \t", start);
            words.push_back(line.substr(start, end == std::string::npos ? std::string::npos : end - start));
            pos = end == std::string::npos ? line.size() : end;
        }
        if (words.empty()) continue;
        std::string key = words[0];
        if (key.rfind("AUTH=", 0) == 0) {  // the pre-RFC 4954 "AUTH=LOGIN PLAIN" form
            words.insert(words.begin() + 1, key.substr(5));
            key = "AUTH";
        }
        if (key == "STARTTLS") caps.starttls = true;
        else if (key == "PIPELINING") caps.pipelining = true;
        else if (key == "8BITMIME") caps.eightbitmime = true;
        else if (key == "SMTPUTF8") caps.smtputf8 = true;
        else if (key == "AUTH") {
            for (std::size_t w = 1; w < words.size(); ++w) {
                if (words[w] == "PLAIN") caps.auth_plain = true;
                if (words[w] == "LOGIN") caps.auth_login = true;
            }
        } else if (key == "SIZE" && words.size() > 1) {
            std::uint64_t n = 0;
            bool ok = !words[1].empty() && words[1].size() <= 18;
            for (char c : words[1]) {
                if (c < '0' || c > '9') ok = false;
                else n = n * 10 + std::uint64_t(c - '0');
            }
            if (ok && n > 0) caps.size = n;
        }
    }
    return caps;
}

}  // namespace smtp

// ---------------------------------------------------------------------------
// The client

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_reply_bytes = 64 * 1024;

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string random_hex(std::size_t bytes) {
    static std::atomic<std::uint64_t> counter{0};
    std::string out;
    unsigned char buf[16];
    bytes = std::min(bytes, sizeof buf);
    if (RAND_bytes(buf, static_cast<int>(bytes)) != 1) {
        // Uniqueness is all a boundary needs: fall back to a counter.
        const std::uint64_t v = ++counter ^ static_cast<std::uint64_t>(steady::now().time_since_epoch().count());
        for (std::size_t i = 0; i < bytes; ++i) buf[i] = static_cast<unsigned char>(v >> (8 * (i % 8)));
    }
    static constexpr char hex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < bytes; ++i) {
        out += hex[buf[i] >> 4];
        out += hex[buf[i] & 15];
    }
    return out;
}

std::string error_text(const error_code& ec) {
    if (ec == beast::error::timeout) return "délai dépassé";
    if (ec == asio::error::operation_aborted) return "annulé";
    return ec.message();
}

send_result temporary(std::string detail) { return {send_result::temporary_failure, std::move(detail), {}}; }
send_result permanent(std::string detail) { return {send_result::permanent_failure, std::move(detail), {}}; }

}  // namespace

struct smtp_sender::impl {
    struct connection {
        beast::ssl_stream<beast::tcp_stream> stream;
        bool tls = false;
        std::string rbuf;    // bytes read past the last reply
        smtp::capabilities caps;

        connection(const asio::any_io_executor& ex, ssl::context& ctx) : stream(ex, ctx) {}
        beast::tcp_stream& tcp() { return stream.next_layer(); }
        void close() {
            error_code ignored;
            tcp().socket().close(ignored);
        }
    };

    // A step's result: the send_result and what to do with the session.
    struct outcome {
        send_result result;
        bool keep = false;   // the session stays usable
        bool stale = false;  // a reused session failed before MAIL: retry on a new one
    };

    asio::any_io_executor ex;
    smtp_options opts;
    smtp::endpoint ep;
    mime::mailbox from;
    std::string helo;
    ssl::context tls_ctx{ssl::context::tls_client};
    std::optional<dkim::signer> signer;

    connection_pool<connection> pool;
    std::uint64_t opened = 0;

    impl(asio::any_io_executor e, smtp_options o)
        : ex(std::move(e)), opts(std::move(o)), pool(opts.max_connections, opts.max_idle) {
        auto parsed = smtp::parse_url(opts.url);
        if (!parsed) throw std::invalid_argument("smtp.url: expected smtp://, smtp+starttls:// or smtps://host[:port]");
        ep = std::move(*parsed);
        auto mb = mime::parse_mailbox(opts.from);
        if (!mb) throw std::invalid_argument("smtp.from: not a usable address");
        from = std::move(*mb);
        helo = opts.helo_name.empty() ? std::string(mime::domain_of(from.address)) : opts.helo_name;
        if (helo.empty() || !is_ascii(helo) || helo.find_first_of(" \r\n\t") != std::string::npos)
            throw std::invalid_argument("smtp: invalid HELO name");
        if (opts.timeout <= duration::zero()) throw std::invalid_argument("smtp.timeout must be positive");
        if (opts.dkim) signer.emplace(std::move(*opts.dkim));
        opts.dkim.reset();

        SSL_CTX_set_min_proto_version(tls_ctx.native_handle(), TLS1_2_VERSION);
        if (opts.verify_tls) {
            tls_ctx.set_verify_mode(ssl::verify_peer);
            error_code ec;
            if (opts.ca_file)
                tls_ctx.load_verify_file(*opts.ca_file, ec);
            else
                tls_ctx.set_default_verify_paths(ec);
            if (ec)
                throw std::invalid_argument("smtp: cannot load the trusted certificates" +
                                            (opts.ca_file ? " from " + *opts.ca_file : std::string()) + ": " +
                                            ec.message());
        } else {
            tls_ctx.set_verify_mode(ssl::verify_none);
        }
    }

    // ---- I/O steps, each with its own deadline ----

    asio::awaitable<error_code> write(connection& c, std::string_view data) {
        beast::get_lowest_layer(c.stream).expires_after(opts.timeout);
        const asio::const_buffer buf(data.data(), data.size());
        if (c.tls) {
            auto [ec, n] = co_await asio::async_write(c.stream, buf, nothrow);
            co_return ec;
        }
        auto [ec, n] = co_await asio::async_write(c.tcp(), buf, nothrow);
        co_return ec;
    }

    asio::awaitable<std::tuple<error_code, smtp::reply>> read_reply(connection& c) {
        beast::get_lowest_layer(c.stream).expires_after(opts.timeout);  // one deadline for the whole reply
        smtp::reply_parser parser;
        char chunk[4096];
        for (;;) {
            const auto eol = c.rbuf.find("\r\n");
            if (eol == std::string::npos) {
                if (c.rbuf.size() > max_reply_bytes)
                    co_return std::tuple{make_error_code(boost::system::errc::message_size), smtp::reply{}};
                const asio::mutable_buffer buf(chunk, sizeof chunk);
                error_code ec;
                std::size_t n = 0;
                if (c.tls)
                    std::tie(ec, n) = co_await c.stream.async_read_some(buf, nothrow);
                else
                    std::tie(ec, n) = co_await c.tcp().async_read_some(buf, nothrow);
                if (ec) co_return std::tuple{ec, smtp::reply{}};
                c.rbuf.append(chunk, n);
                continue;
            }
            const std::string line = c.rbuf.substr(0, eol);
            c.rbuf.erase(0, eol + 2);
            switch (parser.feed(line)) {
                case smtp::reply_parser::more: break;
                case smtp::reply_parser::done: co_return std::tuple{error_code{}, parser.take()};
                case smtp::reply_parser::bad:
                    co_return std::tuple{make_error_code(boost::system::errc::protocol_error), smtp::reply{}};
            }
        }
    }

    // Writes `command` CRLF and reads the reply.
    asio::awaitable<std::tuple<error_code, smtp::reply>> command(connection& c, std::string_view cmd) {
        std::string line(cmd);
        line += "\r\n";
        if (auto ec = co_await write(c, line)) co_return std::tuple{ec, smtp::reply{}};
        co_return co_await read_reply(c);
    }

    asio::awaitable<error_code> handshake(connection& c) {
        error_code addr_ec;
        (void)asio::ip::make_address(ep.host, addr_ec);
        if (addr_ec) {  // a name: SNI
            if (SSL_set_tlsext_host_name(c.stream.native_handle(), ep.host.c_str()) != 1)
                co_return error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
        }
        if (opts.verify_tls) c.stream.set_verify_callback(ssl::host_name_verification(ep.host));
        beast::get_lowest_layer(c.stream).expires_after(opts.timeout);
        auto [ec] = co_await c.stream.async_handshake(ssl::stream_base::client, nothrow);
        if (!ec) c.tls = true;
        co_return ec;
    }

    asio::awaitable<std::tuple<error_code, tcp::resolver::results_type>> resolve() {
        const std::string port = std::to_string(ep.port);
        error_code addr_ec;
        const auto addr = asio::ip::make_address(ep.host, addr_ec);
        if (!addr_ec)
            co_return std::tuple{error_code{},
                                 tcp::resolver::results_type::create(tcp::endpoint(addr, ep.port), ep.host, port)};
        // The resolver takes no cancellation slot: a timer on the caller's
        // strand cancels it at the deadline.
        auto resolver = std::make_shared<tcp::resolver>(ex);
        const auto caller_ex = co_await asio::this_coro::executor;
        asio::steady_timer timer(caller_ex);
        timer.expires_after(opts.timeout);
        std::weak_ptr<tcp::resolver> weak = resolver;
        auto on_deadline = [weak](error_code ec) {
            if (ec) return;
            if (auto r = weak.lock()) r->cancel();
        };
        timer.async_wait(on_deadline);
        auto [ec, results] = co_await resolver->async_resolve(ep.host, port, nothrow);
        timer.cancel();
        if (ec == asio::error::operation_aborted) ec = beast::error::timeout;
        co_return std::tuple{ec, results};
    }

    asio::awaitable<std::tuple<error_code, smtp::reply>> ehlo(connection& c) {
        // (Arguments are named, never temporaries inside co_await: GCC 12.)
        const std::string ehlo_cmd = "EHLO " + helo;
        auto [ec, r] = co_await command(c, ehlo_cmd);
        if (ec) co_return std::tuple{ec, r};
        if (r.code == 250) {
            c.caps = smtp::parse_ehlo(r);
            co_return std::tuple{ec, r};
        }
        if (r.code >= 500 && r.code < 600) {  // an RFC 821 server: HELO, no extensions
            const std::string helo_cmd = "HELO " + helo;
            auto [ec2, r2] = co_await command(c, helo_cmd);
            c.caps = {};
            co_return std::tuple{ec2, r2};
        }
        co_return std::tuple{ec, r};
    }

    static outcome io_failure(const error_code& ec, std::string_view step) {
        return {temporary("connexion SMTP interrompue (" + std::string(step) + ") : " + error_text(ec)), false, false};
    }

    // A refusal of the session (greeting, EHLO, STARTTLS, AUTH): temporary,
    // whatever the class: it says nothing about this message.
    static outcome session_refused(const smtp::reply& r) { return {temporary(r.summary()), false, false}; }

    // A refusal within a transaction: 4xx temporary, 5xx permanent; the
    // session stays usable (RSET) but after 421, 530 or an unexpected class.
    static outcome transaction_refused(const smtp::reply& r) {
        // 530 "authentication required" (RFC 4954) is about the session, not this message.
        if (r.code == 530) return {temporary(r.summary()), false, false};
        if (r.code >= 400 && r.code < 500) return {temporary(r.summary()), r.code != 421, false};
        if (r.code >= 500 && r.code < 600) return {permanent(r.summary()), true, false};
        return {temporary("réponse SMTP inattendue : " + r.summary()), false, false};
    }

    // Connects and runs greeting, EHLO, STARTTLS and AUTH. nullopt when the
    // session is ready.
    asio::awaitable<std::optional<outcome>> open_session(connection& c) {
        auto [rec, results] = co_await resolve();
        if (rec) co_return io_failure(rec, "résolution de " + ep.host);
        beast::get_lowest_layer(c.stream).expires_after(opts.timeout);
        auto [cec, peer] = co_await beast::get_lowest_layer(c.stream).async_connect(results, nothrow);
        if (cec) co_return io_failure(cec, "connexion");
        if (ep.sec == smtp::security::implicit_tls)
            if (auto ec = co_await handshake(c)) co_return io_failure(ec, "négociation TLS");

        {
            auto [ec, r] = co_await read_reply(c);
            if (ec) co_return io_failure(ec, "accueil");
            if (r.code != 220) co_return session_refused(r);
        }
        {
            auto [ec, r] = co_await ehlo(c);
            if (ec) co_return io_failure(ec, "EHLO");
            if (r.code != 250) co_return session_refused(r);
        }
        if (ep.sec == smtp::security::starttls) {
            if (!c.caps.starttls) co_return outcome{permanent("STARTTLS non proposé par le serveur"), false, false};
            auto [ec, r] = co_await command(c, "STARTTLS");
            if (ec) co_return io_failure(ec, "STARTTLS");
            if (r.code != 220) co_return session_refused(r);
            // Anything sent before the handshake could be an injected command.
            if (!c.rbuf.empty())
                co_return outcome{temporary("données en clair reçues après STARTTLS"), false, false};
            if (auto hec = co_await handshake(c)) co_return io_failure(hec, "négociation TLS");
            auto [ec2, r2] = co_await ehlo(c);
            if (ec2) co_return io_failure(ec2, "EHLO");
            if (r2.code != 250) co_return session_refused(r2);
        }
        if (ep.user) {
            const std::string& user = *ep.user;
            const std::string password = ep.password.value_or("");
            if (c.caps.auth_plain) {
                std::string token;
                token += '\0';
                token += user;
                token += '\0';
                token += password;
                const std::string auth_cmd = "AUTH PLAIN " + mime::base64(token);
                auto [ec, r] = co_await command(c, auth_cmd);
                if (ec) co_return io_failure(ec, "AUTH");
                if (r.code != 235) co_return session_refused(r);
            } else if (c.caps.auth_login) {
                auto [ec, r] = co_await command(c, "AUTH LOGIN");
                if (ec) co_return io_failure(ec, "AUTH");
                if (r.code != 334) co_return session_refused(r);
                const std::string user_line = mime::base64(user);
                std::tie(ec, r) = co_await command(c, user_line);
                if (ec) co_return io_failure(ec, "AUTH");
                if (r.code != 334) co_return session_refused(r);
                const std::string password_line = mime::base64(password);
                std::tie(ec, r) = co_await command(c, password_line);
                if (ec) co_return io_failure(ec, "AUTH");
                if (r.code != 235) co_return session_refused(r);
            } else {
                co_return outcome{permanent("AUTH PLAIN ou LOGIN non proposé par le serveur"), false, false};
            }
        }
        co_return std::nullopt;
    }

    // One message on a ready session: [RSET], MAIL, RCPT, DATA, content.
    asio::awaitable<outcome> transaction(connection& c, bool reused, const std::string& to, const std::string& data,
                                         bool needs_utf8) {
        std::string mail = "MAIL FROM:<" + from.address + ">";
        if (c.caps.eightbitmime) mail += " BODY=8BITMIME";
        if (c.caps.size) {
            if (data.size() > *c.caps.size)
                co_return outcome{permanent("message trop volumineux pour le serveur (SIZE " +
                                            std::to_string(*c.caps.size) + ")"),
                                  true, false};
            mail += " SIZE=" + std::to_string(data.size());
        }
        if (needs_utf8) {
            if (!c.caps.smtputf8)
                co_return outcome{permanent("adresse non ASCII et SMTPUTF8 non proposé par le serveur"), true, false};
            mail += " SMTPUTF8";
        }
        const std::string rcpt = "RCPT TO:<" + to + ">";

        smtp::reply rm, rr, rd;
        if (c.caps.pipelining) {
            // RFC 2920: RSET, MAIL and RCPT may be grouped; DATA ends the group.
            std::string batch = reused ? "RSET\r\n" : "";
            batch += mail + "\r\n" + rcpt + "\r\nDATA\r\n";
            if (auto ec = co_await write(c, batch)) co_return outcome{io_failure(ec, "envoi").result, false, reused};
            if (reused) {
                auto [ec, r] = co_await read_reply(c);
                if (ec || r.code != 250)
                    co_return outcome{ec ? io_failure(ec, "RSET").result : temporary(r.summary()), false, true};
            }
            error_code ec;
            std::tie(ec, rm) = co_await read_reply(c);
            if (ec) co_return io_failure(ec, "MAIL FROM");
            std::tie(ec, rr) = co_await read_reply(c);
            if (ec) co_return io_failure(ec, "RCPT TO");
            std::tie(ec, rd) = co_await read_reply(c);
            if (ec) co_return io_failure(ec, "DATA");
            const smtp::reply* refused = rm.code / 100 != 2 ? &rm : rr.code / 100 != 2 ? &rr : nullptr;
            if (refused) {
                outcome o = transaction_refused(*refused);
                if (rd.code == 354) {  // DATA accepted anyway: end it empty, then drop the session
                    const std::string end = ".\r\n";
                    if (!co_await write(c, end)) (void)co_await read_reply(c);
                    o.keep = false;
                }
                co_return o;
            }
            if (rd.code != 354) co_return transaction_refused(rd);
        } else {
            if (reused) {
                auto [ec, r] = co_await command(c, "RSET");
                if (ec || r.code != 250)
                    co_return outcome{ec ? io_failure(ec, "RSET").result : temporary(r.summary()), false, true};
            }
            error_code ec;
            std::tie(ec, rm) = co_await command(c, mail);
            if (ec) co_return io_failure(ec, "MAIL FROM");
            if (rm.code / 100 != 2) co_return transaction_refused(rm);
            std::tie(ec, rr) = co_await command(c, rcpt);
            if (ec) co_return io_failure(ec, "RCPT TO");
            if (rr.code / 100 != 2) co_return transaction_refused(rr);
            std::tie(ec, rd) = co_await command(c, "DATA");
            if (ec) co_return io_failure(ec, "DATA");
            if (rd.code != 354) co_return transaction_refused(rd);
        }
        if (auto ec = co_await write(c, data)) co_return io_failure(ec, "contenu");
        auto [ec, r] = co_await read_reply(c);
        if (ec) co_return io_failure(ec, "fin de DATA");
        if (r.code / 100 != 2) co_return transaction_refused(r);
        co_return outcome{send_result{send_result::accepted, r.summary(), {}}, true, false};
    }

    // A step that failed because the caller cancelled us (stop()) is not a
    // delivery attempt: throw, so the message stays as it was.
    static asio::awaitable<void> throw_if_cancelled() {
        const asio::cancellation_state cs = co_await asio::this_coro::cancellation_state;
        if (cs.cancelled() != asio::cancellation_type::none)
            throw boost::system::system_error(asio::error::operation_aborted);
    }

    asio::awaitable<send_result> send(const outbox_message& m) {
        if (m.ch != channel::email) co_return permanent("message non e-mail confié à l'expéditeur SMTP");
        if (!mime::is_safe_address(m.to)) co_return permanent("adresse du destinataire inutilisable");
        const std::string masked = mask_email(m.to);

        const timestamp now = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
        std::string message = mime::build_message(m, from, now, mime::make_boundary(m.id, random_hex(8)));
        if (signer) {
            try {
                const auto unix_time = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
                message.insert(0, signer->sign(message, unix_time));
            } catch (const std::exception& e) {
                log::warn("smtp_dkim_failed", {{"id", m.id}, {"to", masked}, {"error", e.what()}});
                co_return temporary(std::string("signature DKIM impossible : ") + e.what());
            }
        }
        const std::string data = mime::dot_stuff(message);
        const bool needs_utf8 = !is_ascii(m.to) || !is_ascii(from.address);

        for (int attempt = 0;; ++attempt) {
            const auto deadline = steady::now() + opts.timeout;
            auto l = co_await pool.acquire(deadline);
            if (!l) {
                log::warn("smtp_pool_exhausted", {{"id", m.id}, {"to", masked}});
                co_return temporary("aucune connexion SMTP libre dans le délai");
            }
            const bool reused = l.reused();
            if (!reused) {
                l.connection = std::make_unique<connection>(ex, tls_ctx);
                ++opened;
                if (auto failed = co_await open_session(*l.connection)) {
                    co_await throw_if_cancelled();
                    log::warn("smtp_session_failed", {{"id", m.id},
                                                      {"to", masked},
                                                      {"server", ep.host + ":" + std::to_string(ep.port)},
                                                      {"outcome", to_string(failed->result.outcome)},
                                                      {"detail", failed->result.detail}});
                    co_return std::move(failed->result);
                }
            }
            outcome o = co_await transaction(*l.connection, reused, m.to, data, needs_utf8);
            if (o.result.outcome != send_result::accepted) co_await throw_if_cancelled();
            if (o.stale && attempt == 0) {
                log::info("smtp_session_stale", {{"detail", o.result.detail}});
                continue;  // the lease discards the stale session; next turn opens a new one
            }
            // Bytes left unread after the final reply would desynchronise the next transaction.
            if (o.keep && l.connection->rbuf.empty()) {
                beast::get_lowest_layer(l.connection->stream).expires_never();
                l.keep();
            }
            if (o.result.outcome != send_result::accepted)
                log::warn("smtp_send_failed", {{"id", m.id},
                                               {"to", masked},
                                               {"outcome", to_string(o.result.outcome)},
                                               {"detail", o.result.detail}});
            co_return std::move(o.result);
        }
    }

    asio::awaitable<void> close_all() {
        auto idle = pool.take_idle();
        for (auto& c : idle) {
            try {
                auto [ec, r] = co_await command(*c, "QUIT");
                (void)ec;
                (void)r;
            } catch (const std::exception&) {
                // cancelled: still close
            }
            c->close();
        }
    }
};

smtp_sender::smtp_sender(asio::any_io_executor ex, smtp_options opts)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(opts))) {}

smtp_sender::~smtp_sender() = default;

asio::awaitable<send_result> smtp_sender::send(const outbox_message& m) { return impl_->send(m); }

asio::awaitable<void> smtp_sender::close() { return impl_->close_all(); }

std::uint64_t smtp_sender::sessions_opened() const { return impl_->opened; }

std::size_t smtp_sender::idle_sessions() const { return impl_->pool.idle(); }

}  // namespace sesame::workers
