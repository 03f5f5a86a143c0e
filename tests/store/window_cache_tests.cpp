#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <random>

#include "store/database.hpp"
#include "store/window_cache.hpp"

using namespace sesame;
namespace fs = std::filesystem;

namespace {

const timestamp t0 = from_millis(1'795'629'731'000);

struct temp_store {
    fs::path dir;
    manual_clock clock{t0};  // background and final flushes happen at t0
    temp_store() {
        std::random_device rd;
        dir = fs::temp_directory_path() / ("sesame-windows-" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directories(dir);
    }
    ~temp_store() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    std::unique_ptr<store::database> open() {
        store::open_options o;
        o.path = (dir / "db").string();
        o.block_cache_bytes = 4 << 20;
        o.clock = &clock;
        return store::database::open(o);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(window_cache_suite)

BOOST_AUTO_TEST_CASE(counts_survive_a_restart) {
    temp_store t;
    const rate_limit limit{3, std::chrono::hours(1)};
    {
        auto db = t.open();
        store::window_cache w(*db);
        for (int i = 0; i < 3; ++i) BOOST_TEST(w.take("ip:1", limit, t0).allowed);
        BOOST_TEST(!w.take("ip:1", limit, t0).allowed);
    }  // the destructor flushes
    t.clock.advance(std::chrono::minutes(1));
    auto db = t.open();
    store::window_cache w(*db);
    BOOST_TEST(!w.check("ip:1", limit, t0 + std::chrono::minutes(1)).allowed);
    BOOST_TEST(w.check("ip:2", limit, t0).allowed);
    BOOST_TEST(w.check("ip:1", limit, t0 + std::chrono::hours(1) + std::chrono::seconds(1)).allowed);
}

BOOST_AUTO_TEST_CASE(flush_writes_changed_windows_and_forgets_idle_ones) {
    temp_store t;
    auto db = t.open();
    store::window_cache w(*db, std::chrono::hours(1));  // no background flush during the test
    const rate_limit limit{5, std::chrono::seconds(10)};
    w.add("a", limit, t0);
    w.add("b", limit, t0);
    BOOST_TEST(w.size() == 2u);
    BOOST_TEST(!db->get(store::family::windows, "a", t0).has_value());  // written behind, not yet
    w.flush(t0);
    BOOST_TEST(db->get(store::family::windows, "a", t0).has_value());
    // Once both windows are idle, a flush removes them from memory and store.
    w.add("a", limit, t0 + std::chrono::seconds(1));
    w.flush(t0 + std::chrono::seconds(30));
    BOOST_TEST(!db->get(store::family::windows, "a", t0 + std::chrono::seconds(30)).has_value());
    BOOST_TEST(w.size() <= 1u);
}

BOOST_AUTO_TEST_CASE(concurrent_takes_stay_exact) {
    temp_store t;
    auto db = t.open();
    store::window_cache w(*db);
    const rate_limit limit{100, std::chrono::hours(1)};
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&] {
            for (int k = 0; k < 100; ++k)
                if (w.take("shared", limit, t0).allowed) ++allowed;
        });
    for (auto& th : threads) th.join();
    BOOST_TEST(allowed.load() == 100);
}

BOOST_AUTO_TEST_SUITE_END()
