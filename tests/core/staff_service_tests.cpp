// The staff console's use cases (core/staff_service.hpp) over the in-memory
// ports, the deterministic crypto fakes and explicit time: contact changes
// (effect, notice, flows killed, journal, audit in the same batch), refusals
// that change nothing, unlock, activation codes, search, diagnostics by
// reference, the audit log's scopes and staff management.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/account_import.hpp"
#include "core/staff_service.hpp"
#include "tests/fakes/fake_crypto.hpp"
#include "tests/fakes/memory_ports.hpp"

using namespace sesame;
using namespace std::chrono_literals;
using testing::fake_hasher;

namespace {

const timestamp t0 = from_millis(1'795'629'731'000);  // 2026-11-25T18:02:11Z
const client_info office{"192.0.2.10", "Mozilla/5.0 (Windows NT 10.0) Firefox/140.0"};
const client_info family{"203.0.113.7", "Mozilla/5.0 (iPhone) Safari/604.1"};
constexpr const char* password = "Brume-Cobalt7-Falaise-Oxyde";

struct staff_fixture {
    testing::memory_ports store;
    testing::fake_crypto crypto;
    fake_hasher hasher{2};
    account_policy policy;
    std::unique_ptr<account_service> accounts;
    std::unique_ptr<recovery_service> recovery;
    std::unique_ptr<staff_service> staff;
    int next_external = 0;

    staff_fixture() {
        accounts = std::make_unique<account_service>(store.ports(), crypto, hasher, policy);
        accounts->set_dummy_hash(fake_hasher::encode(hasher.cost(), "dummy"));
        recovery = std::make_unique<recovery_service>(store.ports(), store, *accounts, crypto, hasher, recovery_policy{},
                                                      "server-secret");
        staff = std::make_unique<staff_service>(store.ports(), store, store, store, *accounts, *recovery, crypto, hasher);
    }

    // An active user account of `uai` with `password`.
    account add_user(const std::string& first, const std::string& last, profile p, const std::string& uai,
                     std::optional<std::string> phone = std::nullopt, std::string email = {}) {
        account_row row;
        row.prof = p;
        row.external_id = "EXT" + std::to_string(++next_external);
        row.first_name = first;
        row.last_name = last;
        row.establishment = uai;
        row.phone = std::move(phone);
        row.email = email;
        account a = make_account(row, [&](std::string_view id) { return store.identifier_exists(id); }, crypto,
                                 t0 - std::chrono::days(1))
                        .acc;
        a.password_hash = fake_hasher::encode(hasher.cost(), password);
        a.status = account_status::active;
        a.must_change_password = false;
        a.activation_digest.clear();
        a.email_validated = !email.empty();
        put(a);
        return a;
    }
    staff_caller add_staff(const std::string& login, staff_role role, std::vector<std::string> scope) {
        account a;
        a.identifier = login;
        a.prof = profile::staff;
        a.status = account_status::active;
        a.password_hash = fake_hasher::encode(hasher.cost(), password);
        a.staff = staff_info{role, std::move(scope), "totp-secret", 0};
        put(a);
        return staff_caller{a, office};
    }
    void put(const account& a) { store.put_account(a); }
    account stored(const std::string& id) { return store.find_account(id).value(); }
    std::size_t count(const std::string& id, std::string_view type, std::string_view actor = {}) {
        std::size_t n = 0;
        for (const auto& e : store.read_journal(id, 1000, {}, t0 + 1h).entries)
            n += e.type == type && (actor.empty() || e.actor == actor);
        return n;
    }
    std::vector<outbox_message> messages_to(const std::string& to) {
        std::vector<outbox_message> out;
        for (const auto& m : store.all_messages())
            if (m.to == to) out.push_back(m);
        return out;
    }
    std::vector<audit_entry> audit(std::string_view action) {
        std::vector<audit_entry> out;
        for (const auto& e : store.audit_lines())
            if (e.action == action) out.push_back(e);
        return out;
    }
};

std::string code_of(const auto& r) { return r.ok() ? "ok" : to_string(r.error().code); }

// Créteil (93) is the secretariat's; Paris (75) is not.
constexpr const char* creteil = "0931234X";
constexpr const char* paris = "0751234A";

}  // namespace

BOOST_AUTO_TEST_SUITE(staff_service_tests)

BOOST_AUTO_TEST_CASE(phone_change_takes_effect_notifies_the_old_phone_and_kills_outstanding_flows) {
    staff_fixture f;
    const account parent = f.add_user("Marie", "Dupont", profile::parent, creteil, "+33612345678");
    const staff_caller office = f.add_staff("sec.creteil", staff_role::secretariat, {creteil});
    auto flow = f.recovery->request_password_reset(parent.identifier, profile::parent, family, t0);
    BOOST_REQUIRE(flow.ok());
    BOOST_TEST(code_of(f.recovery->verify(flow->flow_id, flow_kind::password_reset, std::string("000000"), std::nullopt,
                                          family, t0 + 1s)) == "invalid_code");

    account_patch patch;
    patch.phone = std::optional<std::string>("07 11 22 33 44");
    auto r = f.staff->update(office, parent.identifier, patch, t0 + 10s);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(*r->acc.phone == "+33711223344");
    BOOST_TEST(*f.stored(parent.identifier).phone == "+33711223344");
    // The old phone is told, through the outbox; the new one gets nothing yet.
    const auto notices = f.messages_to("+33612345678");
    BOOST_TEST(std::count_if(notices.begin(), notices.end(),
                             [](const outbox_message& m) { return m.purpose == "contact_changed"; }) == 1);
    BOOST_TEST(f.messages_to("+33711223344").empty());
    // The outstanding code died with the change.
    BOOST_TEST(code_of(f.recovery->verify(flow->flow_id, flow_kind::password_reset, std::string("000000"), std::nullopt,
                                          family, t0 + 11s)) == "flow_closed");
    BOOST_TEST(f.count(parent.identifier, journal_type::contact_changed, "sec.creteil") == 1u);
    // Account, journal, notice and audit line: one synced batch.
    const changes last = f.store.last_applied();
    BOOST_TEST(last.synced);
    BOOST_TEST(last.accounts.size() == 1u);
    BOOST_TEST(last.outbox.size() == 1u);
    BOOST_REQUIRE(last.audit.size() == 1u);
    BOOST_TEST(last.audit[0].action == "account.update");
    BOOST_TEST(last.audit[0].actor == "sec.creteil");
    BOOST_TEST(last.audit[0].establishment == creteil);
    // The next recovery SMS goes to the new number.
    auto again = f.recovery->request_password_reset(parent.identifier, profile::parent, family, t0 + 2min);
    BOOST_REQUIRE(again.ok());
    const auto to_new = f.messages_to("+33711223344");
    BOOST_TEST(std::count_if(to_new.begin(), to_new.end(),
                             [](const outbox_message& m) { return m.purpose == "recovery_code"; }) == 1);
}

BOOST_AUTO_TEST_CASE(a_field_the_role_may_not_change_changes_nothing) {
    staff_fixture f;
    const account parent = f.add_user("Marie", "Dupont", profile::parent, creteil, "+33612345678");
    const staff_caller cpe = f.add_staff("cpe.creteil", staff_role::vie_scolaire, {creteil});
    const staff_caller support = f.add_staff("support.creteil", staff_role::support, {"Créteil"});
    account_patch patch;
    patch.phone = std::optional<std::string>("0711223344");
    patch.class_name = "3e A";
    const std::size_t before = f.store.synced_applies();
    auto r = f.staff->update(cpe, parent.identifier, patch, t0);
    BOOST_TEST(code_of(r) == "forbidden");
    BOOST_TEST(r.error().field == "phone");
    BOOST_TEST(*f.stored(parent.identifier).phone == "+33612345678");
    BOOST_TEST(f.stored(parent.identifier).class_name.empty());  // the allowed field did not land either
    BOOST_TEST(f.store.synced_applies() == before);
    account_patch class_only;
    class_only.class_name = "3e A";
    BOOST_TEST(code_of(f.staff->update(support, parent.identifier, class_only, t0)) == "forbidden");
    // ... but the refusals are audited.
    BOOST_TEST(f.audit("account.update").size() == 2u);
}

BOOST_AUTO_TEST_CASE(accounts_outside_the_scope_are_not_found_like_missing_ones) {
    staff_fixture f;
    const account far = f.add_user("Paul", "Durand", profile::parent, paris, "+33612345678");
    const staff_caller office = f.add_staff("sec.creteil", staff_role::secretariat, {creteil});
    const auto outside = f.staff->read(office, far.identifier, t0);
    const auto missing = f.staff->read(office, "nobody", t0);
    BOOST_TEST(code_of(outside) == "not_found");
    BOOST_TEST(code_of(missing) == "not_found");
    BOOST_TEST(outside.error().message == missing.error().message);
    BOOST_TEST(code_of(f.staff->unlock(office, far.identifier, t0)) == "not_found");
    // Staff accounts are not user accounts.
    const staff_caller admin = f.add_staff("root", staff_role::admin, {});
    BOOST_TEST(code_of(f.staff->read(admin, "sec.creteil", t0)) == "not_found");
    BOOST_TEST(f.staff->read(admin, far.identifier, t0).ok());
}

BOOST_AUTO_TEST_CASE(a_new_email_waits_for_its_link) {
    staff_fixture f;
    const account pupil = f.add_user("Lucas", "Dupont", profile::eleve, creteil, std::nullopt, "old@example.fr");
    const staff_caller cpe = f.add_staff("cpe.creteil", staff_role::vie_scolaire, {creteil});
    account_patch patch;
    patch.email = std::optional<std::string>("new@example.fr");
    auto r = f.staff->update(cpe, pupil.identifier, patch, t0);
    BOOST_REQUIRE(r.ok());
    const account after = f.stored(pupil.identifier);
    BOOST_TEST(after.pending_email == "new@example.fr");
    BOOST_TEST(after.email == "old@example.fr");  // still the recovery address until confirmed
    BOOST_TEST(after.recovery_epoch == pupil.recovery_epoch);
    const auto links = f.messages_to("new@example.fr");
    BOOST_REQUIRE(links.size() == 1u);
    BOOST_TEST(links[0].purpose == "email_confirmation");
    BOOST_TEST(f.count(pupil.identifier, journal_type::email_change_requested, "cpe.creteil") == 1u);
}

BOOST_AUTO_TEST_CASE(removing_a_phone_notifies_it_and_bad_values_are_400) {
    staff_fixture f;
    const account parent = f.add_user("Marie", "Dupont", profile::parent, creteil, "+33612345678");
    const staff_caller office = f.add_staff("sec.creteil", staff_role::secretariat, {creteil});
    account_patch bad;
    bad.phone = std::optional<std::string>("01 23 45 67 89");  // a fixed line: no SMS
    auto r = f.staff->update(office, parent.identifier, bad, t0);
    BOOST_TEST(code_of(r) == "invalid_request");
    BOOST_TEST(r.error().field == "phone");
    account_patch remove;
    remove.phone = std::optional<std::string>();
    BOOST_REQUIRE(f.staff->update(office, parent.identifier, remove, t0).ok());
    BOOST_TEST(!f.stored(parent.identifier).phone.has_value());
    BOOST_TEST(f.messages_to("+33612345678").size() == 1u);
    BOOST_TEST(f.stored(parent.identifier).recovery_epoch == parent.recovery_epoch + 1);
}

BOOST_AUTO_TEST_CASE(unlock_lifts_temporary_and_hard_locks) {
    staff_fixture f;
    account pupil = f.add_user("Lucas", "Dupont", profile::eleve, creteil);
    pupil.lockout.hard_locked = true;
    pupil.lockout.consecutive_failures = 20;
    pupil.lockout.locked_until = t0 + 1h;
    f.put(pupil);
    BOOST_TEST(code_of(f.accounts->login({pupil.identifier, password, std::nullopt, family}, t0)) == "account_locked");
    const staff_caller support = f.add_staff("support.creteil", staff_role::support, {"creteil"});
    BOOST_REQUIRE(f.staff->unlock(support, pupil.identifier, t0).ok());
    const account after = f.stored(pupil.identifier);
    BOOST_TEST(!after.lockout.hard_locked);
    BOOST_TEST(after.lockout.consecutive_failures == 0u);
    BOOST_TEST(f.count(pupil.identifier, journal_type::account_unlocked, "support.creteil") == 1u);
    BOOST_TEST(f.accounts->login({pupil.identifier, password, std::nullopt, family}, t0 + 1s).ok());
    BOOST_TEST(f.audit("account.unlock").size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_activation_code_replaces_the_password_and_ends_every_session) {
    staff_fixture f;
    const account parent = f.add_user("Marie", "Dupont", profile::parent, creteil, "+33612345678");
    auto session = f.accounts->login({parent.identifier, password, std::nullopt, family}, t0);
    BOOST_REQUIRE(session.ok());
    const staff_caller cpe = f.add_staff("cpe.creteil", staff_role::vie_scolaire, {creteil});
    const staff_caller office = f.add_staff("sec.creteil", staff_role::secretariat, {creteil});
    BOOST_TEST(code_of(f.staff->issue_activation_code(cpe, parent.identifier, t0)) == "forbidden");  // pupils only
    auto code = f.staff->issue_activation_code(office, parent.identifier, t0 + 1s);
    BOOST_REQUIRE(code.ok());
    BOOST_TEST(code_of(f.accounts->authenticate(session->token, family, t0 + 2s)) == "unauthenticated");
    BOOST_TEST(code_of(f.accounts->login({parent.identifier, password, std::nullopt, family}, t0 + 3s)) ==
               "invalid_credentials");
    auto with_code = f.accounts->login({parent.identifier, *code, std::nullopt, family}, t0 + 4s);
    BOOST_REQUIRE(with_code.ok());
    BOOST_TEST(with_code->acc.must_change_password);
    BOOST_TEST(f.count(parent.identifier, journal_type::activation_code_issued, "sec.creteil") == 1u);
}

BOOST_AUTO_TEST_CASE(search_by_name_prefix_phone_and_email_within_scope) {
    staff_fixture f;
    f.add_user("Élodie", "Le Gall", profile::eleve, creteil);
    f.add_user("Marie", "Dupont", profile::parent, creteil, "+33612345678");
    f.add_user("Luc", "Dupont", profile::eleve, creteil, std::nullopt, "luc@example.fr");
    f.add_user("Paul", "Dupont", profile::parent, paris, "+33612345679");
    const staff_caller office = f.add_staff("sec.creteil", staff_role::secretariat, {creteil});
    auto ids = [](const result<account_page>& p) {
        std::vector<std::string> out;
        for (const auto& a : p->accounts) out.push_back(a.identifier);
        return out;
    };
    auto search = [&](std::string q, std::size_t limit = 20, std::string cursor = {}) {
        search_input in;
        in.q = std::move(q);
        in.limit = limit;
        in.cursor = std::move(cursor);
        auto r = f.staff->search(office, in, t0);
        BOOST_REQUIRE(r.ok());
        return r;
    };
    BOOST_TEST((ids(search("DUP")) == std::vector<std::string>{"l.dupont", "m.dupont"}));  // p.dupont is in Paris
    BOOST_TEST((ids(search("gall")) == std::vector<std::string>{"e.legall"}));
    BOOST_TEST((ids(search("le g")) == std::vector<std::string>{"e.legall"}));
    BOOST_TEST((ids(search("élo")) == std::vector<std::string>{"e.legall"}));
    BOOST_TEST((ids(search("M.Dup")) == std::vector<std::string>{"m.dupont"}));
    BOOST_TEST((ids(search("06 12 34 56 78")) == std::vector<std::string>{"m.dupont"}));
    BOOST_TEST(ids(search("+33 6 12 34 56 79")).empty());  // Paris
    BOOST_TEST((ids(search("luc@example.fr")) == std::vector<std::string>{"l.dupont"}));
    // Paging: one at a time, in identifier order.
    auto first = search("dupont", 1);
    BOOST_TEST((ids(first) == std::vector<std::string>{"l.dupont"}));
    BOOST_TEST(first->next == "l.dupont");
    auto second = search("dupont", 1, first->next);
    BOOST_TEST((ids(second) == std::vector<std::string>{"m.dupont"}));
    BOOST_TEST(second->next.empty());
    // No query: the caller's establishments.
    BOOST_TEST(ids(search("")).size() == 3u);
    BOOST_TEST(f.audit("account.search").size() == 11u);
    // The admin sees Paris too, and needs a query for a national listing.
    const staff_caller admin = f.add_staff("root", staff_role::admin, {});
    search_input all;
    all.q = "dupont";
    BOOST_TEST(f.staff->search(admin, all, t0)->accounts.size() == 3u);
    BOOST_TEST(code_of(f.staff->search(admin, search_input{}, t0)) == "invalid_request");
}

BOOST_AUTO_TEST_CASE(references_show_what_happened_and_decoys_only_to_support_and_admin) {
    staff_fixture f;
    const account parent = f.add_user("Marie", "Dupont", profile::parent, creteil, "+33612345678");
    const staff_caller office = f.add_staff("sec.creteil", staff_role::secretariat, {creteil});
    const staff_caller support = f.add_staff("support.creteil", staff_role::support, {"Créteil"});
    auto real = f.recovery->request_password_reset(parent.identifier, profile::parent, family, t0);
    auto decoy = f.recovery->request_password_reset("m.dupnt", profile::parent, family, t0);
    auto wrong_profile = f.recovery->request_password_reset(parent.identifier, profile::eleve, family, t0 + 2min);
    BOOST_REQUIRE(real.ok() && decoy.ok() && wrong_profile.ok());

    auto d = f.staff->reference(office, real->reference, t0 + 1s);
    BOOST_REQUIRE(d.ok());
    BOOST_TEST(to_string(d->outcome) == std::string("sent"));
    BOOST_TEST(d->identifier == parent.identifier);
    BOOST_TEST(d->destination == "+33 6 •• •• •• 78");
    BOOST_TEST(d->state == "open");
    BOOST_TEST(d->user_agent == family.user_agent);
    BOOST_REQUIRE(d->messages.size() == 1u);
    BOOST_TEST(d->messages[0].purpose == "recovery_code");
    // Lower case and without the dashes, as someone reads it on the phone.
    std::string typed = real->reference.substr(2);
    typed.erase(4, 1);
    for (auto& c : typed) c = char(std::tolower(c));
    BOOST_TEST(f.staff->reference(office, typed, t0).ok());

    BOOST_TEST(code_of(f.staff->reference(office, decoy->reference, t0)) == "not_found");
    auto seen = f.staff->reference(support, decoy->reference, t0);
    BOOST_REQUIRE(seen.ok());
    BOOST_TEST(to_string(seen->outcome) == std::string("unknown_identifier"));
    BOOST_TEST(seen->asked == "m.dupnt");
    BOOST_TEST(seen->identifier.empty());
    BOOST_TEST(seen->messages.empty());

    // A wrong profile names the account, so its school sees it.
    auto wp = f.staff->reference(office, wrong_profile->reference, t0 + 3min);
    BOOST_REQUIRE(wp.ok());
    BOOST_TEST(to_string(wp->outcome) == std::string("wrong_profile"));
    // The record lists the flows, newest first, and the first one died with the
    // second request of the same account.
    auto rec = f.staff->read(office, parent.identifier, t0 + 3min);
    BOOST_REQUIRE(rec.ok());
    BOOST_REQUIRE(rec->flows.size() >= 1u);
    BOOST_TEST(rec->flows.back().reference == real->reference);
}

BOOST_AUTO_TEST_CASE(audit_log_readers_see_their_own_scope) {
    staff_fixture f;
    const account here = f.add_user("Marie", "Dupont", profile::parent, creteil, "+33612345678");
    const account there = f.add_user("Paul", "Durand", profile::parent, paris, "+33612345679");
    const staff_caller direction = f.add_staff("dir.creteil", staff_role::direction, {creteil});
    const staff_caller admin = f.add_staff("root", staff_role::admin, {});
    const staff_caller office = f.add_staff("sec.creteil", staff_role::secretariat, {creteil});
    BOOST_REQUIRE(f.staff->read(direction, here.identifier, t0).ok());
    BOOST_REQUIRE(f.staff->read(admin, there.identifier, t0 + 1s).ok());
    BOOST_REQUIRE(f.staff->list_staff(admin, t0 + 2s).ok());
    BOOST_TEST(code_of(f.staff->audit(office, 20, {}, t0)) == "forbidden");
    auto mine = f.staff->audit(direction, 20, {}, t0 + 3s);
    BOOST_REQUIRE(mine.ok());
    BOOST_REQUIRE(mine->entries.size() == 1u);
    BOOST_TEST(mine->entries[0].target == here.identifier);
    auto all = f.staff->audit(admin, 2, {}, t0 + 3s);
    BOOST_REQUIRE(all.ok());
    BOOST_TEST(all->entries.size() == 2u);
    BOOST_TEST(all->entries[0].action == "staff.list");  // newest first
    BOOST_TEST(!all->next.empty());
    auto rest = f.staff->audit(admin, 2, all->next, t0 + 3s);
    BOOST_TEST(rest->entries.size() == 1u);
    BOOST_TEST(rest->entries[0].target == here.identifier);
}

BOOST_AUTO_TEST_CASE(staff_management_by_admins_only_and_deleted_staff_lose_their_sessions) {
    staff_fixture f;
    const staff_caller admin = f.add_staff("root", staff_role::admin, {});
    const staff_caller office = f.add_staff("sec.creteil", staff_role::secretariat, {creteil});
    BOOST_TEST(code_of(f.staff->create_staff(office, {"cpe.new", "vie_scolaire", creteil}, t0)) == "forbidden");
    auto made = f.staff->create_staff(admin, {"CPE.New", "vie_scolaire", creteil}, t0);
    BOOST_REQUIRE(made.ok());
    BOOST_TEST(made->acc.identifier == "cpe.new");
    BOOST_TEST(made->acc.must_change_password);
    auto again = f.staff->create_staff(admin, {"cpe.new", "vie_scolaire", creteil}, t0);
    BOOST_TEST(code_of(again) == "already_exists");
    auto bad_scope = f.staff->create_staff(admin, {"cpe.two", "vie_scolaire", "Atlantis"}, t0);
    BOOST_TEST(code_of(bad_scope) == "invalid_request");
    BOOST_TEST(bad_scope.error().field == "scope");
    BOOST_TEST(f.staff->list_staff(admin, t0)->size() == 3u);

    // The secretariat logs in (a session), then is deleted: the session ends.
    changes c;
    session_record s;
    s.digest = "digest-of-office";
    s.identifier = "sec.creteil";
    s.created_at = s.last_seen_at = t0;
    s.absolute_expires_at = t0 + 12h;
    c.sessions_put.push_back(s);
    f.store.apply(c);
    BOOST_TEST(code_of(f.staff->delete_staff(admin, "root", t0)) == "conflict");
    BOOST_TEST(code_of(f.staff->delete_staff(admin, "nobody", t0)) == "not_found");
    BOOST_REQUIRE(f.staff->delete_staff(admin, "sec.creteil", t0 + 1s).ok());
    BOOST_TEST(!f.store.find_session("digest-of-office", t0 + 2s).has_value());
    BOOST_TEST(!f.store.identifier_exists("sec.creteil"));
    BOOST_TEST(f.audit("staff.delete").size() == 1u);
}

BOOST_AUTO_TEST_CASE(create_and_import_check_the_scope_row_by_row) {
    staff_fixture f;
    const staff_caller office = f.add_staff("sec.creteil", staff_role::secretariat, {creteil});
    std::array<std::string, csv_column_count> fields;
    auto set = [&](csv_column c, std::string v) { fields[static_cast<std::size_t>(c)] = std::move(v); };
    set(csv_column::profile, "eleve");
    set(csv_column::external_id, "INE1");
    set(csv_column::last_name, "Zoé");
    set(csv_column::first_name, "Élodie");
    set(csv_column::establishment, paris);
    BOOST_TEST(code_of(f.staff->create(office, fields, t0)) == "forbidden");
    set(csv_column::establishment, creteil);
    set(csv_column::birth_date, "2012-02-30");
    auto bad = f.staff->create(office, fields, t0);
    BOOST_TEST(code_of(bad) == "invalid_request");
    BOOST_TEST(bad.error().field == "birth_date");
    set(csv_column::birth_date, "2012-02-29");
    auto made = f.staff->create(office, fields, t0);
    BOOST_REQUIRE(made.ok());
    BOOST_TEST(made->identifier == "e.zoe");
    BOOST_TEST(code_of(f.staff->create(office, fields, t0)) == "already_exists");

    const std::string csv = std::string("profile;external_id;last_name;first_name;establishment;phone\n") +
                            "parent;P1;Durand;Paul;" + creteil + ";0612121212\n" +  // line 2
                            "parent;P2;Durand;Pia;" + paris + ";0612121213\n";     // line 3: outside
    auto report = f.staff->import(office, csv, t0);
    BOOST_REQUIRE(report.ok());
    BOOST_TEST(report->created == 1u);
    BOOST_REQUIRE(report->errors.size() == 1u);
    BOOST_TEST(report->errors[0].line == 3u);
    BOOST_TEST(!f.store.identifier_by_external_id(paris, "P2").has_value());
    BOOST_TEST(f.count("p.durand", journal_type::account_created, "sec.creteil") == 1u);
    const staff_caller cpe = f.add_staff("cpe.creteil", staff_role::vie_scolaire, {creteil});
    BOOST_TEST(code_of(f.staff->import(cpe, csv, t0)) == "forbidden");
}

BOOST_AUTO_TEST_CASE(staff_logins_are_audited) {
    staff_fixture f;
    f.add_staff("root", staff_role::admin, {});
    f.crypto.accept_totp("123456");
    BOOST_TEST(code_of(f.accounts->login({"root", "wrong-password-123", std::nullopt, office}, t0)) ==
               "invalid_credentials");
    BOOST_TEST(code_of(f.accounts->login({"root", password, std::string("123456"), office}, t0 + 1s)) == "ok");
    BOOST_TEST(f.audit("session.login_failed").size() == 1u);
    BOOST_TEST(f.audit("session.login").size() == 1u);
    BOOST_TEST(f.stored("root").last_login_at.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
