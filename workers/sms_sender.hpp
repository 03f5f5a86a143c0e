// The SMS gateway client: a sender (workers/sender.hpp) speaking a generic
// JSON POST or Kannel's sendsms GET, over HTTP or HTTPS, on a small pool of
// keep-alive connections (workers/connection_pool.hpp). Two rooms: the
// exchange with the gateway (sms_sender.cpp: Asio, Beast, Boost.URL, TLS
// from workers/tls_client.hpp) and the sans-I/O requests and answers
// (sms_format.cpp: Boost.JSON). Depends on core/outbox.hpp and
// workers/sender.hpp.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/time.hpp"
#include "workers/sender.hpp"

namespace sesame::workers {

struct sms_options {
    std::string url;             // sms.url: http(s)://[user:pass@]host[:port][/path][?query]
    std::string format = "json";  // sms.format: "json" or "kannel"
    // {http.public_url}/api/v1/hooks/sms-status?secret=S, built by the app;
    // empty when sms.callback_secret is unset (no delivery reports asked).
    std::string callback_url;
    bool verify_tls = true;  // certificate chain (system store) and host name
    duration timeout = std::chrono::seconds(10);  // sms.timeout: one whole send()
    std::uint32_t max_connections = 8;           // open to the gateway at once (busy + idle)
};

class sms_sender final : public sender {
public:
    // Throws std::invalid_argument when `url` is not http(s) with a host, or
    // `format` is neither "json" nor "kannel". Sockets live on strands of
    // `ex`. Opens nothing until the first send. Threads: send() is called
    // from coroutines on ONE strand, as workers/sender.hpp promises: the pool
    // (workers/connection_pool.hpp) has no lock.
    sms_sender(boost::asio::any_io_executor ex, sms_options opts);
    // Closes idle connections. Destroy only once no send() is in flight.
    ~sms_sender() override;
    sms_sender(const sms_sender&) = delete;
    sms_sender& operator=(const sms_sender&) = delete;

    // One HTTP exchange with the gateway, on an idle pooled connection or a
    // new one (resolve, connect, TLS handshake with SNI), waiting for a free
    // connection when max_connections are busy. Completes with
    //   accepted: any 2xx (gateway_id: the JSON answer's "id" or
    //     "message_id", else m.id, for json; empty for kannel);
    //   permanent_failure: a 4xx other than 408 and 429;
    //   temporary_failure: 408, 429, 5xx, other statuses, timeouts,
    //     resolution, connection, TLS and protocol errors.
    // detail: "HTTP 202 <first bytes of the body>" or "<step>: <error>";
    // never the text (nor any of its digit runs, i.e. the code), even echoed
    // by the gateway. A reused connection that turns out closed by the
    // gateway before answering is retried once on a new connection.
    // Deadline: opts.timeout for the whole call (pool wait, connect, write,
    // read), so it always completes. Cancellation: terminal cancellation of
    // the awaiting coroutine aborts the pending step and makes send() throw
    // system_error(operation_aborted); the connection is discarded.
    // Connections are kept only after a complete keep-alive answer, and
    // dropped after 30 s idle.
    boost::asio::awaitable<send_result> send(const outbox_message& m) override;

    // Connections opened so far (tests, diagnostics).
    std::uint64_t connections_opened() const;

    // ---- the sans-I/O parts, public for tests ----

    // {"to", "text", "reference" (or null), "message_id"[, "callback_url"]}.
    static std::string json_body(const outbox_message& m, std::string_view callback_url);
    // `base` (the URL's path and query, e.g. "/cgi-bin/sendsms?username=u&password=p")
    // plus to, text, charset=UTF-8, coding=2 when the text does not fit
    // GSM-7, and when `callback_url` is set dlr-mask=31 and dlr-url =
    // callback_url + "&message_id=<id>&status=%d", each percent-encoded.
    static std::string kannel_target(std::string_view base, const outbox_message& m, std::string_view callback_url);
    // The outcome, detail and gateway id for an HTTP answer (see send()).
    static send_result classify(unsigned status, std::string_view body, bool json_format, const outbox_message& m);
    // Every character of the UTF-8 text is in the GSM 03.38 default alphabet
    // or its extension table.
    static bool fits_gsm7(std::string_view utf8);
    // RFC 3986 unreserved characters kept, every other byte %XX.
    static std::string percent_encode(std::string_view s);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace sesame::workers
