#include "store/repository.hpp"

#include <algorithm>
#include <atomic>
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

struct index_entry {
    family f;
    std::string key;
    std::string value;
};

// The index records an account owns.
std::vector<index_entry> index_entries(const account& a) {
    std::vector<index_entry> out;
    if (!a.external_id.empty())
        out.push_back({family::external_ids, keys::external_id(a.establishment, a.external_id), a.identifier});
    if (a.phone && !a.phone->empty()) out.push_back({family::phones, keys::phone(*a.phone, a.identifier), {}});
    if (!a.email.empty()) out.push_back({family::emails, keys::email(a.email, a.identifier), {}});
    return out;
}

void add_account_write(write_batch& b, const changes::account_write& w) {
    const auto fresh = index_entries(w.after);
    if (w.before) {
        for (const auto& old : index_entries(*w.before)) {
            const bool kept = std::any_of(fresh.begin(), fresh.end(),
                                          [&](const index_entry& n) { return n.f == old.f && n.key == old.key; });
            if (!kept) b.del(old.f, old.key);
        }
    }
    b.put(family::accounts, keys::account(w.after.identifier), encode_account(w.after));
    for (const auto& n : fresh) b.put(n.f, n.key, n.value);
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
    for (const auto& w : c.accounts) add_account_write(b, w);
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
    for (const auto& f : c.flows_put) {
        const timestamp keep = f.keep_until();
        b.put(family::flows, keys::flow(f.id), encode_flow(f), keep);
        b.put(family::flows, keys::flow_reference(f.reference), f.id, keep);
        if (!f.identifier.empty()) b.put(family::flows, keys::flow_of(f.identifier, f.created_at, f.id), {}, keep);
        for (const auto& c : f.candidates) b.put(family::flows, keys::flow_of(c, f.created_at, f.id), {}, keep);
    }
    if (b.empty()) return;
    db_.write(b, c.synced ? durability::synced : durability::buffered);
}

// ---- outbox ----

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

std::size_t repository::count_accounts() {
    return static_cast<std::size_t>(db_.stats(family::accounts).estimated_keys);
}

}  // namespace sesame::store
