// One SMTP session (RFC 5321) on one connection, the dialogue only: connect,
// greeting, EHLO (HELO for an RFC 821 server), STARTTLS or implicit TLS,
// AUTH PLAIN or LOGIN, then transactions ([RSET], MAIL, RCPT, DATA, grouped
// under PIPELINING when offered) and QUIT. Every step has its own deadline
// (`timeout`). The pool, DKIM and the message itself are smtp_sender's.
// Depends on workers/{sender,smtp_protocol,mime,tls_client}, Asio, Beast.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "core/time.hpp"
#include "workers/sender.hpp"
#include "workers/smtp_protocol.hpp"

namespace sesame::workers::smtp {

// What every session of one sender shares; outlives them.
struct session_config {
    endpoint server;
    std::string helo;          // EHLO argument
    std::string from_address;  // MAIL FROM
    duration timeout{};        // each step
    bool verify_tls = true;
    boost::asio::ssl::context* tls = nullptr;
};

// A step's result: the send_result and what to do with the session.
struct outcome {
    send_result result;
    bool keep = false;   // the session stays usable
    bool stale = false;  // a reused session failed before MAIL: retry on a new one
};

// Transport failures are outcomes (temporary); the refusals' classes follow
// RFC 5321: a refusal of the session (greeting, EHLO, STARTTLS, AUTH) is
// temporary whatever its code; within a transaction 4xx is temporary, 5xx
// permanent. Cancellation: a cancelled step ends with operation_aborted as
// a temporary outcome; the caller checks its cancellation state.
class session {
public:
    session(boost::asio::any_io_executor ex, const session_config& cfg);
    ~session();  // closes the socket (no QUIT: quit() says goodbye)
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    // Connects and runs greeting, EHLO, STARTTLS and AUTH. nullopt when the
    // session is ready for transactions.
    boost::asio::awaitable<std::optional<outcome>> open();

    // One message on a ready session: [RSET when `reused`], MAIL, RCPT,
    // DATA, then `data` (already dot-stuffed). `needs_utf8`: an address is
    // not ASCII (SMTPUTF8 required).
    boost::asio::awaitable<outcome> transaction(bool reused, const std::string& to, const std::string& data,
                                                bool needs_utf8);

    // QUIT (bounded by the timeout), then closes. Never throws.
    boost::asio::awaitable<void> quit();

    // Nothing was read past the last reply (else the next transaction would
    // be out of step): only such a session may be pooled.
    bool in_step() const { return rbuf_.empty(); }
    // Disarms the deadline before the session waits in the pool.
    void park();

private:
    using error_code = boost::system::error_code;
    using tcp = boost::asio::ip::tcp;

    boost::beast::tcp_stream& socket_layer() { return stream_.next_layer(); }
    void close();
    boost::asio::awaitable<error_code> write(std::string_view data);
    boost::asio::awaitable<std::tuple<error_code, reply>> read_reply();
    boost::asio::awaitable<std::tuple<error_code, reply>> command(std::string_view cmd);
    boost::asio::awaitable<error_code> handshake();
    boost::asio::awaitable<std::tuple<error_code, tcp::resolver::results_type>> resolve();
    boost::asio::awaitable<std::tuple<error_code, reply>> ehlo();

    const session_config& cfg_;
    boost::asio::any_io_executor ex_;
    boost::beast::ssl_stream<boost::beast::tcp_stream> stream_;
    bool tls_ = false;
    std::string rbuf_;  // bytes read past the last reply
    capabilities caps_;
};

}  // namespace sesame::workers::smtp
