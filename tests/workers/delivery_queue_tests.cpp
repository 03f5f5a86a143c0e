// The delivery service's bookkeeping of ids (delivery_queue: states, the
// capacity, counts that follow from the states) and the hand-off of notified
// ids to its strand (id_handoff: one wake-up per batch, bounded, closed).
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "workers/delivery_queue.hpp"
#include "workers/id_handoff.hpp"

namespace {

using sesame::workers::delivery_queue;
using sesame::workers::id_handoff;
using admission = delivery_queue::admission;

}  // namespace

BOOST_AUTO_TEST_SUITE(workers_delivery_queue)

BOOST_AUTO_TEST_CASE(an_id_is_held_once_and_walks_incoming_loaded_busy) {
    delivery_queue q(10);
    BOOST_TEST((q.admit("a") == admission::queued));
    BOOST_TEST((q.admit("a") == admission::held_already));
    BOOST_TEST(q.incoming() == 1u);
    BOOST_TEST(q.counted() == 1u);
    BOOST_TEST(*q.next() == "a");  // loaded: still counted, no longer incoming
    BOOST_TEST(q.incoming() == 0u);
    BOOST_TEST(q.counted() == 1u);
    BOOST_TEST((q.admit("a") == admission::held_already));
    q.taken("a");  // busy: held, not counted
    BOOST_TEST(q.counted() == 0u);
    BOOST_TEST(q.holds("a"));
    BOOST_TEST(!q.hold("a"));
    BOOST_TEST(q.requeue("a"));  // its retry is due
    BOOST_TEST(q.incoming() == 1u);
    BOOST_TEST(*q.next() == "a");
    q.release("a");
    BOOST_TEST(!q.holds("a"));
    BOOST_TEST(q.counted() == 0u);
    BOOST_TEST(!q.next());
}

BOOST_AUTO_TEST_CASE(ids_come_out_oldest_first) {
    delivery_queue q(10);
    for (const char* id : {"c", "a", "b"}) q.admit(id);
    BOOST_TEST(*q.next() == "c");
    BOOST_TEST(*q.next() == "a");
    BOOST_TEST(*q.next() == "b");
    BOOST_TEST(!q.next());
}

BOOST_AUTO_TEST_CASE(the_capacity_bounds_incoming_and_loaded_not_busy) {
    delivery_queue q(2);
    BOOST_TEST((q.admit("a") == admission::queued));
    BOOST_TEST((q.admit("b") == admission::queued));
    BOOST_TEST((q.admit("c") == admission::full));
    BOOST_TEST(!q.holds("c"));
    q.next();  // a loaded: still counted
    BOOST_TEST((q.admit("c") == admission::full));
    q.taken("a");  // a busy: room for one
    BOOST_TEST((q.admit("c") == admission::queued));
    BOOST_TEST(q.hold("r"));  // a retry waiting: never refused for room
    BOOST_TEST(q.held() == 4u);
    BOOST_TEST(!q.requeue("r"));  // full: released, the rescan will find it
    BOOST_TEST(!q.holds("r"));
}

BOOST_AUTO_TEST_CASE(release_in_any_state_keeps_the_counts_right) {
    delivery_queue q(3);
    q.admit("busy");
    q.admit("loaded");
    q.admit("incoming");
    q.next();  // busy
    q.next();  // loaded
    q.taken("busy");
    q.release("incoming");
    BOOST_TEST(q.incoming() == 0u);
    BOOST_TEST(q.counted() == 1u);
    q.release("loaded");
    BOOST_TEST(q.counted() == 0u);
    q.release("busy");
    BOOST_TEST(q.held() == 0u);
    q.release("unknown");  // nothing to do
    BOOST_TEST(!q.next());  // the released incoming id is skipped
}

BOOST_AUTO_TEST_CASE(an_id_released_and_admitted_again_comes_out_once) {
    delivery_queue q(5);
    q.admit("a");
    q.release("a");
    q.admit("a");
    BOOST_TEST(q.incoming() == 1u);
    BOOST_TEST(*q.next() == "a");
    BOOST_TEST(!q.next());
}

BOOST_AUTO_TEST_CASE(taken_and_requeue_ignore_ids_in_another_state) {
    delivery_queue q(5);
    q.admit("a");
    q.taken("a");  // still incoming: not taken
    BOOST_TEST(q.incoming() == 1u);
    BOOST_TEST(!q.requeue("a"));  // not busy
    BOOST_TEST(!q.requeue("unknown"));
    BOOST_TEST(q.incoming() == 1u);
}

BOOST_AUTO_TEST_CASE(clear_incoming_forgets_only_the_waiting_ids) {
    delivery_queue q(5);
    q.admit("a");
    q.admit("b");
    q.admit("c");
    q.next();      // a loaded
    q.taken("a");  // a busy
    q.next();      // b loaded
    q.clear_incoming();
    BOOST_TEST(q.holds("a"));
    BOOST_TEST(q.holds("b"));
    BOOST_TEST(!q.holds("c"));
    BOOST_TEST(q.incoming() == 0u);
    BOOST_TEST(q.counted() == 1u);
    BOOST_TEST(!q.next());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(workers_id_handoff)

BOOST_AUTO_TEST_CASE(one_wake_up_carries_every_id_offered_until_taken) {
    id_handoff h(100);
    int wakes = 0;
    auto wake = [&] { ++wakes; };
    BOOST_TEST(h.offer({"a"}, wake) == 0u);
    BOOST_TEST(h.offer({"b", "c"}, wake) == 0u);
    BOOST_TEST(h.offer({}, wake) == 0u);
    BOOST_TEST(wakes == 1);
    BOOST_TEST((h.take() == std::vector<std::string>{"a", "b", "c"}));
    BOOST_TEST(h.take().empty());
    h.offer({"d"}, wake);  // a new batch: a new wake-up
    BOOST_TEST(wakes == 2);
    BOOST_TEST((h.take() == std::vector<std::string>{"d"}));
}

BOOST_AUTO_TEST_CASE(an_empty_offer_posts_nothing) {
    id_handoff h(100);
    int wakes = 0;
    h.offer({}, [&] { ++wakes; });
    BOOST_TEST(wakes == 0);
}

BOOST_AUTO_TEST_CASE(past_the_capacity_ids_are_refused_and_counted) {
    id_handoff h(2);
    int wakes = 0;
    auto wake = [&] { ++wakes; };
    BOOST_TEST(h.offer({"a", "b", "c"}, wake) == 1u);
    BOOST_TEST(h.offer({"d"}, wake) == 1u);
    BOOST_TEST((h.take() == std::vector<std::string>{"a", "b"}));
    BOOST_TEST(h.offer({"d"}, wake) == 0u);  // room again once taken
}

BOOST_AUTO_TEST_CASE(closed_it_ignores_offers_and_drops_the_batch) {
    id_handoff h(10);
    int wakes = 0;
    auto wake = [&] { ++wakes; };
    h.offer({"a"}, wake);
    h.close();
    BOOST_TEST(h.offer({"b"}, wake) == 0u);
    BOOST_TEST(wakes == 1);
    BOOST_TEST(h.take().empty());
}

BOOST_AUTO_TEST_CASE(offers_from_many_threads_lose_nothing_and_wake_once) {
    id_handoff h(100000);
    std::atomic<int> wakes{0};
    auto wake = [&] { ++wakes; };
    std::vector<std::thread> producers;
    for (int t = 0; t < 4; ++t)
        producers.emplace_back([&, t] {
            for (int i = 0; i < 1000; ++i) h.offer({std::to_string(t) + ":" + std::to_string(i)}, wake);
        });
    for (auto& p : producers) p.join();
    const auto batch = h.take();
    BOOST_TEST(batch.size() == 4000u);
    BOOST_TEST(wakes.load() == 1);  // nobody took in between
}

BOOST_AUTO_TEST_SUITE_END()
