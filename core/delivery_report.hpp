// SMS gateway delivery reports applied to outbox messages: Kannel's DLR
// numbers, the report vocabulary and the state change kept for the staff
// diagnostics. Sans I/O; depends on core (outbox, ports, error, time) only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/ports.hpp"

namespace sesame {

// What a report says about a message: delivered and failed are final,
// buffered (queued by the SMSC, or only accepted by it) is not.
enum class report_status { delivered, failed, buffered };
const char* to_string(report_status s);
// "delivered", "failed" or "buffered" exactly.
std::optional<report_status> parse_report_status(std::string_view s);

// Kannel's DLR type (the %d of dlr-url): 1 delivered to phone -> delivered,
// 2 non-delivered to phone -> failed, 4 queued on SMSC -> buffered,
// 8 delivered to SMSC -> buffered, 16 non-delivered to SMSC -> failed.
// Anything else (0, sums, Kannel's internal 0x22/0x42) is nullopt.
struct kannel_dlr {
    report_status status;
    const char* meaning;  // "delivered to phone"...
};
std::optional<kannel_dlr> kannel_dlr_of(std::uint64_t type);

inline constexpr std::size_t report_detail_limit = 200;  // bytes of a report's detail kept
inline constexpr std::size_t max_report_lines = 32;      // report lines kept per message

// The detail as stored: cut before an SMPP receipt's "text:" field (it
// quotes the start of the message, i.e. the code), control characters made
// spaces, trimmed, at most report_detail_limit bytes on a UTF-8 boundary.
std::string sanitize_report_detail(std::string_view detail);

// Applies one delivery report to the outbox message `message_id`.
// Errors: invalid_request (field "status") when `report` is not one of the
// three words; not_found when no message has that id.
// Effects: appends the attempt {now, "report:<status>", detail} and moves
//   delivered: pending, sent, failed, abandoned -> delivered;
//   failed:    pending, sent, abandoned -> failed (delivered stays delivered:
//              an out-of-order failure never undoes a handset's receipt);
//   buffered:  no status change.
// expired and refused messages (never handed to a gateway) keep their
// status; the line is still kept. Idempotent: a report identical (status
// and detail) to the message's last history line changes nothing and writes
// nothing; past max_report_lines report lines only the status moves.
// The write is durable (update_message(m, true)). Read-modify-write without
// a lock: a concurrent status write on the same message (the delivery
// worker saving "sent") may overwrite it, or be overwritten. May block
// (store); store failures are thrown as exceptions.
status apply_delivery_report(outbox_repository& repo, std::string_view message_id, std::string_view report,
                             std::string_view detail, timestamp now);

}  // namespace sesame
