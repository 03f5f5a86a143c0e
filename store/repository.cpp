#include "store/repository.hpp"

#include <algorithm>
#include <atomic>
#include <iterator>
#include <set>
#include <chrono>
#include <tuple>
#include <utility>

#include "store/codec.hpp"
#include "store/records.hpp"

namespace sesame::store {

namespace {

// Families that never expire ignore the read time.
constexpr timestamp no_expiry_check{};

// Keys of the journal stay unique within a millisecond thanks to this
// process-wide sequence. It starts at the system time in nanoseconds, so a
// restarted process keeps counting upwards (entries of one millisecond keep
// their order across a restart, short of a clock step backwards).
std::uint64_t next_journal_sequence() {
    static std::atomic<std::uint64_t> next{static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count())};
    return next.fetch_add(1, std::memory_order_relaxed);
}

// The account and the index records that change with it. The stale index
// records are found from the stored account, not from what the use case
// says it read: the caller holds the account's lock from its read to this
// apply, so the stored record is the one it changed: a use case hands over
// the account as written and cannot leave a stale index entry behind.
void add_account_write(write_batch& b, const database& db, const account& after) {
    std::optional<account> before;
    if (auto stored = db.get(family::accounts, keys::account(after.identifier), no_expiry_check))
        before = decode_account(*stored);
    const auto fresh = index_records(after);
    const auto before_entries = before ? index_records(*before) : std::vector<index_record>{};
    for (const auto& old : before_entries) {
        const bool kept = std::any_of(fresh.begin(), fresh.end(),
                                      [&](const index_record& n) { return n.f == old.f && n.key == old.key; });
        if (!kept) b.del(old.f, old.key);
    }
    b.put(family::accounts, keys::account(after.identifier), encode_account(after));
    for (const auto& n : fresh) {
        // An unchanged index record is not written again (a login or a
        // counter rewrites the account, not its dozen name keys).
        const bool same = std::any_of(before_entries.begin(), before_entries.end(), [&](const index_record& o) {
            return o.f == n.f && o.key == n.key && o.value == n.value;
        });
        if (!same) b.put(n.f, n.key, n.value);
    }
}

// A flow and its reference and per-account index keys, which share its
// expiry. An update that keeps that expiry and the keys' parts (a wrong code
// counted, a flow closed) rewrites the flow alone: its index keys would be
// written again byte for byte.
bool flow_indexes_unchanged(const database& db, const std::string& flow_key, const recovery_flow& f,
                            timestamp keep, timestamp now) {
    const auto stored = db.get_record(family::flows, flow_key, now);
    if (!stored || !stored->expires_at || to_millis(*stored->expires_at) != to_millis(keep)) return false;
    const recovery_flow old = decode_flow(stored->value);
    return old.reference == f.reference && old.identifier == f.identifier && old.candidates == f.candidates &&
           old.created_at == f.created_at;
}

void add_flow_write(write_batch& b, const database& db, const recovery_flow& f, timestamp now) {
    const timestamp keep = f.keep_until();
    const std::string flow_key = keys::flow(f.id);
    const bool indexes_unchanged = flow_indexes_unchanged(db, flow_key, f, keep, now);
    b.put(family::flows, flow_key, encode_flow(f), keep);
    if (indexes_unchanged) return;
    b.put(family::flows, keys::flow_reference(f.reference), f.id, keep);
    if (!f.identifier.empty()) b.put(family::flows, keys::flow_of(f.identifier, f.created_at, f.id), {}, keep);
    for (const auto& c : f.candidates) b.put(family::flows, keys::flow_of(c, f.created_at, f.id), {}, keep);
}

// The account and every index record of its stored form.
void add_account_delete(write_batch& b, const database& db, const account& a) {
    b.del(family::accounts, keys::account(a.identifier));
    const auto stored = db.get(family::accounts, keys::account(a.identifier), no_expiry_check);
    for (const auto& old : index_records(stored ? decode_account(*stored) : a)) b.del(old.f, old.key);
}

// ---- OpenID Connect grants and their indexes ----

constexpr duration oidc_service_retention = std::chrono::days(400);

void delete_grant(write_batch& b, std::string_view id, std::string_view identifier, std::string_view session_digest) {
    b.del(family::oidc, keys::oidc_grant(id));
    b.del(family::oidc, keys::oidc_grant_of_session(session_digest, id));
    b.del(family::oidc, keys::oidc_grant_of_account(identifier, id));
}

void add_oidc_changes(write_batch& b, const database& db, const changes& c) {
    const timestamp now = db.clock().now();
    // A deleted session takes its grants (and so their tokens) along.
    for (const auto& s : c.sessions_deleted) {
        const std::string prefix = keys::oidc_grants_of_session_prefix(s.digest);
        db.scan_prefix(family::oidc, prefix, now, [&](std::string_view key, std::string_view) {
            delete_grant(b, keys::suffix_after(key, prefix), s.identifier, s.digest);
            return true;
        });
    }
    for (const auto& [identifier, keep] : c.oidc.grants_of_account_ended) {
        if (has_nul(identifier)) continue;
        const std::string prefix = keys::oidc_grants_of_account_prefix(identifier);
        db.scan_prefix(family::oidc, prefix, now, [&](std::string_view key, std::string_view session_digest) {
            if (keep.empty() || session_digest != keep)
                delete_grant(b, keys::suffix_after(key, prefix), identifier, session_digest);
            return true;
        });
    }
    const auto& o = c.oidc;
    for (const auto& cl : o.clients_put) b.put(family::oidc_clients, keys::account(cl.client_id), encode_oidc_client(cl));
    for (const auto& id : o.clients_deleted) b.del(family::oidc_clients, keys::account(id));
    for (const auto& code : o.codes_put)
        b.put(family::oidc, keys::oidc_code(code.digest), encode_oidc_code(code), code.expires_at);
    for (const auto& g : o.grants_put) {
        b.put(family::oidc, keys::oidc_grant(g.id), encode_oidc_grant(g), g.expires_at);
        b.put(family::oidc, keys::oidc_grant_of_session(g.session_digest, g.id), {}, g.expires_at);
        b.put(family::oidc, keys::oidc_grant_of_account(g.identifier, g.id), g.session_digest, g.expires_at);
    }
    for (const auto& r : o.refresh_put)
        b.put(family::oidc, keys::oidc_refresh(r.digest), encode_oidc_refresh(r), r.expires_at);
    for (const auto& u : o.services_put)
        b.put(family::oidc, keys::oidc_service(u.identifier, u.client_id), encoder(10).put_timestamp(u.last_at).take(),
              u.last_at + oidc_service_retention);
    for (const auto& g : o.grants_deleted) delete_grant(b, g.id, g.identifier, g.session_digest);
}

std::vector<std::string> identifiers_under(const database& db, family f, const std::string& prefix) {
    std::vector<std::string> out;
    db.scan_prefix(f, prefix, no_expiry_check, [&](std::string_view key, std::string_view) {
        out.emplace_back(keys::suffix_after(key, prefix));
        return true;
    });
    return out;
}

}  // namespace

// ---- accounts ----

std::optional<account> repository::find_account(std::string_view identifier) {
    if (has_nul(identifier)) return std::nullopt;
    auto v = db_.get(family::accounts, keys::account(identifier), no_expiry_check);
    if (!v) return std::nullopt;
    return decode_account(*v);
}

bool repository::identifier_exists(std::string_view identifier) {
    if (has_nul(identifier)) return false;
    return db_.get(family::accounts, keys::account(identifier), no_expiry_check).has_value();
}

std::optional<std::string> repository::identifier_by_external_id(std::string_view establishment,
                                                                 std::string_view external_id) {
    if (has_nul(establishment) || has_nul(external_id)) return std::nullopt;
    return db_.get(family::external_ids, keys::external_id(establishment, external_id), no_expiry_check);
}

std::vector<std::string> repository::identifiers_by_phone(std::string_view e164) {
    if (e164.empty() || has_nul(e164)) return {};
    return identifiers_under(db_, family::phones, keys::phone_prefix(e164));
}

std::vector<std::string> repository::identifiers_by_email(std::string_view email) {
    if (email.empty() || has_nul(email)) return {};
    return identifiers_under(db_, family::emails, keys::email_prefix(email));
}

std::unique_lock<std::mutex> repository::lock_account(std::string_view identifier) {
    return db_.lock_key(family::accounts, identifier);
}

// ---- sessions ----

std::optional<session_record> repository::find_session(std::string_view digest, timestamp now) {
    auto v = db_.get(family::sessions, keys::session(digest), now);
    if (!v) return std::nullopt;
    return decode_session(*v);
}

std::vector<session_record> repository::sessions_of(std::string_view identifier, timestamp now) {
    if (has_nul(identifier)) return {};
    const std::string prefix = keys::sessions_of_prefix(identifier);
    std::vector<std::string> session_keys;
    db_.scan_prefix(family::sessions, prefix, now, [&](std::string_view key, std::string_view) {
        session_keys.push_back(keys::session(keys::suffix_after(key, prefix)));
        return true;
    });
    std::vector<std::pair<family, std::string_view>> wanted;
    wanted.reserve(session_keys.size());
    for (const auto& k : session_keys) wanted.emplace_back(family::sessions, k);
    std::vector<session_record> out;
    for (auto& v : db_.multi_get(wanted, now))
        if (v) out.push_back(decode_session(*v));
    std::sort(out.begin(), out.end(), [](const session_record& a, const session_record& b) {
        return std::tie(b.created_at, b.digest) < std::tie(a.created_at, a.digest);
    });
    return out;
}

// ---- journal ----

journal_page repository::read_journal(std::string_view identifier, std::size_t limit, std::string_view before,
                                      timestamp now) {
    journal_page page;
    if (limit == 0 || has_nul(identifier)) return page;
    std::string after;
    if (!before.empty()) {
        auto k = keys::journal_key_from_cursor(identifier, before);
        if (!k) return page;
        after = std::move(*k);
    }
    bool more = false;
    db_.scan_prefix(
        family::journal, keys::journal_prefix(identifier), now,
        [&](std::string_view key, std::string_view value) {
            if (page.entries.size() == limit) {
                more = true;
                return false;
            }
            auto e = decode_journal_entry(value);
            e.cursor = keys::journal_cursor(key);
            page.entries.push_back(std::move(e));
            return true;
        },
        scan_order::descending, after);
    if (more) page.next = page.entries.back().cursor;
    return page;
}

// ---- rate limits: in memory, written behind (store/window_cache.hpp) ----

rate_decision repository::check(std::string_view key, const rate_limit& limit, timestamp now) {
    return windows_.check(key, limit, now);
}

void repository::add(std::string_view key, const rate_limit& limit, timestamp now) { windows_.add(key, limit, now); }

rate_decision repository::take(std::string_view key, const rate_limit& limit, timestamp now) {
    return windows_.take(key, limit, now);
}

// ---- the change sink ----

void repository::apply(const changes& c) {
    write_batch b;
    for (const auto& a : c.accounts) add_account_write(b, db_, a);
    for (const auto& s : c.sessions_put) {
        b.put(family::sessions, keys::session(s.digest), encode_session(s), s.absolute_expires_at);
        b.put(family::sessions, keys::session_of(s.identifier, s.digest), {}, s.absolute_expires_at);
    }
    for (const auto& s : c.sessions_deleted) {
        b.del(family::sessions, keys::session(s.digest));
        b.del(family::sessions, keys::session_of(s.identifier, s.digest));
    }
    for (const auto& [identifier, entry] : c.journal)
        b.put(family::journal, keys::journal(identifier, entry.at, next_journal_sequence()),
              encode_journal_entry(entry), entry.at + journal_retention);
    for (const auto& m : c.outbox) b.put(family::outbox, keys::outbox(m.id), encode_outbox_message(retained_form(m)));
    for (const auto& a : c.accounts_deleted) add_account_delete(b, db_, a);
    add_oidc_changes(b, db_, c);
    for (const auto& a : c.audit)
        b.put(family::audit, keys::audit(a.at, next_journal_sequence()), encode_audit_entry(a), a.at + audit_retention_);
    const timestamp now = db_.clock().now();
    for (const auto& f : c.flows_put) add_flow_write(b, db_, f, now);
    if (b.empty()) return;
    db_.write(b, c.must_sync() ? durability::synced : durability::buffered);
}

// ---- flows ----

std::optional<recovery_flow> repository::find_flow(std::string_view id, timestamp now) {
    if (id.empty() || has_nul(id)) return std::nullopt;
    auto v = db_.get(family::flows, keys::flow(id), now);
    if (!v) return std::nullopt;
    return decode_flow(*v);
}

std::optional<recovery_flow> repository::find_flow_by_reference(std::string_view reference, timestamp now) {
    if (reference.empty() || has_nul(reference)) return std::nullopt;
    auto id = db_.get(family::flows, keys::flow_reference(reference), now);
    if (!id) return std::nullopt;
    return find_flow(*id, now);
}

std::vector<recovery_flow> repository::flows_of(std::string_view identifier, std::size_t limit, timestamp now) {
    std::vector<recovery_flow> out;
    if (identifier.empty() || has_nul(identifier) || limit == 0) return out;
    const std::string prefix = keys::flows_of_prefix(identifier);
    std::vector<std::string> ids;
    db_.scan_prefix(
        family::flows, prefix, now,
        [&](std::string_view key, std::string_view) {
            key_reader r(keys::suffix_after(key, prefix));
            r.time();
            ids.push_back(std::string(r.text()));
            return ids.size() < limit;
        },
        scan_order::descending);
    for (const auto& id : ids)
        if (auto f = find_flow(id, now)) out.push_back(std::move(*f));
    return out;
}

std::unique_lock<std::mutex> repository::lock_flow(std::string_view id) { return db_.lock_key(family::flows, id); }

// ---- outbox ----

std::unique_lock<std::mutex> repository::lock_message(std::string_view id) { return db_.lock_key(family::outbox, id); }

std::vector<outbox_message> repository::pending_outbox(timestamp now) {
    std::vector<outbox_message> out;
    db_.scan_prefix(family::outbox, {}, now, [&](std::string_view, std::string_view value) {
        auto m = decode_outbox_message(value);
        if (m.status == message_status::pending) out.push_back(std::move(m));
        return true;
    });
    std::sort(out.begin(), out.end(), [](const outbox_message& a, const outbox_message& b) {
        return std::tie(a.next_attempt_at, a.id) < std::tie(b.next_attempt_at, b.id);
    });
    return out;
}

std::optional<outbox_message> repository::find_message(std::string_view id) {
    if (has_nul(id)) return std::nullopt;
    auto v = db_.get(family::outbox, keys::outbox(id), no_expiry_check);
    if (!v) return std::nullopt;
    return decode_outbox_message(*v);
}

void repository::put_message(const outbox_message& m, durability d) {
    write_batch b;
    b.put(family::outbox, keys::outbox(m.id), encode_outbox_message(retained_form(m)));
    db_.write(b, d);
}

// ---- the staff console ----

std::vector<std::string> repository::search_names(const name_search& q) {
    std::vector<std::string> out;
    if (q.prefix.empty() || has_nul(q.prefix) || has_nul(q.after) || q.limit == 0) return out;
    // Every token starting with the prefix, each followed by identifiers in
    // order: the smallest limit + 1 identifiers past the cursor are kept in
    // a sorted set, bounded as it grows.
    // Keys are token 0 identifier, so each token's identifiers come in
    // order: once `wanted` identifiers are held, the rest of a token's run
    // past the largest held can be skipped with one seek. A broad prefix
    // ("mar": ~100k keys on a million accounts) then costs about one seek
    // per distinct token instead of a read per key. No allocation per key
    // unless an identifier makes the cut.
    std::set<std::string, std::less<>> best;
    const std::size_t wanted = q.limit + 1;
    // Only identifiers hold a dot, and an identifier's token is itself: with
    // a dot in the prefix, keys come in identifier order and the first
    // `wanted` kept end the scan.
    const bool identifiers_only = q.prefix.find('.') != std::string::npos;
    db_.scan_prefix_seeking(family::names, q.prefix, no_expiry_check,
                            [&](std::string_view key, std::string_view value, std::string& seek_to) {
        const auto sep = key.rfind(key_separator);
        if (sep == std::string_view::npos) return true;
        const std::string_view token = key.substr(0, sep);
        const std::string_view id = key.substr(sep + 1);
        if (!q.after.empty() && id <= q.after) {
            // Straight to the cursor within this token's run.
            seek_to.assign(token).push_back(key_separator);
            seek_to.append(q.after).push_back('\x01');
            return true;
        }
        if (best.size() == wanted && id >= *best.rbegin()) {
            if (identifiers_only) return false;
            seek_to.assign(token).push_back(key_separator);
            seek_to.push_back('\xff');  // past every identifier of this token
            return true;
        }
        if (best.find(id) != best.end()) return true;
        const name_entry e = decode_name_entry(value);
        if (q.keep && !q.keep(e.establishment, e.prof)) return true;
        best.emplace(id);
        if (best.size() > wanted) best.erase(std::prev(best.end()));
        return true;
    });
    out.assign(best.begin(), best.end());
    return out;
}

std::vector<std::string> repository::identifiers_in(std::string_view establishment) {
    std::vector<std::string> out;
    if (establishment.empty() || has_nul(establishment)) return out;
    db_.scan_prefix(family::external_ids, keys::external_id_prefix(establishment), no_expiry_check,
                    [&](std::string_view, std::string_view value) {
                        out.emplace_back(value);
                        return true;
                    });
    return out;
}

std::vector<account> repository::staff_accounts() {
    std::vector<std::string> logins;
    db_.scan_prefix(family::staff, {}, no_expiry_check, [&](std::string_view key, std::string_view) {
        logins.emplace_back(key_reader(key).text());
        return true;
    });
    std::vector<account> out;
    for (const auto& login : logins)
        if (auto a = find_account(login); a && a->staff) out.push_back(std::move(*a));
    return out;
}

audit_page repository::read_audit(std::size_t limit, std::string_view before,
                                  const std::function<bool(const audit_entry&)>& visible, timestamp now,
                                  std::size_t scan_budget) {
    audit_page page;
    if (limit == 0) return page;
    std::string after;
    if (!before.empty()) {
        auto k = keys::journal_key_from_cursor(keys::audit_part, before);
        if (!k) return page;
        after = std::move(*k);
    }
    std::size_t scanned = 0;
    std::string last_key;
    bool more = false;
    db_.scan_prefix(
        family::audit, keys::audit_prefix(), now,
        [&](std::string_view key, std::string_view value) {
            if (page.entries.size() == limit || scanned == scan_budget) {
                more = true;
                return false;
            }
            ++scanned;
            last_key.assign(key);
            auto e = decode_audit_entry(value);
            if (visible && !visible(e)) return true;
            e.cursor = keys::journal_cursor(key);
            page.entries.push_back(std::move(e));
            return true;
        },
        scan_order::descending, after);
    if (more && !last_key.empty()) page.next = keys::journal_cursor(last_key);
    return page;
}

bool repository::rebuild_derived_indexes(bool force) {
    static constexpr std::string_view marker = "index.names_staff.v1";
    if (!force && db_.get(family::meta, marker, no_expiry_check)) return false;
    write_batch b;
    db_.scan_prefix(family::accounts, {}, no_expiry_check, [&](std::string_view, std::string_view value) {
        for (const auto& e : index_records(decode_account(value))) b.put(e.f, e.key, e.value);
        if (b.size() >= 8192) {
            db_.write(b, durability::buffered);
            b.clear();
        }
        return true;
    });
    b.put(family::meta, marker, "1");
    db_.write(b, durability::synced);
    return true;
}

std::size_t repository::count_accounts() {
    return static_cast<std::size_t>(db_.stats(family::accounts).estimated_keys);
}

// ---- OpenID Connect ----

std::optional<oidc_client> repository::find_client(std::string_view client_id) {
    if (client_id.empty() || has_nul(client_id)) return std::nullopt;
    auto v = db_.get(family::oidc_clients, keys::account(client_id), no_expiry_check);
    if (!v) return std::nullopt;
    return decode_oidc_client(*v);
}

std::vector<oidc_client> repository::clients() {
    std::vector<oidc_client> out;
    db_.scan_prefix(family::oidc_clients, {}, no_expiry_check, [&](std::string_view, std::string_view value) {
        out.push_back(decode_oidc_client(value));
        return true;
    });
    return out;
}

std::optional<oidc_code> repository::find_code(std::string_view digest, timestamp now) {
    auto v = db_.get(family::oidc, keys::oidc_code(digest), now);
    if (!v) return std::nullopt;
    return decode_oidc_code(*v);
}

std::optional<oidc_grant> repository::find_grant(std::string_view id, timestamp now) {
    if (id.empty() || has_nul(id)) return std::nullopt;
    auto v = db_.get(family::oidc, keys::oidc_grant(id), now);
    if (!v) return std::nullopt;
    return decode_oidc_grant(*v);
}

std::vector<oidc_grant> repository::grants_of(std::string_view identifier, timestamp now) {
    std::vector<oidc_grant> out;
    if (identifier.empty() || has_nul(identifier)) return out;
    const std::string prefix = keys::oidc_grants_of_account_prefix(identifier);
    std::vector<std::string> ids;
    db_.scan_prefix(family::oidc, prefix, now, [&](std::string_view key, std::string_view) {
        ids.emplace_back(keys::suffix_after(key, prefix));
        return true;
    });
    for (const auto& id : ids)
        if (auto g = find_grant(id, now)) out.push_back(std::move(*g));
    return out;
}

std::optional<oidc_refresh> repository::find_refresh(std::string_view digest, timestamp now) {
    auto v = db_.get(family::oidc, keys::oidc_refresh(digest), now);
    if (!v) return std::nullopt;
    return decode_oidc_refresh(*v);
}

std::vector<oidc_service_use> repository::services_of(std::string_view identifier, timestamp now) {
    std::vector<oidc_service_use> out;
    if (identifier.empty() || has_nul(identifier)) return out;
    const std::string prefix = keys::oidc_services_prefix(identifier);
    db_.scan_prefix(family::oidc, prefix, now, [&](std::string_view key, std::string_view value) {
        decoder d(value);
        oidc_service_use u{std::string(identifier), std::string(keys::suffix_after(key, prefix)), d.get_timestamp()};
        d.expect_end();
        out.push_back(std::move(u));
        return true;
    });
    return out;
}

std::unique_lock<std::mutex> repository::lock_grant(std::string_view key) { return db_.lock_key(family::oidc, key); }

std::vector<oidc_signing_key> repository::signing_keys(timestamp now) {
    std::vector<oidc_signing_key> out;
    db_.scan_prefix(family::oidc_keys, {}, now, [&](std::string_view, std::string_view value) {
        out.push_back(decode_signing_key(value));
        return true;
    });
    std::sort(out.begin(), out.end(), [](const oidc_signing_key& a, const oidc_signing_key& b) {
        return std::tie(a.created_at, a.kid) < std::tie(b.created_at, b.kid);
    });
    return out;
}

void repository::put_signing_keys(const std::vector<oidc_signing_key>& keys_in) {
    write_batch b;
    for (const auto& k : keys_in) b.put(family::oidc_keys, keys::account(k.kid), encode_signing_key(k), k.expires_at);
    db_.write(b, durability::synced);
}

}  // namespace sesame::store
