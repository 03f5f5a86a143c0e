#include "workers/delivery.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <array>
#include <deque>
#include <exception>
#include <map>
#include <optional>
#include <random>
#include <utility>

#include "core/contact.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "net/blocking.hpp"
#include "workers/delivery_queue.hpp"
#include "workers/id_handoff.hpp"
#include "workers/task_group.hpp"

namespace sesame::workers {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

namespace {

std::size_t index_of(channel c) { return c == channel::sms ? 0 : 1; }

std::string masked_destination(const outbox_message& m) {
    return m.ch == channel::sms ? mask_phone(m.to) : mask_email(m.to);
}

}  // namespace

struct delivery_service::impl {
    using strand_type = asio::strand<asio::io_context::executor_type>;

    // A message routed to a channel. The message itself is kept only while
    // the channel's queue is short (bounded memory); otherwise the worker
    // reads it again.
    struct ready_item {
        std::string id;
        std::optional<outbox_message> message;
    };

    struct channel_state {
        sender* out = nullptr;
        std::uint32_t concurrency = 1;
        std::deque<ready_item> ready;
        asio::steady_timer signal;  // never expires; cancel_one() wakes an idle worker
        gauge* depth = nullptr;
        counter* accepted = nullptr;
        counter* temporary = nullptr;
        counter* permanent = nullptr;
        counter* expired = nullptr;
        counter* abandoned = nullptr;
        histogram* latency = nullptr;

        explicit channel_state(const strand_type& s) : signal(s) { signal.expires_at(steady::time_point::max()); }
    };

    impl(asio::io_context& io, asio::thread_pool& blocking, outbox_repository& store, sender& sms, sender& email,
         const clock& c, metrics_registry& metrics, delivery_options o)
        : strand(asio::make_strand(io)),
          pool(blocking),
          outbox(store),
          clk(c),
          opt(o),
          handoff(o.queue_capacity),
          queue(o.queue_capacity),
          channels{channel_state(strand), channel_state(strand)},
          intake_signal(strand),
          delay_timer(strand),
          rescan_timer(strand),
          tasks(strand, "delivery_task_failed"),
          rng(std::random_device{}()) {
        opt.max_attempts = std::max<std::uint32_t>(opt.max_attempts, 1);
        opt.loaders = std::max<std::uint32_t>(opt.loaders, 1);
        opt.rescan_interval = std::max(opt.rescan_interval, duration{1});
        intake_signal.expires_at(steady::time_point::max());
        channels[0].out = &sms;
        channels[1].out = &email;
        channels[0].concurrency = std::max<std::uint32_t>(opt.sms_concurrency, 1);
        channels[1].concurrency = std::max<std::uint32_t>(opt.email_concurrency, 1);
        for (auto ch : {channel::sms, channel::email}) {
            auto& cs = channels[index_of(ch)];
            const std::string c_label = std::string("channel=\"") + to_string(ch) + "\"";
            cs.depth = &metrics.add_gauge("sesame_delivery_queue_depth",
                                          "Outbox messages routed to a channel, waiting for a worker.", c_label);
            auto outcome = [&](const char* name) {
                return &metrics.add_counter("sesame_delivery_sends_total",
                                            "Send outcomes (one per send) and final expired/abandoned states.",
                                            c_label + ",outcome=\"" + name + "\"");
            };
            cs.accepted = outcome("accepted");
            cs.temporary = outcome("temporary_failure");
            cs.permanent = outcome("permanent_failure");
            cs.expired = outcome("expired");
            cs.abandoned = outcome("abandoned");
            cs.latency = &metrics.add_histogram("sesame_delivery_send_seconds", "Latency of one send, in seconds.",
                                                c_label);
        }
        incoming_depth = &metrics.add_gauge("sesame_delivery_incoming_depth",
                                            "Outbox ids queued, not yet read (channel unknown).");
        retry_waiting = &metrics.add_gauge("sesame_delivery_retry_waiting",
                                           "Outbox messages waiting for the time of their next attempt.");
        dropped = &metrics.add_counter("sesame_delivery_notify_dropped_total",
                                       "Outbox ids not queued because the queue was full (the rescan sends them).");
        unsaved_writes = &metrics.add_counter("sesame_delivery_status_unsaved_total",
                                              "Message status writes that failed and were kept for a retry.");
    }

    // ---- wiring ----
    strand_type strand;
    asio::thread_pool& pool;
    outbox_repository& outbox;
    const clock& clk;
    delivery_options opt;

    // ---- shared with notify() (any thread): its own lock ----
    id_handoff handoff;  // notified ids, carried to the strand by one post per batch

    // ---- strand only ----
    delivery_queue queue;  // the ids held, by state; the capacity
    std::array<channel_state, 2> channels;
    gauge* incoming_depth = nullptr;
    gauge* retry_waiting = nullptr;
    counter* dropped = nullptr;
    counter* unsaved_writes = nullptr;

    bool stopping = false;
    asio::steady_timer intake_signal;  // never expires; cancel() wakes the loaders
    std::multimap<steady::time_point, std::string> delayed;
    asio::steady_timer delay_timer;
    asio::steady_timer rescan_timer;
    task_group tasks;  // every coroutine but the stop itself
    std::map<std::string, outbox_message> unsaved;  // new state written nowhere yet; ids stay held
    std::mt19937_64 rng;
    bool started = false;
    bool stop_begun = false;
    bool stopped = false;
    std::vector<std::function<void()>> done_callbacks;

    // ---- the ids: handed over in batches, then held on the strand ----

    // Any thread. The ids that do not fit in the hand-off are counted as
    // dropped now; the others reach admit_batch() with one post per batch.
    void notify(const std::vector<std::string>& ids) {
        auto post_wake = [this] { asio::post(strand, [this] { admit_batch(); }); };
        if (const std::size_t refused = handoff.offer(ids, post_wake)) dropped->inc(refused);
    }

    void admit_batch() {
        const std::vector<std::string> batch = handoff.take();
        if (stopping) return;
        bool added = false;
        for (const auto& id : batch) {
            switch (queue.admit(id)) {
                case delivery_queue::admission::queued: added = true; break;
                case delivery_queue::admission::full: dropped->inc(); break;
                case delivery_queue::admission::held_already: break;
            }
        }
        incoming_depth->set(static_cast<std::int64_t>(queue.incoming()));
        if (added) intake_signal.cancel();
    }

    // A held id whose retry is due goes back to the incoming queue, or is
    // released when the queue is full (the rescan will find it) or stopping.
    bool requeue(const std::string& id) {
        if (stopping) {
            queue.release(id);
            return false;
        }
        if (!queue.requeue(id)) {
            dropped->inc();
            return false;
        }
        incoming_depth->set(static_cast<std::int64_t>(queue.incoming()));
        intake_signal.cancel();
        return true;
    }

    std::optional<std::string> pop_intake() {
        auto id = queue.next();
        incoming_depth->set(static_cast<std::int64_t>(queue.incoming()));
        return id;
    }

    void route(outbox_message m) {
        auto& cs = channels[index_of(m.ch)];
        ready_item item{m.id, std::nullopt};
        if (cs.ready.size() < 2 * static_cast<std::size_t>(cs.concurrency)) item.message = std::move(m);
        cs.ready.push_back(std::move(item));
        cs.depth->set(static_cast<std::int64_t>(cs.ready.size()));
        cs.signal.cancel_one();
    }

    std::optional<ready_item> pop_ready(channel_state& cs) {
        if (cs.ready.empty()) return std::nullopt;
        ready_item item = std::move(cs.ready.front());
        cs.ready.pop_front();
        cs.depth->set(static_cast<std::int64_t>(cs.ready.size()));
        queue.taken(item.id);
        return item;
    }

    // Waits on the retry timer until next_attempt_at (a held id).
    void schedule_retry(const std::string& id, timestamp at) {
        if (stopping) {
            queue.release(id);
            return;
        }
        const auto wait = std::max(duration{0}, at - clk.now());
        const auto when = steady::now() + wait;
        const bool earliest = delayed.empty() || when < delayed.begin()->first;
        delayed.emplace(when, id);
        retry_waiting->set(static_cast<std::int64_t>(delayed.size()));
        if (earliest) delay_timer.cancel();
    }

    // ---- store calls, on the pool ----

    asio::awaitable<std::optional<outbox_message>> load(const std::string& id) {
        auto task = [this, &id] { return outbox.find_message(id); };
        co_return co_await run_blocking(pool, std::move(task));
    }

    // Writes m's new state (buffered: see below). On success a
    // pending message waits for its retry and any other is released; on
    // failure it joins `unsaved` and its id stays held.
    asio::awaitable<void> save(const outbox_message& m) {
        bool ok = false;
        try {
            // Status writes are buffered, not fsynced: they survive a crash
            // of the process (the WAL is in the page cache), and losing one
            // to a power cut only means that message is sent once more.
            // Synced writes here would cap delivery at one fsync group per
            // worker round trip.
            const bool durable = false;
            auto task = [this, &m, durable] {
                // A delivery report may have landed while we were sending:
                // merge it rather than overwrite it, under the message's lock.
                auto guard = outbox.lock_message(m.id);
                outbox_message merged = m;
                if (auto stored = outbox.find_message(m.id)) keep_reports(merged, *stored);
                outbox.update_message(merged, durable);
            };
            co_await run_blocking(pool, std::move(task));
            ok = true;
        } catch (const std::exception& e) {
            log::error("delivery_status_unsaved",
                       {{"id", m.id}, {"status", to_string(m.status)}, {"error", e.what()}});
        }
        if (!ok) {
            unsaved_writes->inc();
            unsaved.insert_or_assign(m.id, m);
            co_return;
        }
        after_saved(m);
    }

    void after_saved(const outbox_message& m) {
        if (m.status == message_status::pending)
            schedule_retry(m.id, m.next_attempt_at);
        else
            queue.release(m.id);
    }

    asio::awaitable<void> retry_unsaved() {
        std::vector<std::string> ids;
        for (const auto& [id, m] : unsaved) ids.push_back(id);
        for (const auto& id : ids) {
            auto it = unsaved.find(id);
            if (it == unsaved.end()) continue;
            const outbox_message m = it->second;
            bool ok = false;
            try {
                const bool durable = false;  // see save()
                auto task = [this, &m, durable] { outbox.update_message(m, durable); };
                co_await run_blocking(pool, std::move(task));
                ok = true;
            } catch (const std::exception& e) {
                log::warn("delivery_status_still_unsaved", {{"id", id}, {"error", e.what()}});
            }
            if (!ok) continue;
            unsaved.erase(id);
            log::info("delivery_status_saved", {{"id", id}, {"status", to_string(m.status)}});
            after_saved(m);
        }
    }

    // Queues pending messages not held yet: those due now, and with
    // `replay` also those whose retry time is ahead (they wait for it).
    asio::awaitable<void> rescan(bool replay) {
        const timestamp now = clk.now();
        std::vector<outbox_message> pending;
        try {
            auto task = [this, now] { return outbox.pending_outbox(now); };
            pending = co_await run_blocking(pool, std::move(task));
        } catch (const std::exception& e) {
            log::error("delivery_rescan_failed", {{"error", e.what()}});
            co_return;
        }
        std::size_t queued_now = 0, waiting = 0;
        for (const auto& m : pending) {
            if (stopping) break;
            if (m.status != message_status::pending) continue;
            const bool due = m.next_attempt_at <= now;
            if (due) {
                const auto admitted = queue.admit(m.id);
                if (admitted == delivery_queue::admission::full) dropped->inc();
                if (admitted == delivery_queue::admission::queued) ++queued_now;
            } else if (replay && queue.hold(m.id)) {
                schedule_retry(m.id, m.next_attempt_at);
                ++waiting;
            }
        }
        if (queued_now > 0) {
            incoming_depth->set(static_cast<std::int64_t>(queue.incoming()));
            intake_signal.cancel();
        }
        if (replay)
            log::info("outbox_replayed", {{"pending", pending.size()}, {"queued", queued_now}, {"waiting", waiting}});
        else if (queued_now > 0)
            log::info("outbox_rescanned", {{"queued", queued_now}});
    }

    // ---- coroutines ----

    asio::awaitable<void> run_loader() {
        // Cancellation is handled through `stopping`, never by throwing
        // from a co_await half-way through a store call.
        co_await asio::this_coro::throw_if_cancelled(false);
        for (;;) {
            if (stopping) co_return;
            auto id = pop_intake();
            if (!id) {
                boost::system::error_code ec;
                co_await intake_signal.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                continue;
            }
            std::optional<outbox_message> m;
            try {
                m = co_await load(*id);
            } catch (const std::exception& e) {
                log::error("delivery_load_failed", {{"id", *id}, {"error", e.what()}});
            }
            if (!m || m->status != message_status::pending || stopping) {
                queue.release(*id);
                continue;
            }
            route(std::move(*m));
        }
    }

    asio::awaitable<void> run_worker(channel ch) {
        co_await asio::this_coro::throw_if_cancelled(false);
        auto& cs = channels[index_of(ch)];
        for (;;) {
            if (stopping) co_return;
            auto item = pop_ready(cs);
            if (!item) {
                boost::system::error_code ec;
                co_await cs.signal.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                continue;
            }
            ready_item current = std::move(*item);
            co_await deliver(cs, current);
        }
    }

    void log_attempt(log::level lvl, std::string_view event, const outbox_message& m, const std::string& detail) {
        const std::string to = masked_destination(m);
        log::write(lvl, event,
                   {{"id", m.id},
                    {"channel", to_string(m.ch)},
                    {"to", to},
                    {"reference", m.reference},
                    {"purpose", m.purpose},
                    {"attempt", m.attempts},
                    {"detail", detail}});
    }

    asio::awaitable<void> deliver(channel_state& cs, ready_item& item) {
        outbox_message m;
        if (item.message) {
            m = std::move(*item.message);
        } else {
            std::optional<outbox_message> loaded;
            try {
                loaded = co_await load(item.id);
            } catch (const std::exception& e) {
                log::error("delivery_load_failed", {{"id", item.id}, {"error", e.what()}});
            }
            if (!loaded || loaded->status != message_status::pending) {
                queue.release(item.id);
                co_return;
            }
            m = std::move(*loaded);
        }

        if (const auto refused = check_before_send(m, clk.now())) {
            report(cs, *refused, m, "");
            co_await save(m);
            co_return;
        }

        send_result r;
        bool interrupted = false;
        const auto started_at = steady::now();
        try {
            r = co_await cs.out->send(m);
        } catch (const std::exception& e) {
            if (stopping) interrupted = true;
            r = send_result{send_result::temporary_failure, std::string("sender error: ") + e.what(), {}};
        }
        cs.latency->observe(std::chrono::duration<double>(steady::now() - started_at).count());
        if (interrupted) {
            // Cut short by stop(): whether the transport took it is unknown;
            // it stays pending, unchanged, for the next start.
            log_attempt(log::level::warn, "message_send_interrupted", m, r.detail);
            queue.release(m.id);
            co_return;
        }

        const attempt_record rec = record_send(m, std::move(r), clk.now(), opt, rng);
        report(cs, rec.verdict, m, rec.detail);
        co_await save(m);
    }

    // The metrics and the log line of a verdict.
    void report(channel_state& cs, attempt_verdict v, const outbox_message& m, const std::string& detail) {
        switch (v) {
            case attempt_verdict::refused_destination:
                cs.abandoned->inc();
                log_attempt(log::level::warn, "message_refused_destination", m, "not a French mobile");
                break;
            case attempt_verdict::expired:
                cs.expired->inc();
                log_attempt(log::level::info, "message_expired", m, "code expired before sending");
                break;
            case attempt_verdict::sent:
                cs.accepted->inc();
                log_attempt(log::level::info, "message_sent", m, detail);
                break;
            case attempt_verdict::retry:
                cs.temporary->inc();
                log_attempt(log::level::warn, "message_failed", m, detail);
                break;
            case attempt_verdict::abandoned_permanent:
                cs.permanent->inc();
                cs.abandoned->inc();
                log_attempt(log::level::warn, "message_abandoned", m, detail);
                break;
            case attempt_verdict::abandoned_exhausted:
                cs.temporary->inc();
                cs.abandoned->inc();
                log_attempt(log::level::warn, "message_abandoned", m, detail);
                break;
        }
    }

    asio::awaitable<void> run_delays() {
        co_await asio::this_coro::throw_if_cancelled(false);
        for (;;) {
            if (stopping) co_return;
            delay_timer.expires_at(delayed.empty() ? steady::time_point::max() : delayed.begin()->first);
            boost::system::error_code ec;
            co_await delay_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (stopping) co_return;
            const auto now = steady::now();
            while (!delayed.empty() && delayed.begin()->first <= now) {
                auto node = delayed.extract(delayed.begin());
                requeue(node.mapped());
            }
            retry_waiting->set(static_cast<std::int64_t>(delayed.size()));
        }
    }

    asio::awaitable<void> run_rescan() {
        co_await asio::this_coro::throw_if_cancelled(false);
        for (;;) {
            rescan_timer.expires_after(opt.rescan_interval);
            boost::system::error_code ec;
            co_await rescan_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (stopping) co_return;
            co_await retry_unsaved();
            co_await rescan(false);
        }
    }

    asio::awaitable<void> run_replay() {
        co_await asio::this_coro::throw_if_cancelled(false);
        co_await rescan(true);
    }

    void begin_start() {
        if (started || stop_begun) {
            log::warn("delivery_start_ignored", {{"reason", started ? "already started" : "stopping"}});
            return;
        }
        started = true;
        tasks.spawn("replay", run_replay());
        tasks.spawn("rescan", run_rescan());
        tasks.spawn("retry_timer", run_delays());
        for (std::uint32_t i = 0; i < opt.loaders; ++i) tasks.spawn("loader", run_loader());
        for (auto ch : {channel::sms, channel::email}) {
            const auto& cs = channels[index_of(ch)];
            for (std::uint32_t i = 0; i < cs.concurrency; ++i)
                tasks.spawn(ch == channel::sms ? "sms_worker" : "email_worker", run_worker(ch));
        }
        log::info("delivery_started", {{"sms_workers", channels[0].concurrency},
                                       {"email_workers", channels[1].concurrency}});
    }

    void begin_stop(std::function<void()> done) {
        if (stopped) {
            if (done) done();
            return;
        }
        done_callbacks.push_back(std::move(done));
        if (stop_begun) return;
        stop_begun = true;
        stopping = true;
        handoff.close();
        // Queued ids are forgotten: their messages stay pending in the outbox.
        queue.clear_incoming();
        incoming_depth->set(0);
        intake_signal.cancel();
        for (auto& cs : channels) cs.signal.cancel();
        delay_timer.cancel();
        rescan_timer.cancel();
        asio::co_spawn(strand, run_stop(), [this](std::exception_ptr e) {
            if (e) log::error("delivery_task_failed", {{"task", "stop"}, {"error", what_of(e)}});
            stopped = true;
            auto callbacks = std::move(done_callbacks);
            done_callbacks.clear();
            // The service may be destroyed by a callback: nothing touches
            // `this` after this loop.
            for (auto& f : callbacks)
                if (f) f();
        });
    }

    asio::awaitable<void> run_stop() {
        // Batches posted by notify() before the hand-off closed run first.
        co_await asio::post(strand, asio::use_awaitable);
        if (!co_await tasks.wait(steady::now() + opt.stop_timeout)) {
            log::warn("delivery_stop_timeout", {{"still_running", tasks.live()}});
            tasks.cancel_all();
            co_await tasks.wait(steady::time_point::max());
        }
        co_await retry_unsaved();
        for (const auto& [id, m] : unsaved)
            log::error("delivery_status_lost", {{"id", id}, {"status", to_string(m.status)}});
        std::size_t routed = channels[0].ready.size() + channels[1].ready.size();
        log::info("delivery_stopped", {{"left_queued", routed}, {"left_waiting_retry", delayed.size()},
                                       {"unsaved", unsaved.size()}});
    }
};

delivery_service::delivery_service(asio::io_context& io, asio::thread_pool& blocking, outbox_repository& outbox,
                                   sender& sms, sender& email, const clock& clock, metrics_registry& metrics,
                                   delivery_options options)
    : impl_(std::make_unique<impl>(io, blocking, outbox, sms, email, clock, metrics, options)) {}

delivery_service::~delivery_service() = default;

void delivery_service::notify(const std::vector<std::string>& message_ids) { impl_->notify(message_ids); }

void delivery_service::start() {
    auto* i = impl_.get();
    asio::post(i->strand, [i] { i->begin_start(); });
}

void delivery_service::stop(std::function<void()> done) {
    auto* i = impl_.get();
    asio::post(i->strand, [i, done = std::move(done)]() mutable { i->begin_stop(std::move(done)); });
}

}  // namespace sesame::workers
