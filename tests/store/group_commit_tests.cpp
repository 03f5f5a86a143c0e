// Unit tests of the group commit seen from the network threads
// (database::run_deferred and when_durable) on a real RocksDB.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/database.hpp"

using namespace sesame;
using namespace sesame::store;
namespace fs = std::filesystem;

namespace {

struct store_dir {
    fs::path path;
    store_dir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("sesame-commit-test-" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directories(path);
    }
    std::string db() const { return (path / "db").string(); }
    ~store_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::unique_ptr<database> open_db(const std::string& path, bool sync_writes = true) {
    open_options o;
    o.path = path;
    o.sync_writes = sync_writes;
    o.block_cache_bytes = 8 << 20;
    return database::open(o);
}

const timestamp t0 = from_millis(1795629731000LL);

void put(database& db, const std::string& key, durability d = durability::synced) {
    write_batch b;
    b.put(family::accounts, key, "v");
    db.write(b, d);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(group_commit)

BOOST_AUTO_TEST_CASE(a_deferred_write_is_visible_at_once_and_durable_when_told) {
    store_dir dir;
    auto db = open_db(dir.db());
    const auto position = db->run_deferred([&] { put(*db, "k1"); });
    BOOST_TEST(position > 0u);
    // Written to the log (readable) before anyone waited for its fsync.
    BOOST_TEST(db->get(family::accounts, "k1", t0).has_value());
    std::promise<bool> told;
    db->when_durable(position, [&](bool ok) { told.set_value(ok); });
    BOOST_TEST(told.get_future().get());
}

BOOST_AUTO_TEST_CASE(the_position_covers_what_other_threads_wrote_first) {
    store_dir dir;
    auto db = open_db(dir.db());
    std::thread other([&] { put(*db, "other", durability::buffered); });
    other.join();
    // A read-only use case may have seen "other": its position covers it.
    const auto seen = db->run_deferred([&] { BOOST_TEST(db->get(family::accounts, "other", t0).has_value()); });
    const auto mine = db->run_deferred([&] { put(*db, "mine"); });
    BOOST_TEST(seen > 0u);
    BOOST_TEST(mine > seen);
}

BOOST_AUTO_TEST_CASE(an_already_durable_position_is_answered_on_the_calling_thread) {
    store_dir dir;
    auto db = open_db(dir.db());
    put(*db, "synced");  // outside run_deferred: returns once fsynced
    const auto position = db->run_deferred([] {});
    const auto caller = std::this_thread::get_id();
    std::thread::id answered_on;
    bool ok = false;
    db->when_durable(position, [&](bool durable) {
        answered_on = std::this_thread::get_id();
        ok = durable;
    });
    BOOST_TEST(ok);
    BOOST_TEST((answered_on == caller));
}

BOOST_AUTO_TEST_CASE(many_waiters_are_all_answered_after_their_writes) {
    store_dir dir;
    auto db = open_db(dir.db());
    constexpr int writers = 4, per_writer = 50;
    std::vector<std::promise<bool>> told(writers * per_writer);
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&, w] {
            for (int i = 0; i < per_writer; ++i) {
                const int n = w * per_writer + i;
                const auto pos = db->run_deferred([&] { put(*db, "k" + std::to_string(n)); });
                db->when_durable(pos, [&told, n](bool ok) { told[n].set_value(ok); });
            }
        });
    }
    for (auto& t : threads) t.join();
    for (auto& p : told) BOOST_TEST(p.get_future().get());
}

BOOST_AUTO_TEST_CASE(the_deferral_ends_with_the_work_even_when_it_throws) {
    store_dir dir;
    auto db = open_db(dir.db());
    BOOST_CHECK_THROW(db->run_deferred([] { throw std::runtime_error("boom"); }), std::runtime_error);
    // Outside run_deferred again: a synced write returns only once durable,
    // so the position right after it needs no wait.
    put(*db, "after");
    bool answered = false;
    db->when_durable(db->run_deferred([] {}), [&](bool ok) { answered = ok; });
    BOOST_TEST(answered);
}

BOOST_AUTO_TEST_CASE(written_totals_count_batches_keys_and_bytes) {
    store_dir dir;
    auto db = open_db(dir.db());
    const auto before = db->written();
    write_batch b;
    b.put(family::accounts, "key", "value");
    b.del(family::accounts, "gone");
    db->write(b);
    const auto after = db->written();
    BOOST_TEST(after.batches - before.batches == 1u);
    BOOST_TEST(after.keys - before.keys == 2u);
    BOOST_TEST(after.bytes - before.bytes == b.byte_size());
    BOOST_TEST(b.byte_size() >= 12u);  // "key" + "value" + "gone"
}

BOOST_AUTO_TEST_CASE(without_synced_writes_there_is_nothing_to_wait_for) {
    store_dir dir;
    auto db = open_db(dir.db(), false);
    const auto position = db->run_deferred([&] { put(*db, "k"); });
    BOOST_TEST(position == 0u);
    bool answered = false;
    db->when_durable(position, [&](bool ok) { answered = ok; });
    BOOST_TEST(answered);
}

BOOST_AUTO_TEST_CASE(pending_waiters_are_answered_before_the_database_closes) {
    store_dir dir;
    std::promise<bool> told;
    {
        auto db = open_db(dir.db());
        const auto position = db->run_deferred([&] { put(*db, "k"); });
        db->when_durable(position, [&](bool ok) { told.set_value(ok); });
    }
    BOOST_TEST(told.get_future().get());
    auto reopened = open_db(dir.db());
    BOOST_TEST(reopened->get(family::accounts, "k", t0).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
