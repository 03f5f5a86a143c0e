// The repository contract, written once and run on the in-memory fake
// (tests/fakes/memory_ports.hpp) and on store::repository over RocksDB in a
// fresh temporary directory; plus the record encodings of store/records.hpp
// and what only one side can show (injected failures, a half-built batch).
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "core/ports.hpp"
#include "store/database.hpp"
#include "store/records.hpp"
#include "store/integrity.hpp"
#include "store/repository.hpp"
#include "tests/fakes/memory_ports.hpp"

using namespace sesame;
namespace fs = std::filesystem;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

// Far ahead of the real clock, which RocksDB's compaction filter may use.
const timestamp t0 = from_millis(1893456000000LL);  // 2030-01-01T00:00:00Z

struct memory_fixture {
    testing::memory_ports ports;
    testing::memory_ports& repo() { return ports; }
};

struct rocksdb_fixture {
    fs::path dir;
    manual_clock compaction_clock{t0};
    std::unique_ptr<store::database> db;
    std::unique_ptr<store::repository> r;

    rocksdb_fixture() {
        std::random_device rd;
        dir = fs::temp_directory_path() /
              ("sesame-repo-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
        fs::create_directories(dir);
        store::open_options o;
        o.path = (dir / "db").string();
        o.clock = &compaction_clock;
        o.block_cache_bytes = 8 << 20;
        db = store::database::open(o);
        r = std::make_unique<store::repository>(*db);
    }
    ~rocksdb_fixture() {
        r.reset();
        db.reset();
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    store::repository& repo() { return *r; }
};

using fixtures = std::tuple<memory_fixture, rocksdb_fixture>;

account make_account(const std::string& identifier) {
    account a;
    a.identifier = identifier;
    a.prof = profile::parent;
    a.first_name = "Marie";
    a.last_name = "Dupont-Lefèvre";
    a.establishment = "0751234A";
    a.academie = "Paris";
    a.class_name = "4e B";
    a.external_id = "EXT-" + identifier;
    a.birth_date = std::chrono::year{2011} / 3 / 14;
    a.children = {"E1", "E2"};
    a.phone = "+33612345678";
    a.email = identifier + "@example.fr";
    a.email_validated = true;
    a.password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
    a.password_history = {"$argon2id$old1", "$argon2id$old2"};
    a.activation_digest = std::string("\x01\x00\xff", 3);
    a.must_change_password = true;
    a.status = account_status::active;
    a.lockout.consecutive_failures = 3;
    a.lockout.lock_count = 2;
    a.lockout.locked_until = t0 + minutes(30);
    a.lockout.hard_locked = true;
    a.lockout.recent_failures = {t0 - hours(2), t0 - hours(1)};
    a.created_at = t0 - days(30);
    a.updated_at = t0;
    a.password_changed_at = t0 - days(1);
    a.staff = staff_info{staff_role::vie_scolaire, {"0751234A", "0759999Z"}, std::string("\0sec", 4), 59'876'543};
    return a;
}

void check_same(const account& a, const account& b) {
    BOOST_TEST(a.identifier == b.identifier);
    BOOST_TEST((a.prof == b.prof));
    BOOST_TEST(a.first_name == b.first_name);
    BOOST_TEST(a.last_name == b.last_name);
    BOOST_TEST(a.establishment == b.establishment);
    BOOST_TEST(a.academie == b.academie);
    BOOST_TEST(a.class_name == b.class_name);
    BOOST_TEST(a.external_id == b.external_id);
    BOOST_TEST((a.birth_date == b.birth_date));
    BOOST_TEST(a.children == b.children, boost::test_tools::per_element());
    BOOST_TEST((a.phone == b.phone));
    BOOST_TEST(a.email == b.email);
    BOOST_TEST(a.email_validated == b.email_validated);
    BOOST_TEST(a.password_hash == b.password_hash);
    BOOST_TEST(a.password_history == b.password_history, boost::test_tools::per_element());
    BOOST_TEST(a.activation_digest == b.activation_digest);
    BOOST_TEST(a.must_change_password == b.must_change_password);
    BOOST_TEST((a.status == b.status));
    BOOST_TEST(a.lockout.consecutive_failures == b.lockout.consecutive_failures);
    BOOST_TEST(a.lockout.lock_count == b.lockout.lock_count);
    BOOST_TEST((a.lockout.locked_until == b.lockout.locked_until));
    BOOST_TEST(a.lockout.hard_locked == b.lockout.hard_locked);
    BOOST_TEST((a.lockout.recent_failures == b.lockout.recent_failures));
    BOOST_TEST((a.created_at == b.created_at));
    BOOST_TEST((a.updated_at == b.updated_at));
    BOOST_TEST((a.password_changed_at == b.password_changed_at));
    BOOST_REQUIRE(a.staff.has_value() == b.staff.has_value());
    if (a.staff) {
        BOOST_TEST((a.staff->role == b.staff->role));
        BOOST_TEST(a.staff->scope == b.staff->scope, boost::test_tools::per_element());
        BOOST_TEST(a.staff->totp_secret == b.staff->totp_secret);
        BOOST_TEST(a.staff->last_totp_step == b.staff->last_totp_step);
    }
}

session_record make_session(const std::string& digest, const std::string& identifier, timestamp created,
                            timestamp absolute) {
    return session_record{digest, identifier, created, created, absolute, "203.0.113.7", "Firefox"};
}

journal_entry make_entry(timestamp at, const std::string& type) {
    return journal_entry{at, type, "203.0.113.7", "Firefox", "self", "détail " + type, {}};
}

outbox_message make_message(const std::string& id, message_status status, timestamp next) {
    outbox_message m;
    m.id = id;
    m.ch = channel::email;
    m.to = "eleve@example.fr";
    m.subject = "Votre code";
    m.text = "Code : 123456";
    m.html = "<p>Code : 123456</p>";
    m.reference = "R-7K3F-92QX";
    m.purpose = "recovery_code";
    m.identifier = "m.dupont";
    m.created_at = t0;
    m.not_after = t0 + minutes(15);
    m.status = status;
    m.attempts = 2;
    m.next_attempt_at = next;
    m.history = {{t0, "temporary_failure", "451 try later"}, {t0 + seconds(30), "accepted", "250 OK"}};
    return m;
}

void create(change_sink& sink, const account& a) {
    changes c;
    c.accounts.push_back(a);
    sink.apply(c);
}

void update(change_sink& sink, const account& before, const account& after) {
    changes c;
    c.accounts.push_back(after);
    sink.apply(c);
}

std::vector<std::string> types_of(const journal_page& p) {
    std::vector<std::string> out;
    for (const auto& e : p.entries) out.push_back(e.type);
    return out;
}

using strings = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(repository_contract)

BOOST_AUTO_TEST_CASE_TEMPLATE(create_find_and_exists, F, fixtures) {
    F f;
    auto& r = f.repo();
    BOOST_TEST(!r.identifier_exists("m.dupont"));
    BOOST_TEST(!r.find_account("m.dupont").has_value());
    const account a = make_account("m.dupont");
    create(r, a);
    create(r, make_account("m.dupont1"));
    BOOST_TEST(r.identifier_exists("m.dupont"));
    BOOST_TEST(!r.identifier_exists("m.dupon"));
    auto found = r.find_account("m.dupont");
    BOOST_REQUIRE(found.has_value());
    check_same(*found, a);
    BOOST_TEST(r.identifier_by_external_id("0751234A", "EXT-m.dupont").value_or("") == "m.dupont");
    BOOST_TEST(!r.identifier_by_external_id("0759999Z", "EXT-m.dupont").has_value());
    BOOST_TEST(r.identifiers_by_email("m.dupont@example.fr") == strings{"m.dupont"}, boost::test_tools::per_element());
    BOOST_TEST(r.count_accounts() == 2u);
    // A lookup key that cannot be stored finds nothing instead of throwing.
    BOOST_TEST(!r.find_account(std::string_view("m.dupont\0x", 10)).has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(index_maintenance, F, fixtures) {
    F f;
    auto& r = f.repo();
    const account a = make_account("m.dupont");
    create(r, a);
    account b = make_account("p.martin");
    b.phone = "+33699999999";
    create(r, b);
    BOOST_TEST(r.identifiers_by_phone("+33612345678") == strings{"m.dupont"}, boost::test_tools::per_element());

    account a2 = a;
    a2.phone = "+33699999999";  // now shared with p.martin
    a2.email = "marie@example.fr";
    a2.external_id = "EXT-NEW";
    update(r, a, a2);
    BOOST_TEST(r.identifiers_by_phone("+33612345678").empty());
    BOOST_TEST(r.identifiers_by_phone("+33699999999") == (strings{"m.dupont", "p.martin"}),
               boost::test_tools::per_element());
    BOOST_TEST(r.identifiers_by_email("m.dupont@example.fr").empty());
    BOOST_TEST(r.identifiers_by_email("marie@example.fr") == strings{"m.dupont"}, boost::test_tools::per_element());
    BOOST_TEST(!r.identifier_by_external_id("0751234A", "EXT-m.dupont").has_value());
    BOOST_TEST(r.identifier_by_external_id("0751234A", "EXT-NEW").value_or("") == "m.dupont");

    // A change elsewhere keeps the indexes; removing the phone drops its key.
    account a3 = a2;
    a3.first_name = "Marion";
    a3.phone.reset();
    update(r, a2, a3);
    BOOST_TEST(r.identifiers_by_phone("+33699999999") == strings{"p.martin"}, boost::test_tools::per_element());
    BOOST_TEST(r.identifiers_by_email("marie@example.fr") == strings{"m.dupont"}, boost::test_tools::per_element());
    BOOST_TEST(r.identifier_by_external_id("0751234A", "EXT-NEW").value_or("") == "m.dupont");
    BOOST_TEST(r.find_account("m.dupont")->first_name == "Marion");
    // A moved establishment moves the external id key.
    account a4 = a3;
    a4.establishment = "0759999Z";
    update(r, a3, a4);
    BOOST_TEST(!r.identifier_by_external_id("0751234A", "EXT-NEW").has_value());
    BOOST_TEST(r.identifier_by_external_id("0759999Z", "EXT-NEW").value_or("") == "m.dupont");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(sessions_put_find_list_delete_expire, F, fixtures) {
    F f;
    auto& r = f.repo();
    const std::string d1("\x00\x01digest-one", 12), d2("\xff\x00digest-two", 12), d3("digest-three");
    changes c;
    c.synced = false;
    c.sessions_put = {make_session(d1, "m.dupont", t0, t0 + hours(1)),
                      make_session(d2, "m.dupont", t0 + seconds(1), t0 + hours(2)),
                      make_session(d3, "m.dupont1", t0 + seconds(2), t0 + hours(2))};
    r.apply(c);
    auto s1 = r.find_session(d1, t0);
    BOOST_REQUIRE(s1.has_value());
    BOOST_TEST(s1->digest == d1);
    BOOST_TEST(s1->identifier == "m.dupont");
    BOOST_TEST(s1->user_agent == "Firefox");
    BOOST_TEST(to_millis(s1->absolute_expires_at) == to_millis(t0 + hours(1)));
    auto list = r.sessions_of("m.dupont", t0);
    BOOST_REQUIRE(list.size() == 2u);
    BOOST_TEST(list[0].digest == d2);  // newest first
    BOOST_TEST(list[1].digest == d1);

    // The absolute expiry hides a session, from both lookups.
    BOOST_TEST(!r.find_session(d1, t0 + hours(1)).has_value());
    BOOST_TEST(r.find_session(d1, t0 + hours(1) - milliseconds(1)).has_value());
    list = r.sessions_of("m.dupont", t0 + hours(1));
    BOOST_REQUIRE(list.size() == 1u);
    BOOST_TEST(list[0].digest == d2);

    changes del;
    del.sessions_deleted = {make_session(d2, "m.dupont", t0 + seconds(1), t0 + hours(2))};
    r.apply(del);
    BOOST_TEST(!r.find_session(d2, t0).has_value());
    BOOST_TEST(r.sessions_of("m.dupont", t0).size() == 1u);  // d1 only
    BOOST_TEST(r.sessions_of("m.dupont1", t0).size() == 1u);
    BOOST_TEST(r.find_session(d3, t0).has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(journal_newest_first_with_cursors, F, fixtures) {
    F f;
    auto& r = f.repo();
    for (int i = 0; i < 5; ++i) {
        changes c;
        c.synced = false;
        c.add_journal("m.dupont", make_entry(t0 + seconds(i), "e" + std::to_string(i)));
        r.apply(c);
    }
    changes other;  // a neighbour whose key starts with the same letters
    other.add_journal("m.dupont1", make_entry(t0 + seconds(10), "other"));
    r.apply(other);

    auto p1 = r.read_journal("m.dupont", 2, {}, t0 + minutes(1));
    BOOST_TEST(types_of(p1) == (strings{"e4", "e3"}), boost::test_tools::per_element());
    BOOST_REQUIRE(!p1.next.empty());
    BOOST_TEST(p1.next == p1.entries.back().cursor);
    BOOST_TEST(p1.entries[0].ip == "203.0.113.7");
    BOOST_TEST(p1.entries[0].detail == "détail e4");
    BOOST_TEST(to_millis(p1.entries[0].at) == to_millis(t0 + seconds(4)));
    for (char ch : p1.next) BOOST_TEST(((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')));  // URL-safe
    auto p2 = r.read_journal("m.dupont", 2, p1.next, t0 + minutes(1));
    BOOST_TEST(types_of(p2) == (strings{"e2", "e1"}), boost::test_tools::per_element());
    BOOST_REQUIRE(!p2.next.empty());
    auto p3 = r.read_journal("m.dupont", 2, p2.next, t0 + minutes(1));
    BOOST_TEST(types_of(p3) == strings{"e0"}, boost::test_tools::per_element());
    BOOST_TEST(p3.next.empty());
    // Exactly `limit` left: no further page is announced.
    auto all = r.read_journal("m.dupont", 5, {}, t0 + minutes(1));
    BOOST_TEST(all.entries.size() == 5u);
    BOOST_TEST(all.next.empty());

    // A malformed cursor gives an empty page, without throwing.
    auto bad = r.read_journal("m.dupont", 2, "not-a-cursor", t0);
    BOOST_TEST(bad.entries.empty());
    BOOST_TEST(bad.next.empty());
    // Entries expire 400 days after they happened.
    BOOST_TEST(r.read_journal("m.dupont", 10, {}, t0 + days(400) + seconds(2)).entries.size() == 2u);
    BOOST_TEST(r.read_journal("m.dupont", 10, {}, t0 + days(401)).entries.empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(journal_same_millisecond_entries_kept, F, fixtures) {
    F f;
    auto& r = f.repo();
    changes c;
    c.add_journal("m.dupont", make_entry(t0, "first"));
    c.add_journal("m.dupont", make_entry(t0, "second"));
    r.apply(c);
    changes d;
    d.add_journal("m.dupont", make_entry(t0, "third"));
    r.apply(d);
    auto p = r.read_journal("m.dupont", 10, {}, t0);
    BOOST_TEST(types_of(p) == (strings{"third", "second", "first"}), boost::test_tools::per_element());
    auto p1 = r.read_journal("m.dupont", 1, {}, t0);
    auto p2 = r.read_journal("m.dupont", 1, p1.next, t0);
    BOOST_TEST(types_of(p2) == strings{"second"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(rate_limit_window, F, fixtures) {
    F f;
    auto& r = f.repo();
    const rate_limit limit{3, seconds(10)};
    for (int i = 0; i < 3; ++i) BOOST_TEST(r.take("login_fail_ip:203.0.113.7", limit, t0 + seconds(i)).allowed);
    auto refused = r.take("login_fail_ip:203.0.113.7", limit, t0 + seconds(3));
    BOOST_TEST(!refused.allowed);
    BOOST_TEST(refused.retry_after.count() > 0);
    BOOST_TEST(refused.retry_after.count() == 7000);  // the first event leaves at t0 + 10 s
    BOOST_TEST(!r.check("login_fail_ip:203.0.113.7", limit, t0 + seconds(3)).allowed);
    BOOST_TEST(r.check("login_fail_ip:198.51.100.1", limit, t0 + seconds(3)).allowed);  // other key
    BOOST_TEST(r.take("login_fail_ip:203.0.113.7", limit, t0 + seconds(10)).allowed);
    // A whole window later the record has expired.
    BOOST_TEST(r.take("login_fail_ip:203.0.113.7", limit, t0 + seconds(30)).allowed);

    // add() counts whether or not allowed; check() never does.
    for (int i = 0; i < 5; ++i) BOOST_TEST(r.check("recovery_identifier:m.dupont", limit, t0).allowed);
    for (int i = 0; i < 3; ++i) r.add("recovery_identifier:m.dupont", limit, t0);
    BOOST_TEST(!r.check("recovery_identifier:m.dupont", limit, t0 + seconds(9)).allowed);
    BOOST_TEST(r.check("recovery_identifier:m.dupont", limit, t0 + seconds(10)).allowed);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(rate_limit_concurrent_takes, F, fixtures) {
    F f;
    auto& r = f.repo();
    const rate_limit limit{100, minutes(10)};
    std::atomic<int> allowed{0};
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            ++ready;
            while (ready.load() < 4) std::this_thread::yield();  // start together: maximum contention
            for (int i = 0; i < 100; ++i)
                if (r.take("sms_global", limit, t0 + milliseconds(t * 100 + i)).allowed) ++allowed;
        });
    for (auto& th : threads) th.join();
    BOOST_TEST(allowed.load() == 100);
    BOOST_TEST(!r.check("sms_global", limit, t0 + seconds(1)).allowed);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(lock_account_serialises_read_modify_write, F, fixtures) {
    F f;
    auto& r = f.repo();
    account a = make_account("m.dupont");
    a.lockout = {};
    create(r, a);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 25; ++i) {
                auto lock = r.lock_account("m.dupont");
                auto before = r.find_account("m.dupont").value();
                auto after = before;
                ++after.lockout.consecutive_failures;
                changes c;
                c.synced = false;
                c.accounts.push_back(after);
                r.apply(c);
            }
        });
    for (auto& th : threads) th.join();
    BOOST_TEST(r.find_account("m.dupont")->lockout.consecutive_failures == 100u);
}

// The staff console's reads: the name-prefix search in identifier order
// with its filter and cursor, the staff list, the audit log's pages.
BOOST_AUTO_TEST_CASE_TEMPLATE(staff_directory_search_staff_and_audit, F, fixtures) {
    F f;
    auto user = [](const std::string& id, const std::string& first, const std::string& last, const char* uai) {
        account a;
        a.identifier = id;
        a.first_name = first;
        a.last_name = last;
        a.establishment = uai;
        a.external_id = "X-" + id;
        return a;
    };
    changes c;
    for (const auto& a : {user("m.dupont", "Marie", "Dupont", "0751234A"), user("l.dupont", "Lucas", "Dupont", "0931234X"),
                          user("e.legall", "Élodie", "Le Gall", "0751234A"), user("m.martin", "Marc", "Martin", "0751234A")})
        c.accounts.push_back(a);
    account staff = make_account("sec.paris");
    c.accounts.push_back(staff);
    for (int i = 0; i < 5; ++i) {
        audit_entry e;
        e.at = t0 + seconds(i);
        e.actor = "sec.paris";
        e.action = "account.read";
        e.target = "t" + std::to_string(i);
        e.establishment = i % 2 ? "0751234A" : "";
        c.audit.push_back(e);
    }
    f.repo().apply(c);
    auto search = [&](const std::string& prefix, const std::string& after = {}, std::size_t limit = 10) {
        return f.repo().search_names({prefix, after, limit, [](std::string_view uai, profile) { return uai == "0751234A"; }});
    };
    BOOST_TEST((search("dup") == std::vector<std::string>{"m.dupont"}));
    BOOST_TEST((search("m") == std::vector<std::string>{"m.dupont", "m.martin"}));  // identifiers, names
    BOOST_TEST((search("gall") == std::vector<std::string>{"e.legall"}));
    BOOST_TEST((search("m", "m.dupont") == std::vector<std::string>{"m.martin"}));
    BOOST_TEST((search("m", {}, 1) == std::vector<std::string>{"m.dupont", "m.martin"}));  // limit + 1
    BOOST_TEST(search("sec").empty());  // staff are not user accounts
    const auto list = f.repo().staff_accounts();
    BOOST_REQUIRE(list.size() == 1u);
    BOOST_TEST(list[0].identifier == "sec.paris");
    BOOST_TEST((f.repo().identifiers_in("0931234X") == std::vector<std::string>{"l.dupont"}));
    // Renamed: the old tokens go, in the same batch.
    account renamed = user("m.martin", "Marc", "Bernard", "0751234A");
    changes r;
    r.accounts.push_back(renamed);
    f.repo().apply(r);
    BOOST_TEST(search("mart").empty());
    BOOST_TEST((search("bern") == std::vector<std::string>{"m.martin"}));

    // Many accounts under one token, pages of 7: every identifier once, in order
    // (the store skips through a token's run with seeks).
    changes many;
    std::vector<std::string> expected;
    for (int i = 0; i < 40; ++i) {
        const std::string id = "p.petit" + std::to_string(i);
        many.accounts.push_back(user(id, "Paul", "Petit", "0751234A"));
        expected.push_back(id);
    }
    many.accounts.push_back(user("a.petitjean", "Anne", "Petitjean", "0751234A"));
    expected.push_back("a.petitjean");
    f.repo().apply(many);
    std::sort(expected.begin(), expected.end());
    std::vector<std::string> paged;
    std::string cursor;
    for (int page_no = 0; page_no < 20; ++page_no) {
        auto got = search("peti", cursor, 7);
        const bool more = got.size() == 8;
        if (more) got.pop_back();
        paged.insert(paged.end(), got.begin(), got.end());
        if (!more) break;
        cursor = got.back();
    }
    BOOST_TEST(paged == expected, boost::test_tools::per_element());

    auto visible = [](const audit_entry& e) { return !e.establishment.empty(); };
    const auto page = f.repo().read_audit(1, {}, visible, t0 + hours(1));
    BOOST_REQUIRE(page.entries.size() == 1u);
    BOOST_TEST(page.entries[0].target == "t3");  // newest visible first
    const auto next = f.repo().read_audit(5, page.next, visible, t0 + hours(1));
    BOOST_REQUIRE(next.entries.size() == 1u);
    BOOST_TEST(next.entries[0].target == "t1");
    BOOST_TEST(f.repo().read_audit(10, {}, nullptr, t0 + hours(1)).entries.size() == 5u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(apply_writes_everything_at_once, F, fixtures) {
    F f;
    auto& r = f.repo();
    changes c;
    c.accounts.push_back(make_account("m.dupont"));
    c.sessions_put.push_back(make_session("dg", "m.dupont", t0, t0 + hours(8)));
    c.add_journal("m.dupont", make_entry(t0, journal_type::activation_completed));
    c.outbox.push_back(make_message("0123456789abcdef0123456789abcdef", message_status::pending, t0));
    BOOST_TEST(!c.empty());
    r.apply(c);
    BOOST_TEST(r.identifier_exists("m.dupont"));
    BOOST_TEST(r.identifiers_by_phone("+33612345678") == strings{"m.dupont"}, boost::test_tools::per_element());
    BOOST_TEST(r.find_session("dg", t0).has_value());
    BOOST_TEST(r.sessions_of("m.dupont", t0).size() == 1u);
    BOOST_TEST(types_of(r.read_journal("m.dupont", 5, {}, t0)) == strings{journal_type::activation_completed},
               boost::test_tools::per_element());
    BOOST_TEST(r.find_message("0123456789abcdef0123456789abcdef").has_value());
    r.apply(changes{});  // nothing to write: no error
}

BOOST_AUTO_TEST_CASE_TEMPLATE(outbox_put_find_pending, F, fixtures) {
    F f;
    auto& r = f.repo();
    r.put_message(make_message("aa", message_status::pending, t0 + seconds(5)));
    r.put_message(make_message("bb", message_status::pending, t0 + seconds(1)));
    r.put_message(make_message("cc", message_status::sent, t0));
    auto m = r.find_message("aa");
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(m->reference == "R-7K3F-92QX");
    BOOST_TEST(m->html == "<p>Code : 123456</p>");
    BOOST_TEST(m->attempts == 2u);
    BOOST_TEST((m->not_after == t0 + minutes(15)));
    BOOST_REQUIRE(m->history.size() == 2u);
    BOOST_TEST(m->history[1].result == "accepted");
    BOOST_TEST(m->history[1].detail == "250 OK");
    BOOST_TEST(!r.find_message("dd").has_value());

    auto pending = r.pending_outbox(t0);
    BOOST_REQUIRE(pending.size() == 2u);
    BOOST_TEST(pending[0].id == "bb");  // by next_attempt_at
    BOOST_TEST(pending[1].id == "aa");

    m->status = message_status::delivered;
    m->history.push_back({t0 + minutes(1), "report:delivered", "DLR 1"});
    r.put_message(*m);
    pending = r.pending_outbox(t0);
    BOOST_REQUIRE(pending.size() == 1u);
    BOOST_TEST(pending[0].id == "bb");
    BOOST_TEST(r.find_message("aa")->history.size() == 3u);
    BOOST_TEST((r.find_message("aa")->status == message_status::delivered));
}

// Codes live nowhere but in HMACs: once settled, a message keeps no text.
BOOST_AUTO_TEST_CASE_TEMPLATE(settled_messages_keep_no_text, F, fixtures) {
    F f;
    auto& r = f.repo();
    r.put_message(make_message("aa", message_status::pending, t0));
    BOOST_TEST(r.find_message("aa")->html == "<p>Code : 123456</p>");
    auto m = *r.find_message("aa");
    m.status = message_status::sent;
    r.put_message(m);
    const auto kept = r.find_message("aa");
    BOOST_REQUIRE(kept.has_value());
    BOOST_TEST(kept->text.empty());
    BOOST_TEST(kept->html.empty());
    BOOST_TEST(kept->reference == "R-7K3F-92QX");
    BOOST_TEST(kept->history.size() == 2u);
    changes c;
    c.outbox.push_back(make_message("bb", message_status::refused, t0));
    r.apply(c);
    BOOST_TEST(r.find_message("bb")->html.empty());
}

BOOST_AUTO_TEST_SUITE_END()

// What only one side of the contract can show.
BOOST_AUTO_TEST_SUITE(repository_sides)

BOOST_AUTO_TEST_CASE(fake_counts_applies_records_notifications_and_injects_failures) {
    testing::memory_ports p;
    changes synced;
    synced.accounts.push_back(make_account("m.dupont"));
    p.apply(synced);
    changes buffered;
    buffered.synced = false;
    buffered.add_journal("m.dupont", make_entry(t0, "login_succeeded"));
    p.apply(buffered);
    BOOST_TEST(p.synced_applies() == 1u);
    BOOST_TEST(p.buffered_applies() == 1u);

    p.fail_next_applies();
    changes failing;
    failing.accounts.push_back(make_account("p.martin"));
    failing.outbox.push_back(make_message("ff", message_status::pending, t0));
    BOOST_CHECK_THROW(p.apply(failing), infrastructure_error);
    BOOST_TEST(!p.identifier_exists("p.martin"));
    BOOST_TEST(p.all_messages().empty());
    BOOST_TEST(p.failed_applies() == 1u);
    p.apply(failing);  // only the next one failed
    BOOST_TEST(p.identifier_exists("p.martin"));
    BOOST_TEST(p.synced_applies() == 2u);

    auto ports = p.ports();
    ports.notifier.notify({"ff", "ee"});
    BOOST_TEST(p.notifier.ids() == (strings{"ff", "ee"}), boost::test_tools::per_element());
    BOOST_TEST(p.notifier.calls() == 1u);
}

BOOST_AUTO_TEST_CASE(rocksdb_batch_that_fails_to_build_writes_nothing) {
    rocksdb_fixture f;
    changes c;
    c.accounts.push_back(make_account("m.dupont"));
    c.outbox.push_back(make_message("aa", message_status::pending, t0));
    c.add_journal(std::string("bad\0id", 6), make_entry(t0, "x"));  // not a valid key part
    BOOST_CHECK_THROW(f.repo().apply(c), std::invalid_argument);
    BOOST_TEST(!f.repo().identifier_exists("m.dupont"));
    BOOST_TEST(!f.repo().find_message("aa").has_value());
}

BOOST_AUTO_TEST_CASE(rocksdb_flow_update_rewrites_its_index_keys_only_when_they_change) {
    rocksdb_fixture f;
    recovery_flow flow;
    flow.id = "flow-1";
    flow.reference = "R-AAAA-BBBB";
    flow.identifier = "m.dupont";
    flow.created_at = t0;
    flow.code_expires_at = t0 + minutes(15);
    auto put = [&] {
        changes c;
        c.flows_put.push_back(flow);
        const auto before = f.db->written().keys;
        f.repo().apply(c);
        return f.db->written().keys - before;
    };
    BOOST_TEST(put() == 3u);  // the flow, its reference, its account index
    ++flow.failed_attempts;   // a wrong code: same expiry, same key parts
    BOOST_TEST(put() == 1u);
    BOOST_TEST(f.repo().find_flow("flow-1", t0)->failed_attempts == 1u);
    BOOST_TEST(f.repo().find_flow_by_reference("R-AAAA-BBBB", t0)->failed_attempts == 1u);
    BOOST_TEST(f.repo().flows_of("m.dupont", 10, t0).size() == 1u);
    // A resend moves the expiry: the index keys follow it, so the reference
    // still answers after the first expiry has passed.
    flow.code_expires_at = t0 + hours(1);
    BOOST_TEST(put() == 3u);
    const timestamp between = t0 + minutes(15) + days(7) + minutes(1);
    BOOST_TEST(f.repo().find_flow_by_reference("R-AAAA-BBBB", between).has_value());
    BOOST_TEST(f.repo().flows_of("m.dupont", 10, between).size() == 1u);
}

BOOST_AUTO_TEST_CASE(rocksdb_survives_reopen) {
    rocksdb_fixture f;
    create(f.repo(), make_account("m.dupont"));
    f.r.reset();
    f.db.reset();
    store::open_options o;
    o.path = (f.dir / "db").string();
    o.clock = &f.compaction_clock;
    f.db = store::database::open(o);
    f.r = std::make_unique<store::repository>(*f.db);
    auto a = f.repo().find_account("m.dupont");
    BOOST_REQUIRE(a.has_value());
    check_same(*a, make_account("m.dupont"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(store_records)

BOOST_AUTO_TEST_CASE(account_round_trips) {
    const account full = make_account("m.dupont");
    check_same(store::decode_account(store::encode_account(full)), full);
    account bare;  // every optional empty, every vector empty, times before 1970
    bare.identifier = "x";
    bare.created_at = from_millis(-5);
    const auto back = store::decode_account(store::encode_account(bare));
    check_same(back, bare);
    BOOST_TEST(to_millis(back.created_at) == -5);
    const std::string bytes = store::encode_account(full);
    BOOST_TEST(static_cast<int>(static_cast<unsigned char>(bytes[0])) == store::account_format_version);
    // A record of the first layout (no last_login_at) still decodes.
    BOOST_REQUIRE(!full.last_login_at.has_value());
    std::string v1 = bytes;
    v1.pop_back();  // the absent optional's one byte
    v1[0] = 1;
    check_same(store::decode_account(v1), full);
    account seen = full;
    seen.last_login_at = t0;
    BOOST_TEST(to_millis(*store::decode_account(store::encode_account(seen)).last_login_at) == to_millis(t0));
}

BOOST_AUTO_TEST_CASE(session_entry_and_message_round_trip) {
    const auto s = make_session(std::string("\0\x01\xfe", 3), "m.dupont", t0, t0 + hours(8));
    const auto s2 = store::decode_session(store::encode_session(s));
    BOOST_TEST(s2.digest == s.digest);
    BOOST_TEST(s2.identifier == s.identifier);
    BOOST_TEST(s2.ip == s.ip);
    BOOST_TEST(s2.user_agent == s.user_agent);
    BOOST_TEST(to_millis(s2.created_at) == to_millis(s.created_at));
    BOOST_TEST(to_millis(s2.last_seen_at) == to_millis(s.last_seen_at));
    BOOST_TEST(to_millis(s2.absolute_expires_at) == to_millis(s.absolute_expires_at));

    const auto e = make_entry(t0, "login_failed");
    const auto e2 = store::decode_journal_entry(store::encode_journal_entry(e));
    BOOST_TEST((std::tie(e2.type, e2.ip, e2.user_agent, e2.actor, e2.detail) ==
                std::tie(e.type, e.ip, e.user_agent, e.actor, e.detail)));
    BOOST_TEST(to_millis(e2.at) == to_millis(e.at));

    auto m = make_message("aa", message_status::abandoned, t0 + seconds(9));
    m.ch = channel::sms;
    m.not_after.reset();
    const auto m2 = store::decode_outbox_message(store::encode_outbox_message(m));
    BOOST_TEST((std::tie(m2.id, m2.to, m2.subject, m2.text, m2.html, m2.reference, m2.purpose, m2.identifier) ==
                std::tie(m.id, m.to, m.subject, m.text, m.html, m.reference, m.purpose, m.identifier)));
    BOOST_TEST((m2.ch == channel::sms));
    BOOST_TEST((m2.status == message_status::abandoned));
    BOOST_TEST(!m2.not_after.has_value());
    BOOST_TEST(m2.attempts == 2u);
    BOOST_TEST(to_millis(m2.next_attempt_at) == to_millis(t0 + seconds(9)));
    BOOST_REQUIRE(m2.history.size() == 2u);
    BOOST_TEST(m2.history[0].result == "temporary_failure");
    BOOST_TEST(to_millis(m2.history[1].at) == to_millis(t0 + seconds(30)));
}

BOOST_AUTO_TEST_CASE(bad_records_are_store_errors) {
    std::string bytes = store::encode_account(make_account("m.dupont"));
    std::string other_version = bytes;
    other_version[0] = 3;
    BOOST_CHECK_THROW(store::decode_account(other_version), store::store_error);
    BOOST_CHECK_THROW(store::decode_account(bytes + "x"), store::store_error);
    BOOST_CHECK_THROW(store::decode_account(bytes.substr(0, bytes.size() - 1)), store::store_error);
    BOOST_CHECK_THROW(store::decode_session(""), store::store_error);
    std::string msg = store::encode_outbox_message(make_message("aa", message_status::pending, t0));
    msg[0] = 0;
    BOOST_CHECK_THROW(store::decode_outbox_message(msg), store::store_error);
    std::string entry = store::encode_journal_entry(make_entry(t0, "x"));
    BOOST_CHECK_THROW(store::decode_journal_entry(entry.substr(0, 3)), store::store_error);
    account invalid_date;
    invalid_date.birth_date = std::chrono::year{2011} / 2 / 30;
    BOOST_CHECK_THROW(store::encode_account(invalid_date), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(journal_cursor_round_trips_to_its_key) {
    const std::string key = store::keys::journal("m.dupont", t0, 42);
    const std::string cursor = store::keys::journal_cursor(key);
    BOOST_TEST(cursor.size() == 32u);
    BOOST_TEST(store::keys::journal_key_from_cursor("m.dupont", cursor).value_or("") == key);
    BOOST_TEST(!store::keys::journal_key_from_cursor("m.dupont", cursor.substr(1)).has_value());
    BOOST_TEST(!store::keys::journal_key_from_cursor("m.dupont", "ZZ" + cursor.substr(2)).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// `sesame check`: a clean store, then a stale, a missing and a wrong index
// record found, and repaired.
BOOST_FIXTURE_TEST_CASE(integrity_check_and_repair, rocksdb_fixture) {
    changes c;
    c.accounts.push_back(make_account("m.dupont"));
    c.accounts.push_back(make_account("l.dupont"));
    repo().apply(c);
    auto report = store::check_store(*db, false, t0);
    BOOST_TEST(report.clean(), (report.problems.empty() ? "" : report.problems.front()));
    BOOST_TEST(report.accounts == 2u);
    store::write_batch damage;
    damage.put(store::family::phones, store::keys::phone("+33699999999", "nobody"), "");  // stale
    damage.del(store::family::emails, store::keys::email("m.dupont@example.fr", "m.dupont"));  // missing
    damage.put(store::family::external_ids, store::keys::external_id("0751234A", "EXT-l.dupont"), "m.dupont");  // wrong
    db->write(damage);
    report = store::check_store(*db, false, t0);
    BOOST_TEST(report.problem_count == 3u);
    report = store::check_store(*db, true, t0);
    BOOST_TEST(report.repaired == 3u);
    BOOST_TEST(store::check_store(*db, false, t0).clean());
    BOOST_TEST((repo().identifiers_by_email("m.dupont@example.fr") == std::vector<std::string>{"m.dupont"}));
    BOOST_TEST(repo().identifiers_by_phone("+33699999999").empty());
}
