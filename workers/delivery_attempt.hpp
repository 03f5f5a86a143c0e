// What one delivery attempt does to a message, decided without I/O: the
// checks before a send (an SMS goes only to a French mobile; a code that
// expired is not sent) and the recording of a send's outcome (attempts,
// history, the new status, the retry time with its jitter, abandonment
// after max_attempts). The delivery options live here too. Depends on core
// (outbox, contact, time) and workers/sender.hpp's send_result only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "core/outbox.hpp"
#include "core/time.hpp"
#include "workers/sender.hpp"

namespace sesame::workers {

struct delivery_options {
    duration retry_initial = std::chrono::seconds(2);  // workers.retry_initial
    duration retry_max = std::chrono::minutes(5);      // workers.retry_max
    std::uint32_t max_attempts = 6;                    // workers.max_attempts: sends before `abandoned`
    std::size_t queue_capacity = 65536;                // ids in memory waiting for a worker (not retries)
    std::uint32_t sms_concurrency = 8;                 // SMS sends at once
    std::uint32_t email_concurrency = 4;               // e-mail sends at once
    std::uint32_t loaders = 2;                         // coroutines reading queued messages from the outbox
    duration rescan_interval = std::chrono::seconds(30);
    duration stop_timeout = std::chrono::seconds(5);  // in-flight sends get this long at stop()
};

// The ceiling of the wait after `attempts` sends (attempts >= 1):
// min(retry_max, retry_initial * 2^(attempts-1)). The wait actually used is
// drawn uniformly in [ceiling/2, ceiling].
duration retry_backoff(const delivery_options& o, std::uint32_t attempts);

// What became of the message.
enum class attempt_verdict {
    refused_destination,  // abandoned unsent: not a French mobile
    expired,              // its code expired before the send
    sent,                 // the transport took it
    retry,                // a temporary failure: still pending, next_attempt_at set
    abandoned_permanent,  // the transport said it never will
    abandoned_exhausted,  // a temporary failure on the last allowed attempt
};

const char* to_string(attempt_verdict v);

// Before a send, at `now`: a refusal or an expiry, already written into m
// (status and history), or nullopt when m is to be sent.
std::optional<attempt_verdict> check_before_send(outbox_message& m, timestamp now);

// A send that completed with `r` at `done_at`, written into m: attempts + 1,
// one history entry (the outcome and its detail: at most 300 bytes of the
// answer, plus the gateway id), the new status; a retry's wait is drawn
// from `rng` in [ceiling/2, ceiling] (retry_backoff). Returns the verdict
// and the detail recorded.
struct attempt_record {
    attempt_verdict verdict;
    std::string detail;
};
attempt_record record_send(outbox_message& m, send_result r, timestamp done_at, const delivery_options& o,
                           std::mt19937_64& rng);

}  // namespace sesame::workers
