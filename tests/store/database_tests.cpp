// Unit tests of store/database on a real RocksDB in a temporary directory:
// families, batches, expiry before and after compaction, scans, the
// directory lock, checkpoints, the server secret and key locks.
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/codec.hpp"
#include "store/database.hpp"

using namespace sesame;
using namespace sesame::store;
namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::seconds;

namespace {

// A fresh directory under the system temp dir, removed with everything in it.
struct temp_dir {
    fs::path path;
    temp_dir() {
        std::random_device rd;
        path = fs::temp_directory_path() /
               ("sesame-store-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string sub(const std::string& name) const { return (path / name).string(); }
};

const timestamp t0 = from_millis(1795629731000LL);  // 2026-11-25T18:02:11Z

std::unique_ptr<database> open_at(const std::string& path, const sesame::clock* c = nullptr) {
    open_options o;
    o.path = path;
    o.clock = c;
    o.block_cache_bytes = 8 << 20;
    return database::open(o);
}

std::vector<std::string> scan_keys(const database& db, family f, std::string_view prefix, timestamp now,
                                   scan_order order = scan_order::ascending, std::string_view after = {},
                                   std::size_t limit = 1000) {
    std::vector<std::string> keys;
    db.scan_prefix(f, prefix, now, [&](std::string_view k, std::string_view) {
        keys.emplace_back(k);
        return keys.size() < limit;
    }, order, after);
    return keys;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_database)

BOOST_AUTO_TEST_CASE(put_get_delete) {
    temp_dir dir;
    auto db = open_at(dir.sub("db"));
    BOOST_TEST(!db->get(family::accounts, "a1", t0).has_value());
    write_batch b;
    b.put(family::accounts, "a1", std::string("val\0ue", 6));
    b.put(family::identifiers, "m.dupont", "a1");
    db->write(b);
    BOOST_TEST(db->get(family::accounts, "a1", t0).value() == std::string("val\0ue", 6));
    BOOST_TEST(db->get(family::identifiers, "m.dupont", t0).value() == "a1");
    // Families are separate key spaces.
    BOOST_TEST(!db->get(family::accounts, "m.dupont", t0).has_value());
    write_batch d;
    d.del(family::accounts, "a1");
    db->write(d, durability::buffered);
    BOOST_TEST(!db->get(family::accounts, "a1", t0).has_value());
    BOOST_TEST(db->get(family::identifiers, "m.dupont", t0).has_value());
}

BOOST_AUTO_TEST_CASE(family_names_and_expiring_set) {
    BOOST_TEST(name(family::meta) == "default");
    BOOST_TEST(name(family::external_ids) == "external_ids");
    BOOST_TEST(expires(family::sessions));
    BOOST_TEST(expires(family::journal));
    BOOST_TEST(!expires(family::accounts));
    BOOST_TEST(!expires(family::outbox));
    write_batch b;
    BOOST_CHECK_THROW(b.put(family::accounts, "k", "v", t0), std::invalid_argument);
    BOOST_CHECK_NO_THROW(b.put(family::accounts, "k", "v", std::nullopt));
    BOOST_TEST(b.size() == 1u);
}

BOOST_AUTO_TEST_CASE(batch_is_atomic_across_families) {
    temp_dir dir;
    auto db = open_at(dir.sub("db"));
    write_batch b;
    b.put(family::accounts, "k", "0");
    b.put(family::flows, "k", "0", t0 + hours(1));
    b.put(family::outbox, "k", "0");
    BOOST_TEST(b.size() == 3u);
    BOOST_TEST(!db->get(family::outbox, "k", t0).has_value());  // nothing before write()
    db->write(b);

    // A writer rewrites the three records together; a reader reading them
    // from one snapshot must never see them disagree.
    std::atomic<bool> done{false};
    std::atomic<int> torn{0}, reads{0};
    std::thread reader([&] {
        while (!done) {
            auto v = db->multi_get({{family::accounts, "k"}, {family::flows, "k"}, {family::outbox, "k"}}, t0);
            if (!v[0] || !v[1] || !v[2] || *v[0] != *v[1] || *v[1] != *v[2]) ++torn;
            ++reads;
        }
    });
    for (int i = 1; i <= 2000; ++i) {
        write_batch w;
        const auto s = std::to_string(i);
        w.put(family::accounts, "k", s);
        w.put(family::flows, "k", s, t0 + hours(1));
        w.put(family::outbox, "k", s);
        db->write(w, durability::buffered);
    }
    done = true;
    reader.join();
    BOOST_TEST(reads.load() > 0);
    BOOST_TEST(torn.load() == 0);
    BOOST_TEST(db->get(family::outbox, "k", t0).value() == "2000");
}

BOOST_AUTO_TEST_CASE(expired_records_are_invisible_then_compacted_away) {
    temp_dir dir;
    manual_clock clock{t0};
    auto db = open_at(dir.sub("db"), &clock);
    write_batch b;
    b.put(family::sessions, "short", "s", t0 + seconds(10));
    b.put(family::sessions, "long", "l", t0 + hours(1));
    b.put(family::sessions, "never", "n");
    b.put(family::sessions, "past", "p", from_millis(0));  // at the epoch: expired, not "never"
    b.put(family::accounts, "acc", "a");
    db->write(b);

    auto rec = db->get_record(family::sessions, "short", clock.now());
    BOOST_REQUIRE(rec.has_value());
    BOOST_TEST(rec->value == "s");
    BOOST_TEST(to_millis(rec->expires_at.value()) == to_millis(t0 + seconds(10)));
    BOOST_TEST(!db->get_record(family::sessions, "never", clock.now())->expires_at.has_value());
    BOOST_TEST(!db->get(family::sessions, "past", clock.now()).has_value());

    clock.advance(seconds(10));  // exactly at expiry: dead
    BOOST_TEST(!db->get(family::sessions, "short", clock.now()).has_value());
    BOOST_TEST(db->get(family::sessions, "long", clock.now()).value() == "l");
    BOOST_TEST(db->get(family::sessions, "never", clock.now()).value() == "n");
    BOOST_TEST(scan_keys(*db, family::sessions, "", clock.now()) == (std::vector<std::string>{"long", "never"}));
    BOOST_TEST(db->raw_count(family::sessions) == 4u);  // still on disk

    db->compact(family::sessions);
    BOOST_TEST(db->raw_count(family::sessions) == 2u);  // physically gone
    BOOST_TEST(db->get(family::sessions, "long", clock.now()).value() == "l");
    BOOST_TEST(db->get(family::sessions, "never", clock.now()).value() == "n");

    clock.advance(hours(2));
    db->compact(family::sessions);
    db->compact(family::accounts);
    BOOST_TEST(db->raw_count(family::sessions) == 1u);  // only the one with no expiry
    BOOST_TEST(db->get(family::sessions, "never", clock.now()).value() == "n");
    BOOST_TEST(db->get(family::accounts, "acc", clock.now()).value() == "a");
}

BOOST_AUTO_TEST_CASE(prefix_scan_orders_and_pages) {
    temp_dir dir;
    auto db = open_at(dir.sub("db"));
    write_batch b;
    std::vector<std::string> acc1;
    for (int i = 0; i < 5; ++i) {
        auto k = key_builder().add("acc1").add_timestamp(t0 + seconds(i)).take();
        b.put(family::journal, k, "e" + std::to_string(i), t0 + hours(24 * 365));
        acc1.push_back(k);
    }
    b.put(family::journal, key_builder().add("acc10").add_timestamp(t0).take(), "other");
    b.put(family::journal, key_builder().add("acc").add_timestamp(t0).take(), "other");
    b.put(family::journal, key_builder().add("acc1").add_timestamp(t0 + seconds(9)).take(), "old",
          t0 - seconds(1));  // expired
    db->write(b);
    const auto prefix = key_builder().add("acc1").prefix();

    BOOST_TEST(scan_keys(*db, family::journal, prefix, t0) == acc1);
    auto newest_first = scan_keys(*db, family::journal, prefix, t0, scan_order::descending);
    BOOST_TEST(newest_first == std::vector<std::string>(acc1.rbegin(), acc1.rend()));
    std::vector<std::string> values;
    db->scan_prefix(family::journal, prefix, t0, [&](std::string_view, std::string_view v) {
        values.emplace_back(v);
        return true;
    }, scan_order::descending);
    BOOST_TEST(values == (std::vector<std::string>{"e4", "e3", "e2", "e1", "e0"}));

    // Pages of two, newest first, each resuming after the last key seen.
    std::vector<std::string> paged;
    std::string cursor;
    for (;;) {
        auto page = scan_keys(*db, family::journal, prefix, t0, scan_order::descending, cursor, 2);
        if (page.empty()) break;
        paged.insert(paged.end(), page.begin(), page.end());
        cursor = page.back();
    }
    BOOST_TEST(paged == newest_first);
    auto forward_after = scan_keys(*db, family::journal, prefix, t0, scan_order::ascending, acc1[2]);
    BOOST_TEST(forward_after == (std::vector<std::string>{acc1[3], acc1[4]}));
    BOOST_CHECK_THROW(scan_keys(*db, family::journal, prefix, t0, scan_order::ascending, "zzz"),
                      std::invalid_argument);
    BOOST_TEST(scan_keys(*db, family::journal, "", t0).size() == 7u);  // whole family, live only
}

BOOST_AUTO_TEST_CASE(second_open_in_same_process_is_refused_in_french) {
    temp_dir dir;
    const auto path = dir.sub("db");
    auto db = open_at(path);
    try {
        open_at(path);
        BOOST_FAIL("second open succeeded");
    } catch (const store_locked_error& e) {
        const std::string m = e.what();
        BOOST_TEST(m.find("est déjà utilisée par un autre processus sesame") != std::string::npos, m);
        BOOST_TEST(m.find(path) != std::string::npos, m);
    }
    db.reset();
    BOOST_CHECK_NO_THROW(open_at(path));  // free again once closed
}

BOOST_AUTO_TEST_CASE(open_while_another_process_holds_the_lock_is_refused) {
    temp_dir dir;
    const auto path = dir.sub("db");
    open_at(path);  // create, then close
    int ready[2], release[2];
    BOOST_REQUIRE(pipe(ready) == 0);
    BOOST_REQUIRE(pipe(release) == 0);
    const std::string lock_file = path + "/LOCK";
    pid_t child = fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {  // takes RocksDB's fcntl lock like another sesame would
        int fd = ::open(lock_file.c_str(), O_RDWR);
        struct flock fl {};
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        char c = (fd >= 0 && fcntl(fd, F_SETLK, &fl) == 0) ? 'y' : 'n';
        (void)!write(ready[1], &c, 1);
        (void)!read(release[0], &c, 1);
        _exit(0);
    }
    char c = 0;
    BOOST_REQUIRE(read(ready[0], &c, 1) == 1);
    BOOST_REQUIRE(c == 'y');
    BOOST_CHECK_THROW(open_at(path), store_locked_error);
    (void)!write(release[1], "x", 1);
    int status = 0;
    waitpid(child, &status, 0);
    for (int fd : {ready[0], ready[1], release[0], release[1]}) close(fd);
    BOOST_CHECK_NO_THROW(open_at(path));
}

BOOST_AUTO_TEST_CASE(other_open_failures_are_store_errors) {
    temp_dir dir;
    open_options o;
    o.path = dir.sub("missing");
    o.create_if_missing = false;
    try {
        database::open(o);
        BOOST_FAIL("opened a missing database");
    } catch (const store_locked_error&) {
        BOOST_FAIL("a missing database is not a locked one");
    } catch (const store_error& e) {
        BOOST_TEST(std::string(e.what()).find("impossible d'ouvrir") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(checkpoint_of_an_open_store_opens_with_its_data) {
    temp_dir dir;
    auto db = open_at(dir.sub("db"));
    write_batch b;
    b.put(family::accounts, "a1", "before");
    b.put(family::codes, "c1", "code", t0 + hours(1));
    db->write(b);
    db->checkpoint(dir.sub("backup"));
    write_batch later;
    later.put(family::accounts, "a2", "after");
    db->write(later);
    BOOST_CHECK_THROW(db->checkpoint(dir.sub("backup")), store_error);  // exists

    auto copy = open_at(dir.sub("backup"));  // while the original is still open
    BOOST_TEST(copy->get(family::accounts, "a1", t0).value() == "before");
    BOOST_TEST(copy->get(family::codes, "c1", t0).value() == "code");
    BOOST_TEST(!copy->get(family::accounts, "a2", t0).has_value());
    BOOST_TEST(copy->server_secret() == db->server_secret());
    write_batch w;
    w.put(family::accounts, "a3", "in the copy");
    copy->write(w);
    BOOST_TEST(copy->get(family::accounts, "a3", t0).value() == "in the copy");
    BOOST_TEST(!db->get(family::accounts, "a3", t0).has_value());
}

BOOST_AUTO_TEST_CASE(read_only_checkpoint_of_a_store_held_elsewhere) {
    temp_dir dir;
    auto db = open_at(dir.sub("db"));  // the "server" keeps it open and locked
    write_batch b;
    b.put(family::accounts, "flushed", "1");
    db->write(b);
    db->flush();
    write_batch w;
    w.put(family::outbox, "in-wal-only", "2");  // still in the memtable and WAL
    db->write(w);
    database::checkpoint_read_only(dir.sub("db"), dir.sub("backup"));
    BOOST_CHECK_THROW(database::checkpoint_read_only(dir.sub("db"), dir.sub("backup")), store_error);
    auto copy = open_at(dir.sub("backup"));
    BOOST_TEST(copy->get(family::accounts, "flushed", t0).value() == "1");
    BOOST_TEST(copy->get(family::outbox, "in-wal-only", t0).value() == "2");
    BOOST_TEST(copy->server_secret() == db->server_secret());
}

BOOST_AUTO_TEST_CASE(server_secret_and_schema_survive_reopen) {
    temp_dir dir;
    std::string secret;
    {
        auto db = open_at(dir.sub("db"));
        secret = db->server_secret();
        BOOST_TEST(db->schema_version() == database::current_schema_version);
    }
    BOOST_TEST(secret.size() == 32u);
    BOOST_TEST(secret != std::string(32, '\0'));
    auto db = open_at(dir.sub("db"));
    BOOST_TEST(db->server_secret() == secret);
    BOOST_TEST(db->get(family::meta, database::server_secret_key, t0).value() == secret);
    auto other = open_at(dir.sub("other"));
    BOOST_TEST(other->server_secret() != secret);
}

BOOST_AUTO_TEST_CASE(buffered_bulk_writes_survive_flush_and_reopen) {
    temp_dir dir;
    {
        auto db = open_at(dir.sub("db"));
        for (int chunk = 0; chunk < 10; ++chunk) {
            write_batch b;
            for (int i = 0; i < 500; ++i) {
                const auto n = static_cast<std::uint64_t>(chunk * 500 + i);
                b.put(family::accounts, key_builder().add_u64(n).take(), "account " + std::to_string(n));
            }
            db->write(b, durability::buffered);
        }
        db->flush();
        BOOST_TEST(db->stats(family::accounts).sst_bytes > 0u);
    }
    auto db = open_at(dir.sub("db"));
    BOOST_TEST(db->raw_count(family::accounts) == 5000u);
    BOOST_TEST(db->get(family::accounts, key_builder().add_u64(4999).take(), t0).value() == "account 4999");
}

BOOST_AUTO_TEST_CASE(lock_key_serialises_a_read_modify_write_counter) {
    temp_dir dir;
    auto db = open_at(dir.sub("db"));
    auto increment = [&] {
        auto lock = db->lock_key(family::windows, "ip:192.0.2.1");
        auto v = db->get(family::windows, "ip:192.0.2.1", t0);
        std::uint64_t n = v ? decoder(*v).get_varint() : 0;
        write_batch b;
        b.put(family::windows, "ip:192.0.2.1", encoder().put_varint(n + 1).bytes(), t0 + hours(1));
        db->write(b, durability::buffered);
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) increment();
        });
    for (auto& t : threads) t.join();
    auto v = db->get(family::windows, "ip:192.0.2.1", t0);
    BOOST_REQUIRE(v.has_value());
    BOOST_TEST(decoder(*v).get_varint() == 4000u);

    // lock_keys takes several stripes in one order, duplicates once.
    auto locks = db->lock_keys({{family::flows, "f1"}, {family::accounts, "a1"}, {family::flows, "f1"}});
    BOOST_TEST(locks.size() == 2u);
    BOOST_TEST(std::all_of(locks.begin(), locks.end(), [](auto& l) { return l.owns_lock(); }));
}

BOOST_AUTO_TEST_SUITE_END()
