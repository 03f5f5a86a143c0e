// Messages to send (SMS, e-mail) as they sit in the durable outbox, with
// every delivery attempt kept for the staff diagnostics. Plain data.
// Depends on core only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace sesame {

enum class channel { sms, email };
const char* to_string(channel c);

// pending: waiting for a worker (or a retry); sent: accepted by the SMTP
// server or SMS gateway; delivered / failed: gateway delivery report;
// expired: its code died before it could be sent; abandoned: out of tries;
// refused: a destination limit stopped it (never sent).
enum class message_status { pending, sent, delivered, failed, expired, abandoned, refused };
const char* to_string(message_status s);
std::optional<message_status> parse_message_status(std::string_view s);

struct delivery_attempt {
    timestamp at{};
    std::string result;  // "accepted", "temporary_failure", "permanent_failure", "report:delivered"...
    std::string detail;  // server or gateway answer (no message text)
};

struct outbox_message {
    std::string id;  // 32 hex chars; also the idempotency key given to gateways
    channel ch = channel::sms;
    std::string to;  // E.164 or e-mail address
    std::string subject;
    std::string text;
    std::string html;
    std::string reference;   // "R-7K3F-92QX" or empty
    std::string purpose;     // "recovery_code", "lock_notice", "identifier_reminder"...
    std::string identifier;  // the account concerned, or empty
    timestamp created_at{};
    std::optional<timestamp> not_after;  // past it the message is pointless (its code expired)
    message_status status = message_status::pending;
    std::uint32_t attempts = 0;
    timestamp next_attempt_at{};
    std::vector<delivery_attempt> history;
};

// What may be kept of a message: while pending, all of it (it must survive
// a crash to be sent); once settled (sent, refused, expired...), its text
// and html are dropped, since they carry codes and links that must live
// nowhere but in the HMACs. The subject, destination, reference, status and
// attempts stay for the staff diagnostics.
outbox_message retained_form(outbox_message m);

// A worker's view of a message it just sent (`ours`) meets what is stored
// now: a delivery report may have landed meanwhile. Keeps the report's
// status (delivered/failed) and its "report:" lines, so the worker's write
// never undoes them.
void keep_reports(outbox_message& ours, const outbox_message& stored);

}  // namespace sesame
