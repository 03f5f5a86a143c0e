// Unit tests of core/durable_notifier.hpp: message ids reach the workers
// only once the batch that holds them is durable.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "core/durable_notifier.hpp"
#include "tests/fakes/fake_commit_log.hpp"

using namespace sesame;

namespace {

struct recording final : outbox_notifier {
    std::vector<std::vector<std::string>> calls;
    void notify(const std::vector<std::string>& ids) override { calls.push_back(ids); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(durable_notifier_tests)

BOOST_AUTO_TEST_CASE(ids_wait_for_the_fsync) {
    testing::fake_commit_log log;
    recording workers;
    durable_notifier notifier(log, workers);
    ++log.written;  // the use case's batch, not yet fsynced
    notifier.notify({"m1", "m2"});
    BOOST_TEST(workers.calls.empty());
    log.sync();
    BOOST_REQUIRE_EQUAL(workers.calls.size(), 1u);
    BOOST_TEST(workers.calls[0] == (std::vector<std::string>{"m1", "m2"}));
}

BOOST_AUTO_TEST_CASE(ids_already_durable_go_through_at_once) {
    testing::fake_commit_log log;
    recording workers;
    durable_notifier notifier(log, workers);
    ++log.written;
    log.sync();  // a use case that waited for its own fsync
    notifier.notify({"m1"});
    BOOST_REQUIRE_EQUAL(workers.calls.size(), 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_fsync_sends_nothing) {
    testing::fake_commit_log log;
    recording workers;
    durable_notifier notifier(log, workers);
    ++log.written;
    notifier.notify({"m1"});
    log.fail();
    BOOST_TEST(workers.calls.empty());
}

BOOST_AUTO_TEST_CASE(nothing_to_tell_asks_nothing) {
    testing::fake_commit_log log;
    recording workers;
    durable_notifier notifier(log, workers);
    notifier.notify({});
    BOOST_TEST(log.deferred_runs == 0);
    BOOST_TEST(log.waiting.empty());
}

BOOST_AUTO_TEST_SUITE_END()
