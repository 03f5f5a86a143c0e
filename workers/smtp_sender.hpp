// The SMTP client: the e-mail `sender` (RFC 5321: EHLO/HELO, STARTTLS or
// implicit TLS, AUTH PLAIN/LOGIN, PIPELINING, reused connections) with
// optional DKIM signing. Three rooms: the sans-I/O protocol pieces
// (smtp_protocol.hpp), the dialogue on one connection (smtp_session.hpp,
// TLS from tls_client.hpp), and here the message, the pool and the retry.
// Depends on workers/{sender,smtp_protocol,mime,dkim}; Asio/Beast with
// OpenSSL in the .cpp files.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/time.hpp"
#include "workers/dkim.hpp"
#include "workers/sender.hpp"
#include "workers/smtp_protocol.hpp"

namespace sesame::workers {

struct smtp_options {
    std::string url;                     // smtp://host[:25], smtp+starttls://host[:587], smtps://host[:465],
                                         // optional user:password@ (percent-encoded)
    std::string from = "Sésame <no-reply@localhost>";
    bool verify_tls = true;              // certificate chain and host name
    std::optional<std::string> ca_file;  // trust this PEM (CA or self-signed) instead of the system store
    std::uint32_t max_connections = 4;   // pooled sessions; more concurrent sends wait (bounded by timeout)
    duration timeout = std::chrono::seconds(30);   // each network step: resolve, connect, handshake, read, write
    duration max_idle = std::chrono::seconds(60);  // a pooled session idle longer is closed, not reused
    std::string helo_name;               // EHLO argument; empty: the From domain
    std::optional<dkim_options> dkim;    // sign when set
};


// Threads: send() and close() are called from coroutines on ONE strand (or a
// single-threaded io_context), as workers/sender.hpp promises: the pool
// (workers/connection_pool.hpp) has no lock. Sockets use `ex`.
class smtp_sender final : public sender {
public:
    // Checks the URL and From, parses the DKIM key: throws
    // std::invalid_argument on a bad one, so a bad config fails at start-up.
    // Opens no connection until the first send().
    smtp_sender(boost::asio::any_io_executor ex, smtp_options opts);
    ~smtp_sender() override;  // closes pooled sockets (no QUIT: call close() first for that)
    smtp_sender(const smtp_sender&) = delete;
    smtp_sender& operator=(const smtp_sender&) = delete;

    // Sends `m` (channel email) on a pooled session, or a new one (greeting,
    // EHLO, STARTTLS, AUTH). Completes with accepted and the final reply
    // ("250 2.0.0 Ok: queued as ..."); temporary_failure on 4xx, on any
    // network, TLS or timeout error, on a session-level refusal (greeting,
    // EHLO, AUTH, 530 to MAIL) and when no pooled connection frees up within
    // `timeout`;
    // permanent_failure on 5xx to MAIL, RCPT or DATA, an unusable address,
    // a message over the server's SIZE, or a missing required capability
    // (STARTTLS non proposé, AUTH non proposé, SMTPUTF8). A stale pooled
    // session (closed by the server while idle) is replaced once,
    // transparently. Each step has opts.timeout. Cancellation: a terminal or
    // partial cancellation of the awaiting coroutine aborts the step in
    // progress at once, discards the session and throws
    // boost::system::system_error(operation_aborted) (a result already
    // received is still returned).
    boost::asio::awaitable<send_result> send(const outbox_message& m) override;

    // QUITs and closes every idle pooled session (each step bounded by
    // opts.timeout). Completes when all are closed; never throws.
    boost::asio::awaitable<void> close();

    // Observability for tests: sessions opened since construction, idle now.
    std::uint64_t sessions_opened() const;
    std::size_t idle_sessions() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace sesame::workers
