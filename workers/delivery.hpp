// The delivery side of the durable outbox: SMS and e-mail worker coroutines
// drain outbox ids through the `sender` interface, with retries (exponential
// backoff, jitter), expiry, abandonment, per-attempt history, metrics,
// start-up replay and a graceful stop. What an attempt does to a message is
// decided without I/O in workers/delivery_attempt.hpp. Depends on core
// (ports, clock, metrics, log, contact masking), Asio, net/blocking.hpp and workers/;
// never on net/ or store/.
//
// PATH OF A MESSAGE. notify(ids) (any thread) -> the hand-off
// (workers/id_handoff.hpp: ids accumulate, one post carries the whole batch
// to the strand) -> bounded incoming queue of ids -> a loader reads the
// message from the outbox (thread pool) and routes it by channel -> an SMS
// or e-mail worker checks expiry, calls sender::send(), records the attempt
// and writes the new status (thread pool) -> done, or waits for its retry on
// the single retry timer, then goes back to the incoming queue. An id is
// handled by at most one of these stages at a time (the ids held by
// workers/delivery_queue.hpp, on the strand), so notify(), the replay and
// the rescan never queue a message twice.
//
// DELIVERY IS AT LEAST ONCE ACROSS CRASHES, EXACTLY ONCE WITHIN A PROCESS.
// The status is written (buffered: it survives a crash of the process; a power
// cut may lose it, which only means one more send) before a message counts as done. A crash
// between the sender's acceptance and that write leaves the message pending,
// so the next start sends it again, once, under the same message id (the
// idempotency key given to the SMTP server as Message-ID and to the SMS
// gateway as message_id, so a downstream can drop the copy). Duplicates stay
// rare because that window is one store write long. A status write that
// fails (store error) never causes a resend in this process: the message is
// kept in an "unsaved" set, its id stays held (so notify, rescan and
// replay skip it), and the write is retried on every rescan and once more
// at stop(); only a crash before it succeeds can resend it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/ports.hpp"
#include "core/time.hpp"
#include "workers/delivery_attempt.hpp"
#include "workers/sender.hpp"

namespace sesame::workers {

// Metrics (registered at construction):
//   sesame_delivery_queue_depth{channel}         gauge: messages routed to a channel, waiting for a worker
//   sesame_delivery_incoming_depth                gauge: ids queued, not yet read (channel unknown)
//   sesame_delivery_retry_waiting                 gauge: messages waiting for their retry time
//   sesame_delivery_sends_total{channel,outcome}  counter: accepted, temporary_failure, permanent_failure
//                                                  (one per send) and expired, abandoned (final states)
//   sesame_delivery_send_seconds{channel}         histogram: sender::send() latency
//   sesame_delivery_notify_dropped_total          counter: ids not queued because the queue was full
//   sesame_delivery_status_unsaved_total          counter: status writes that failed (retried later)
//
// Threads: notify() is safe from any thread (the hand-off's lock); start()
// and stop() too (they post to the service's strand). Everything else, the
// bookkeeping of ids included, runs on a strand of `io`, with no lock; store
// calls run on `blocking`. The service references every constructor
// argument; all must outlive it.
class delivery_service final : public outbox_notifier {
public:
    delivery_service(boost::asio::io_context& io, boost::asio::thread_pool& blocking, outbox_repository& outbox,
                     sender& sms, sender& email, const clock& clock, metrics_registry& metrics,
                     delivery_options options = {});
    // Destroy only after stop()'s `done` ran (or once `io` will never run
    // again): spawned coroutines reference the service.
    ~delivery_service() override;
    delivery_service(const delivery_service&) = delete;
    delivery_service& operator=(const delivery_service&) = delete;

    // Queues ids of messages just committed to the outbox. Never blocks (a
    // short lock): the ids join the current batch, and only the first id of a
    // batch posts a wake-up to the strand, which takes the whole batch. An id
    // already held is ignored there; past queue_capacity (in the batch or in
    // the queue) an id is dropped from memory and counted (the message stays
    // pending in the outbox and the next rescan queues it). Ignored once
    // stop() has begun. Ids notified before start() wait for it.
    void notify(const std::vector<std::string>& message_ids) override;

    // Spawns the workers, loaders, retry timer and periodic rescan, and
    // replays the outbox: every pending message is queued, those whose
    // next_attempt_at is ahead wait for it. Returns at once; call once.
    void start();

    // Graceful stop: no new ids are taken, idle workers end, retry and rescan
    // timers are cancelled, in-flight sends get `stop_timeout` to finish and
    // then receive a terminal cancellation (senders honour it promptly);
    // unsaved statuses get one last write. Whatever was not sent stays
    // pending in the outbox for the next start. `done` runs on the service's
    // strand once every coroutine of the service has ended; after it the
    // service may be destroyed. Safe to call more than once (each `done`
    // runs), and before start().
    void stop(std::function<void()> done);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace sesame::workers
