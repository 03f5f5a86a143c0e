// delivery_service against the in-memory outbox, a scripted recording sender
// and a manual clock. The io_context runs in the test thread until a
// predicate holds (never sleeps as synchronisation); retry delays are tiny.
#include <boost/test/unit_test.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/metrics.hpp"
#include "tests/fakes/memory_ports.hpp"
#include "workers/delivery.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using sesame::channel;
using sesame::message_status;
using sesame::outbox_message;
using sesame::timestamp;
using sesame::workers::delivery_options;
using sesame::workers::delivery_service;
using sesame::workers::send_result;
using steady = std::chrono::steady_clock;

const timestamp t0 = sesame::from_millis(1'800'000'000'000);

std::string id_of(int n) {
    std::string s = std::to_string(n);
    return std::string(32 - s.size(), '0') + s;
}

outbox_message make_message(const std::string& id, channel ch = channel::sms) {
    outbox_message m;
    m.id = id;
    m.ch = ch;
    m.to = ch == channel::sms ? "+33612345678" : "marie.dupont@exemple.fr";
    m.subject = "Votre code Sésame";
    m.text = "Votre code : 123456";
    m.html = "<p>Votre code : <b>123456</b></p>";
    m.reference = "R-7K3F-92QX";
    m.purpose = "recovery_code";
    m.identifier = "marie.dupont";
    m.created_at = t0;
    m.next_attempt_at = t0;
    m.not_after = t0 + 30min;
    return m;
}

// A scripted sender: answers from `script`, then `then`. Optionally waits
// `delay` per send, or forever (`hang`, until cancelled). Records each call.
class recording_sender final : public sesame::workers::sender {
public:
    std::deque<send_result> script;
    send_result then{send_result::accepted, "250 2.0.0 Ok: queued", ""};
    std::chrono::milliseconds delay{0};
    bool hang = false;
    std::vector<std::string> ids;
    std::vector<steady::time_point> times;
    int in_flight = 0;
    int max_in_flight = 0;

    asio::awaitable<send_result> send(const outbox_message& m) override {
        ids.push_back(m.id);
        times.push_back(steady::now());
        ++in_flight;
        max_in_flight = std::max(max_in_flight, in_flight);
        if (hang || delay.count() > 0) {
            auto ex = co_await asio::this_coro::executor;
            asio::steady_timer t(ex);
            if (hang)
                t.expires_at(steady::time_point::max());
            else
                t.expires_after(delay);
            try {
                co_await t.async_wait(asio::use_awaitable);  // throws when cancelled
            } catch (...) {
                --in_flight;
                throw;
            }
        }
        --in_flight;
        if (!script.empty()) {
            send_result r = script.front();
            script.pop_front();
            co_return r;
        }
        co_return then;
    }

    std::size_t calls_for(const std::string& id) const { return std::count(ids.begin(), ids.end(), id); }
};

// The memory outbox whose update_message() throws while `fail_updates` > 0.
class flaky_outbox final : public sesame::outbox_repository {
public:
    explicit flaky_outbox(sesame::testing::memory_ports& s) : store(s) {}
    std::vector<outbox_message> pending_outbox(timestamp now) override { return store.pending_outbox(now); }
    std::optional<outbox_message> find_message(std::string_view id) override { return store.find_message(id); }
    std::unique_lock<std::mutex> lock_message(std::string_view id) override { return store.lock_message(id); }
    void update_message(const outbox_message& m, bool durable) override {
        if (fail_updates.load() > 0) {
            --fail_updates;
            throw sesame::infrastructure_error("injected update failure");
        }
        store.update_message(m, durable);
    }
    sesame::testing::memory_ports& store;
    std::atomic<int> fail_updates{0};
};

delivery_options fast_options() {
    delivery_options o;
    o.retry_initial = 10ms;
    o.retry_max = 40ms;
    o.rescan_interval = 1h;  // tests that need the rescan set it
    o.stop_timeout = 2s;
    return o;
}

struct harness {
    asio::io_context io;
    asio::thread_pool pool{1};
    sesame::testing::memory_ports store;
    flaky_outbox repo{store};
    sesame::manual_clock clk{t0};
    std::unique_ptr<sesame::metrics_registry> metrics = std::make_unique<sesame::metrics_registry>();
    recording_sender sms, email;
    delivery_options opt;
    std::unique_ptr<delivery_service> svc;
    bool stopped = false;

    explicit harness(delivery_options o = fast_options()) : opt(o) { make_service(); }
    ~harness() { stop(); }

    void make_service() {
        metrics = std::make_unique<sesame::metrics_registry>();
        svc = std::make_unique<delivery_service>(io, pool, repo, sms, email, clk, *metrics, opt);
        stopped = false;
    }

    template <class Pred>
    bool run_until(Pred pred, std::chrono::milliseconds limit = 5s) {
        const auto deadline = steady::now() + limit;
        while (!pred()) {
            if (steady::now() > deadline) return false;
            if (io.stopped()) io.restart();
            io.run_for(2ms);
        }
        return true;
    }
    void run_for(std::chrono::milliseconds d) {
        const auto deadline = steady::now() + d;
        run_until([&] { return steady::now() >= deadline; }, d + 1s);
    }
    bool stop() {
        if (stopped) return true;
        bool done = false;
        svc->stop([&] { done = true; });
        stopped = run_until([&] { return done; }, 10s);
        return stopped;
    }

    void put(const outbox_message& m) { store.put_message(m); }
    outbox_message get(const std::string& id) {
        auto m = store.find_message(id);
        BOOST_REQUIRE(m);
        return *m;
    }
    message_status status(const std::string& id) { return get(id).status; }

    // The value of one sample of /metrics, e.g. `sesame_delivery_notify_dropped_total`.
    long long metric(const std::string& sample) const {
        const std::string text = metrics->render();
        const std::string key = "\n" + sample + " ";
        const auto pos = text.find(key);
        if (pos == std::string::npos) throw std::runtime_error("no metric sample " + sample);
        return std::stoll(text.substr(pos + key.size()));
    }
};

std::string sends(const char* ch, const char* outcome) {
    return std::string("sesame_delivery_sends_total{channel=\"") + ch + "\",outcome=\"" + outcome + "\"}";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(delivery)

BOOST_AUTO_TEST_CASE(backoff_doubles_up_to_the_maximum) {
    delivery_options o;  // 2 s, 5 min
    BOOST_TEST(sesame::workers::retry_backoff(o, 1).count() == 2000);
    BOOST_TEST(sesame::workers::retry_backoff(o, 2).count() == 4000);
    BOOST_TEST(sesame::workers::retry_backoff(o, 5).count() == 32000);
    BOOST_TEST(sesame::workers::retry_backoff(o, 9).count() == 300000);
    BOOST_TEST(sesame::workers::retry_backoff(o, 1000).count() == 300000);
}

BOOST_AUTO_TEST_CASE(a_pending_message_is_sent_once_and_marked_sent) {
    harness h;
    const auto id = id_of(1);
    h.put(make_message(id));
    h.svc->notify({id});
    h.svc->start();
    BOOST_REQUIRE(h.run_until([&] { return h.status(id) == message_status::sent; }));
    h.run_for(30ms);
    const auto m = h.get(id);
    BOOST_TEST(h.sms.ids == std::vector<std::string>{id});
    BOOST_TEST(h.email.ids.empty());
    BOOST_TEST(m.attempts == 1u);
    BOOST_REQUIRE(m.history.size() == 1u);
    BOOST_TEST(m.history[0].result == "accepted");
    BOOST_TEST(m.history[0].detail == "250 2.0.0 Ok: queued");
    BOOST_TEST((m.history[0].at == t0));
    BOOST_TEST(h.metric(sends("sms", "accepted")) == 1);
    BOOST_TEST(h.metric("sesame_delivery_queue_depth{channel=\"sms\"}") == 0);
    BOOST_TEST(h.metric("sesame_delivery_send_seconds_count{channel=\"sms\"}") == 1);
}

BOOST_AUTO_TEST_CASE(an_sms_to_anything_but_a_french_mobile_is_never_sent) {
    harness h;
    const std::vector<std::string> numbers = {"+33899123456", "+33145678901", "+447700900123", "0612345678"};
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < numbers.size(); ++i) {
        ids.push_back(id_of(int(i) + 1));
        auto m = make_message(ids.back());
        m.to = numbers[i];  // premium, fixed, foreign, not E.164
        h.put(m);
    }
    h.svc->notify(ids);
    h.svc->start();
    BOOST_REQUIRE(h.run_until([&] {
        return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
            return h.status(id) == message_status::abandoned;
        });
    }));
    BOOST_TEST(h.sms.ids.empty());
    BOOST_TEST(h.get(ids[0]).history.back().result == "refused");
    BOOST_TEST(h.metric(sends("sms", "abandoned")) == 4);
}

BOOST_AUTO_TEST_CASE(two_temporary_failures_then_sent_with_three_attempts) {
    harness h;
    const auto id = id_of(2);
    h.sms.script = {{send_result::temporary_failure, "421 try later", ""},
                    {send_result::temporary_failure, "421 try later", ""}};
    h.put(make_message(id));
    h.svc->notify({id});
    h.svc->start();
    BOOST_REQUIRE(h.run_until([&] { return h.status(id) == message_status::sent; }));
    h.run_for(60ms);
    const auto m = h.get(id);
    BOOST_TEST(h.sms.calls_for(id) == 3u);
    BOOST_TEST(m.attempts == 3u);
    BOOST_REQUIRE(m.history.size() == 3u);
    BOOST_TEST(m.history[0].result == "temporary_failure");
    BOOST_TEST(m.history[1].result == "temporary_failure");
    BOOST_TEST(m.history[2].result == "accepted");
    BOOST_TEST(h.metric(sends("sms", "temporary_failure")) == 2);
    BOOST_TEST(h.metric(sends("sms", "accepted")) == 1);
}

BOOST_AUTO_TEST_CASE(retry_time_is_backoff_with_jitter_and_waits_off_the_workers) {
    auto o = fast_options();
    o.retry_initial = 10s;
    o.retry_max = 10s;
    o.sms_concurrency = 1;
    harness h(o);
    const auto slow = id_of(3), other = id_of(4);
    h.sms.script = {{send_result::temporary_failure, "timeout", ""}};
    h.put(make_message(slow));
    h.put(make_message(other));
    h.svc->notify({slow, other});
    h.svc->start();
    // The only SMS worker is free for the next message while the first waits for its retry.
    BOOST_REQUIRE(h.run_until([&] { return h.status(other) == message_status::sent; }));
    const auto m = h.get(slow);
    BOOST_TEST((m.status == message_status::pending));
    BOOST_TEST(m.attempts == 1u);
    BOOST_TEST((m.next_attempt_at - t0 >= 5s));
    BOOST_TEST((m.next_attempt_at - t0 <= 10s));
    BOOST_TEST(h.metric("sesame_delivery_retry_waiting") == 1);
}

BOOST_AUTO_TEST_CASE(always_failing_is_abandoned_after_max_attempts_with_the_reason) {
    auto o = fast_options();
    o.max_attempts = 3;
    harness h(o);
    const auto id = id_of(5);
    h.sms.then = {send_result::temporary_failure, "503 gateway down", ""};
    h.put(make_message(id));
    h.svc->notify({id});
    h.svc->start();
    BOOST_REQUIRE(h.run_until([&] { return h.status(id) == message_status::abandoned; }));
    h.run_for(80ms);
    const auto m = h.get(id);
    BOOST_TEST(h.sms.calls_for(id) == 3u);
    BOOST_TEST(m.attempts == 3u);
    BOOST_REQUIRE(m.history.size() == 4u);
    BOOST_TEST(m.history[2].result == "temporary_failure");
    BOOST_TEST(m.history[3].result == "abandoned");
    BOOST_TEST(m.history[3].detail.find("503 gateway down") != std::string::npos);
    BOOST_TEST(m.history[3].detail.find("3 tentatives") != std::string::npos);
    BOOST_TEST(h.metric(sends("sms", "abandoned")) == 1);
}

BOOST_AUTO_TEST_CASE(permanent_failure_is_abandoned_at_once) {
    harness h;
    const auto id = id_of(6);
    h.email.script = {{send_result::permanent_failure, "550 5.1.1 no such user", ""}};
    h.put(make_message(id, channel::email));
    h.svc->notify({id});
    h.svc->start();
    BOOST_REQUIRE(h.run_until([&] { return h.status(id) == message_status::abandoned; }));
    h.run_for(60ms);
    const auto m = h.get(id);
    BOOST_TEST(h.email.calls_for(id) == 1u);
    BOOST_TEST(h.sms.ids.empty());
    BOOST_REQUIRE(m.history.size() == 1u);
    BOOST_TEST(m.history[0].result == "permanent_failure");
    BOOST_TEST(m.history[0].detail == "550 5.1.1 no such user");
    BOOST_TEST(h.metric(sends("email", "permanent_failure")) == 1);
}

BOOST_AUTO_TEST_CASE(expired_message_is_never_sent) {
    harness h;
    const auto id = id_of(7);
    auto msg = make_message(id);
    msg.not_after = t0 - 1s;
    h.put(msg);
    h.svc->notify({id});
    h.svc->start();
    BOOST_REQUIRE(h.run_until([&] { return h.status(id) == message_status::expired; }));
    const auto m = h.get(id);
    BOOST_TEST(h.sms.ids.empty());
    BOOST_TEST(m.attempts == 0u);
    BOOST_REQUIRE(m.history.size() == 1u);
    BOOST_TEST(m.history[0].result == "expired");
    BOOST_TEST(m.history[0].detail == "code expiré avant l'envoi");
    BOOST_TEST(h.metric(sends("sms", "expired")) == 1);
}

BOOST_AUTO_TEST_CASE(a_code_expiring_while_waiting_for_its_retry_is_not_resent) {
    harness h;
    const auto id = id_of(8);
    h.sms.script = {{send_result::temporary_failure, "timeout", ""}};
    h.put(make_message(id));
    h.svc->notify({id});
    h.svc->start();
    BOOST_REQUIRE(h.run_until([&] { return h.get(id).attempts == 1u; }));
    h.clk.advance(31min);  // past not_after before the retry timer fires
    BOOST_REQUIRE(h.run_until([&] { return h.status(id) == message_status::expired; }));
    BOOST_TEST(h.sms.calls_for(id) == 1u);
    BOOST_TEST(h.get(id).history.back().result == "expired");
}

BOOST_AUTO_TEST_CASE(start_replays_pending_messages_by_channel) {
    harness h;
    const auto a = id_of(10), b = id_of(11), c = id_of(12), d = id_of(13);
    h.put(make_message(a));
    h.put(make_message(b, channel::email));
    auto done = make_message(c);
    done.status = message_status::sent;
    h.put(done);
    auto later = make_message(d);
    later.next_attempt_at = t0 + 40ms;  // a retry planned before the restart
    h.put(later);
    const auto started = steady::now();
    h.svc->start();  // no notify: only the replay knows them
    BOOST_REQUIRE(h.run_until([&] {
        return h.status(a) == message_status::sent && h.status(b) == message_status::sent &&
               h.status(d) == message_status::sent;
    }));
    h.run_for(30ms);
    BOOST_TEST(h.sms.calls_for(a) == 1u);
    BOOST_TEST(h.sms.calls_for(d) == 1u);
    BOOST_TEST(h.sms.calls_for(c) == 0u);
    BOOST_TEST(h.email.ids == std::vector<std::string>{b});
    const auto d_at = h.sms.times[std::find(h.sms.ids.begin(), h.sms.ids.end(), d) - h.sms.ids.begin()];
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(d_at - started).count() >= 40);
}

BOOST_AUTO_TEST_CASE(the_same_id_notified_twice_is_sent_once) {
    harness h;
    const auto id = id_of(20);
    h.put(make_message(id));
    h.svc->notify({id, id});
    h.svc->notify({id});
    h.svc->start();  // the replay finds it too
    BOOST_REQUIRE(h.run_until([&] { return h.status(id) == message_status::sent; }));
    h.svc->notify({id});  // late duplicate: read again, not pending, skipped
    h.run_for(50ms);
    BOOST_TEST(h.sms.calls_for(id) == 1u);
}

BOOST_AUTO_TEST_CASE(a_full_queue_drops_the_notify_and_the_rescan_sends_it) {
    auto o = fast_options();
    o.queue_capacity = 1;
    o.rescan_interval = 150ms;
    harness h(o);
    const auto sentinel = id_of(30), a = id_of(31), b = id_of(32);
    h.put(make_message(sentinel));
    const auto started = steady::now();
    h.svc->start();
    BOOST_REQUIRE(h.run_until([&] { return h.status(sentinel) == message_status::sent; }));  // replay done
    h.put(make_message(a));
    h.put(make_message(b));
    h.svc->notify({a, b});  // b does not fit
    BOOST_TEST(h.metric("sesame_delivery_notify_dropped_total") == 1);
    BOOST_REQUIRE(h.run_until([&] { return h.status(a) == message_status::sent && h.status(b) == message_status::sent; }));
    h.run_for(20ms);
    BOOST_TEST(h.sms.calls_for(a) == 1u);
    BOOST_TEST(h.sms.calls_for(b) == 1u);
    const auto b_at = h.sms.times[std::find(h.sms.ids.begin(), h.sms.ids.end(), b) - h.sms.ids.begin()];
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(b_at - started).count() >= 150);
}

BOOST_AUTO_TEST_CASE(many_messages_each_sent_once_within_the_concurrency) {
    auto o = fast_options();
    o.sms_concurrency = 4;
    o.email_concurrency = 2;
    harness h(o);
    h.sms.delay = 20ms;  // long enough for the loaders to fill every worker
    h.email.delay = 20ms;
    std::vector<std::string> ids;
    for (int i = 0; i < 120; ++i) {
        ids.push_back(id_of(100 + i));
        h.put(make_message(ids.back(), i % 3 == 0 ? channel::email : channel::sms));
    }
    h.svc->notify(ids);
    h.svc->start();
    BOOST_REQUIRE(h.run_until([&] {
        return std::all_of(ids.begin(), ids.end(), [&](auto& id) { return h.status(id) == message_status::sent; });
    }));
    BOOST_TEST(h.sms.ids.size() == 80u);
    BOOST_TEST(h.email.ids.size() == 40u);
    for (const auto& id : ids) BOOST_TEST(h.sms.calls_for(id) + h.email.calls_for(id) == 1u);
    BOOST_TEST(h.sms.max_in_flight == 4);
    BOOST_TEST(h.email.max_in_flight == 2);
    BOOST_TEST(h.metric("sesame_delivery_queue_depth{channel=\"sms\"}") == 0);
    BOOST_TEST(h.metric("sesame_delivery_incoming_depth") == 0);
}

BOOST_AUTO_TEST_CASE(notify_from_other_threads_while_workers_run) {
    harness h;
    std::vector<std::string> ids;
    for (int i = 0; i < 100; ++i) {
        ids.push_back(id_of(200 + i));
        h.put(make_message(ids.back(), i % 2 ? channel::email : channel::sms));
    }
    h.svc->start();
    std::vector<std::thread> producers;
    for (int t = 0; t < 4; ++t)
        producers.emplace_back([&, t] {
            for (int i = 0; i < 100; ++i) h.svc->notify({ids[(i + 25 * t) % 100]});  // each id four times
        });
    const bool all_sent = h.run_until([&] {
        return std::all_of(ids.begin(), ids.end(), [&](auto& id) { return h.status(id) == message_status::sent; });
    });
    for (auto& p : producers) p.join();
    BOOST_REQUIRE(all_sent);
    h.run_for(20ms);
    for (const auto& id : ids) BOOST_TEST(h.sms.calls_for(id) + h.email.calls_for(id) == 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_status_write_never_causes_a_second_send) {
    auto o = fast_options();
    o.rescan_interval = 30ms;
    harness h(o);
    const auto id = id_of(40);
    h.repo.fail_updates = 2;  // the write after the send, then its first retry
    h.put(make_message(id));
    h.svc->notify({id});
    h.svc->start();
    BOOST_REQUIRE(h.run_until([&] { return h.sms.ids.size() == 1u; }));
    h.svc->notify({id});  // still pending in the outbox, but tracked
    BOOST_REQUIRE(h.run_until([&] { return h.status(id) == message_status::sent; }));
    h.run_for(100ms);  // several rescans
    BOOST_TEST(h.sms.calls_for(id) == 1u);
    BOOST_TEST(h.repo.fail_updates.load() == 0);
    BOOST_TEST(h.get(id).history.size() == 1u);
    BOOST_TEST(h.metric("sesame_delivery_status_unsaved_total") == 1);
}

BOOST_AUTO_TEST_CASE(stop_lets_the_send_in_flight_finish_and_leaves_the_rest_pending) {
    auto o = fast_options();
    o.sms_concurrency = 1;
    harness h(o);
    h.sms.delay = 30ms;
    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i) {
        ids.push_back(id_of(50 + i));
        h.put(make_message(ids.back()));
    }
    h.svc->notify(ids);
    h.svc->start();
    BOOST_REQUIRE(h.run_until([&] { return h.sms.ids.size() == 1u; }));
    BOOST_REQUIRE(h.stop());
    BOOST_TEST(h.sms.ids.size() == 1u);
    BOOST_TEST((h.status(h.sms.ids[0]) == message_status::sent));
    std::size_t pending = 0;
    for (const auto& id : ids) {
        const auto m = h.get(id);
        if (m.status != message_status::pending) continue;
        ++pending;
        BOOST_TEST(m.attempts == 0u);
        BOOST_TEST(m.history.empty());
    }
    BOOST_TEST(pending == 3u);
    h.svc->notify({ids[1]});  // ignored once stopped
    h.run_for(20ms);
    BOOST_TEST(h.sms.ids.size() == 1u);

    // The next start sends the rest, once each.
    h.make_service();
    h.svc->start();
    BOOST_REQUIRE(h.run_until([&] {
        return std::all_of(ids.begin(), ids.end(), [&](auto& id) { return h.status(id) == message_status::sent; });
    }));
    for (const auto& id : ids) BOOST_TEST(h.sms.calls_for(id) == 1u);
}

BOOST_AUTO_TEST_CASE(stop_cancels_a_hung_send_after_stop_timeout) {
    auto o = fast_options();
    o.stop_timeout = 50ms;
    harness h(o);
    h.sms.hang = true;
    const auto id = id_of(60);
    h.put(make_message(id));
    h.svc->notify({id});
    h.svc->start();
    BOOST_REQUIRE(h.run_until([&] { return h.sms.ids.size() == 1u; }));
    const auto t = steady::now();
    BOOST_REQUIRE(h.stop());
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t).count() >= 50);
    BOOST_TEST(h.sms.in_flight == 0);
    const auto m = h.get(id);
    BOOST_TEST((m.status == message_status::pending));
    BOOST_TEST(m.attempts == 0u);
}

BOOST_AUTO_TEST_CASE(stop_before_start_completes) {
    harness h;
    BOOST_TEST(h.stop());
}

BOOST_AUTO_TEST_SUITE_END()
