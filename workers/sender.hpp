// The one interface every outbox sender implements: the file outbox, the SMTP
// client and the SMS gateway clients. Depends on core/outbox.hpp
// and Asio's awaitable and cancellation state only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>
#include <string>

#include "core/outbox.hpp"

namespace sesame::workers {

struct send_result {
    enum kind { accepted, temporary_failure, permanent_failure };
    kind outcome = temporary_failure;
    std::string detail;      // the server's or gateway's answer; never the message text, subject or html
    std::string gateway_id;  // the gateway's own id (SMS delivery reports), or empty
};

inline const char* to_string(send_result::kind k) {
    switch (k) {
        case send_result::accepted: return "accepted";
        case send_result::temporary_failure: return "temporary_failure";
        case send_result::permanent_failure: return "permanent_failure";
    }
    return "temporary_failure";
}

class sender {
public:
    virtual ~sender() = default;

    // Hands one message to its transport. Completes with the outcome:
    // `accepted` once the server or gateway took responsibility for it,
    // `temporary_failure` when a later try may succeed (timeouts, 4xx SMTP
    // replies, 5xx HTTP, refused connections), `permanent_failure` when it
    // never will (5xx SMTP reply to RCPT, gateway says the number is invalid).
    // Transport problems are results, not exceptions; an exception is counted
    // as a temporary failure by the dispatcher.
    //
    // Contract for implementations:
    // - m.id is the idempotency key: pass it to the transport (the e-mail's
    //   Message-ID, the SMS gateway's message_id field) so a resend after a
    //   crash can be recognised downstream.
    // - Every network step has a deadline (STYLE 5): send() always completes,
    //   within the sender's own timeout.
    // - Terminal cancellation of the awaiting coroutine (delivery_service's
    //   stop past its stop_timeout) must make it complete promptly, by
    //   throwing operation_aborted or returning a failure.
    // - Called concurrently by up to `concurrency` workers of its channel,
    //   all coroutines on ONE strand (delivery_service's): implementations
    //   keep their shared state (the connection_pool of SMTP and SMS) on
    //   that strand, with no lock, touched only between suspension points.
    //   (file_sender, shared by both channels, holds nothing but its file,
    //   written with one write(2) per message.)
    // - `m` is owned by the caller and outlives the returned awaitable.
    // - `detail` never holds the text, subject or html (they carry codes).
    virtual boost::asio::awaitable<send_result> send(const outbox_message& m) = 0;
};

// For senders: a step that failed because the awaiting coroutine was
// cancelled (delivery_service's stop) is not a delivery attempt: this throws
// system_error(operation_aborted) then, so the message stays as it was.
inline boost::asio::awaitable<void> throw_if_cancelled() {
    const boost::asio::cancellation_state cs = co_await boost::asio::this_coro::cancellation_state;
    if (cs.cancelled() != boost::asio::cancellation_type::none)
        throw boost::system::system_error(boost::asio::error::operation_aborted);
}

}  // namespace sesame::workers
