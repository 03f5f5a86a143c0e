// In-memory fakes of core's ports for unit tests: repositories, rate limiter
// and change sink with store::repository's semantics (expiry against `now`,
// newest-first journal with cursors, index maintenance), plus the outbox of
// the workers and a recording outbox notifier. Header-only; depends on core
// and the standard library (never on store/), so core's tests can use it.
// Checked against store::repository by tests/store/repository_contract_tests.cpp.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/ports.hpp"

namespace sesame::testing {

// Records every id it is told, in order. Thread-safe.
class recording_notifier final : public outbox_notifier {
public:
    void notify(const std::vector<std::string>& message_ids) override {
        std::lock_guard lock(mutex_);
        ids_.insert(ids_.end(), message_ids.begin(), message_ids.end());
        ++calls_;
    }
    std::vector<std::string> ids() const {
        std::lock_guard lock(mutex_);
        return ids_;
    }
    std::size_t calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }
    void clear() {
        std::lock_guard lock(mutex_);
        ids_.clear();
        calls_ = 0;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> ids_;
    std::size_t calls_ = 0;
};

// Every port of account_ports over std::map, behind one mutex (thread-safe).
class memory_ports final : public account_repository,
                           public session_repository,
                           public journal_repository,
                           public rate_limiter,
                           public outbox_repository,
                           public flow_repository,
                           public staff_directory,
                           public oidc_repository,
                           public change_sink {
public:
    static constexpr duration journal_retention = std::chrono::days(400);

    recording_notifier notifier;

    // The ports of the use cases, all bound to this object and `notifier`.
    account_ports ports() { return account_ports{*this, *this, *this, *this, *this, notifier}; }

    // ---- account_repository ----
    std::optional<account> find_account(std::string_view identifier) override {
        std::lock_guard lock(mutex_);
        auto it = accounts_.find(identifier);
        if (it == accounts_.end()) return std::nullopt;
        return it->second;
    }
    bool identifier_exists(std::string_view identifier) override {
        std::lock_guard lock(mutex_);
        return accounts_.find(identifier) != accounts_.end();
    }
    std::optional<std::string> identifier_by_external_id(std::string_view establishment,
                                                         std::string_view external_id) override {
        std::lock_guard lock(mutex_);
        auto it = external_ids_.find(std::pair(std::string(establishment), std::string(external_id)));
        if (it == external_ids_.end()) return std::nullopt;
        return it->second;
    }
    std::vector<std::string> identifiers_by_phone(std::string_view e164) override {
        std::lock_guard lock(mutex_);
        return identifiers_under(phones_, e164);
    }
    std::vector<std::string> identifiers_by_email(std::string_view email) override {
        std::lock_guard lock(mutex_);
        return identifiers_under(emails_, email);
    }
    std::unique_lock<std::mutex> lock_account(std::string_view identifier) override {
        std::mutex* m = nullptr;
        {
            std::lock_guard lock(mutex_);
            auto& slot = account_locks_[std::string(identifier)];
            if (!slot) slot = std::make_unique<std::mutex>();
            m = slot.get();
        }
        return std::unique_lock<std::mutex>(*m);
    }

    // ---- session_repository ----
    std::optional<session_record> find_session(std::string_view digest, timestamp now) override {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(digest);
        if (it == sessions_.end() || now >= it->second.absolute_expires_at) return std::nullopt;
        return it->second;
    }
    // Newest first (created_at, then digest).
    std::vector<session_record> sessions_of(std::string_view identifier, timestamp now) override {
        std::lock_guard lock(mutex_);
        std::vector<session_record> out;
        for (const auto& [digest, s] : sessions_)
            if (s.identifier == identifier && now < s.absolute_expires_at) out.push_back(s);
        std::sort(out.begin(), out.end(), [](const session_record& a, const session_record& b) {
            return std::tie(b.created_at, b.digest) < std::tie(a.created_at, a.digest);
        });
        return out;
    }

    // ---- journal_repository ----
    // Newest first; a malformed cursor or limit 0 gives an empty page.
    journal_page read_journal(std::string_view identifier, std::size_t limit, std::string_view before,
                              timestamp now) override {
        std::lock_guard lock(mutex_);
        journal_page page;
        if (limit == 0) return page;
        auto j = journal_.find(identifier);
        if (j == journal_.end()) return page;
        const auto& entries = j->second;
        auto end = entries.end();  // iterate [begin, end) backwards
        if (!before.empty()) {
            auto pos = parse_cursor(before);
            if (!pos) return page;
            end = entries.lower_bound(*pos);  // strictly older than the cursor
        }
        for (auto it = std::make_reverse_iterator(end); it != entries.rend(); ++it) {
            if (now >= it->second.at + journal_retention) continue;
            if (page.entries.size() == limit) {
                page.next = page.entries.back().cursor;
                break;
            }
            journal_entry e = it->second;
            e.cursor = make_cursor(it->first);
            page.entries.push_back(std::move(e));
        }
        return page;
    }

    // ---- rate_limiter ----
    rate_decision check(std::string_view key, const rate_limit& limit, timestamp now) override {
        std::lock_guard lock(mutex_);
        return sesame::check(load_window(key, now), limit, now);
    }
    void add(std::string_view key, const rate_limit& limit, timestamp now) override {
        std::lock_guard lock(mutex_);
        auto w = load_window(key, now);
        sesame::add(w, limit, now);
        store_window(key, std::move(w), limit, now);
    }
    rate_decision take(std::string_view key, const rate_limit& limit, timestamp now) override {
        std::lock_guard lock(mutex_);
        auto w = load_window(key, now);
        const auto d = sesame::take(w, limit, now);
        if (d.allowed) store_window(key, std::move(w), limit, now);
        return d;
    }

    // ---- change_sink ----
    // All or nothing. Counted in synced_applies() / buffered_applies() when it
    // succeeds; throws infrastructure_error (changing nothing) while
    // fail_next_applies() has failures left.
    // ---- flow_repository
    std::optional<recovery_flow> find_flow(std::string_view id, timestamp now) override {
        std::lock_guard lock(mutex_);
        auto it = flows_.find(id);
        if (it == flows_.end() || it->second.keep_until() <= now) return std::nullopt;
        return it->second;
    }
    std::optional<recovery_flow> find_flow_by_reference(std::string_view reference, timestamp now) override {
        std::string id;
        {
            std::lock_guard lock(mutex_);
            auto it = flow_references_.find(reference);
            if (it == flow_references_.end()) return std::nullopt;
            id = it->second;
        }
        return find_flow(id, now);
    }
    std::vector<recovery_flow> flows_of(std::string_view identifier, std::size_t limit, timestamp now) override {
        std::lock_guard lock(mutex_);
        std::vector<recovery_flow> out;
        for (const auto& [id, f] : flows_) {
            const bool mine = f.identifier == identifier ||
                              std::find(f.candidates.begin(), f.candidates.end(), identifier) != f.candidates.end();
            if (mine && f.keep_until() > now) out.push_back(f);
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.created_at > b.created_at; });
        if (out.size() > limit) out.resize(limit);
        return out;
    }
    std::unique_lock<std::mutex> lock_flow(std::string_view id) override {
        std::mutex* m;
        {
            std::lock_guard lock(mutex_);
            auto& slot = flow_locks_[std::string(id)];
            if (!slot) slot = std::make_unique<std::mutex>();
            m = slot.get();
        }
        return std::unique_lock<std::mutex>(*m);
    }

    void apply(const changes& c) override {
        std::lock_guard lock(mutex_);
        if (failures_left_ > 0) {
            --failures_left_;
            ++failed_applies_;
            throw infrastructure_error("memory_ports: injected apply failure");
        }
        for (const auto& a : c.accounts) {
            // Like the store: stale index entries come from the stored record.
            const auto fresh = index_of(a);
            if (auto stored = accounts_.find(a.identifier); stored != accounts_.end()) {
                const auto old = index_of(stored->second);
                if (old.external && old.external != fresh.external) external_ids_.erase(*old.external);
                if (old.phone && old.phone != fresh.phone) phones_.erase(*old.phone);
                if (old.email && old.email != fresh.email) emails_.erase(*old.email);
            }
            if (fresh.external) external_ids_[*fresh.external] = a.identifier;
            if (fresh.phone) phones_.insert(*fresh.phone);
            if (fresh.email) emails_.insert(*fresh.email);
            accounts_.insert_or_assign(a.identifier, a);
        }
        for (const auto& s : c.sessions_put) sessions_.insert_or_assign(s.digest, s);
        for (const auto& s : c.sessions_deleted) sessions_.erase(s.digest);
        for (const auto& [identifier, entry] : c.journal) {
            journal_entry e = entry;
            e.cursor.clear();
            journal_[identifier].emplace(journal_key{to_millis(e.at), next_sequence_++}, std::move(e));
        }
        for (const auto& m : c.outbox) outbox_.insert_or_assign(m.id, retained_form(m));
        for (const auto& f : c.flows_put) {
            flows_.insert_or_assign(f.id, f);
            flow_references_.insert_or_assign(f.reference, f.id);
        }
        for (const auto& a : c.accounts_deleted) {
            const auto old = index_of(a);
            if (old.external) external_ids_.erase(*old.external);
            if (old.phone) phones_.erase(*old.phone);
            if (old.email) emails_.erase(*old.email);
            accounts_.erase(a.identifier);
        }
        for (const auto& a : c.audit) audit_.emplace(journal_key{to_millis(a.at), next_sequence_++}, a);
        apply_oidc(c);
        ++(c.must_sync() ? synced_applies_ : buffered_applies_);
        ++applies_;
        last_applied_ = c;
    }

    // ---- staff_directory ----
    std::vector<std::string> search_names(const name_search& q) override {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        for (const auto& [id, a] : accounts_) {  // identifier order
            if (!q.after.empty() && id <= q.after) continue;
            const auto tokens = name_search_tokens(a);
            const bool match = std::any_of(tokens.begin(), tokens.end(),
                                           [&](const std::string& t) { return t.rfind(q.prefix, 0) == 0; });
            if (!match || (q.keep && !q.keep(a.establishment, a.prof))) continue;
            out.push_back(id);
            if (out.size() == q.limit + 1) break;
        }
        return out;
    }
    std::vector<std::string> identifiers_in(std::string_view establishment) override {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        for (const auto& [key, id] : external_ids_)
            if (key.first == establishment) out.push_back(id);
        return out;
    }
    std::vector<account> staff_accounts() override {
        std::lock_guard lock(mutex_);
        std::vector<account> out;
        for (const auto& [id, a] : accounts_)
            if (a.staff) out.push_back(a);
        return out;
    }
    audit_page read_audit(std::size_t limit, std::string_view before,
                          const std::function<bool(const audit_entry&)>& visible, timestamp now,
                          std::size_t scan_budget = 10000) override {
        std::lock_guard lock(mutex_);
        audit_page page;
        auto end = audit_.end();
        if (!before.empty()) {
            auto pos = parse_cursor(before);
            if (!pos) return page;
            end = audit_.lower_bound(*pos);
        }
        std::size_t scanned = 0;
        std::optional<journal_key> last;  // the last line examined
        for (auto it = std::make_reverse_iterator(end); it != audit_.rend(); ++it) {
            if (page.entries.size() == limit || scanned == scan_budget) {
                if (last) page.next = make_cursor(*last);
                break;
            }
            ++scanned;
            last = it->first;
            if (visible && !visible(it->second)) continue;
            audit_entry e = it->second;
            e.cursor = make_cursor(it->first);
            page.entries.push_back(std::move(e));
        }
        (void)now;
        return page;
    }

    // ---- oidc_repository ----
    std::optional<oidc_client> find_client(std::string_view client_id) override {
        std::lock_guard lock(mutex_);
        return find_in(clients_, client_id);
    }
    std::vector<oidc_client> clients() override {
        std::lock_guard lock(mutex_);
        std::vector<oidc_client> out;
        for (const auto& [id, c] : clients_) out.push_back(c);
        return out;
    }
    std::optional<oidc_code> find_code(std::string_view digest, timestamp now) override {
        std::lock_guard lock(mutex_);
        auto c = find_in(codes_, digest);
        if (c && now >= c->expires_at) return std::nullopt;
        return c;
    }
    std::optional<oidc_grant> find_grant(std::string_view id, timestamp now) override {
        std::lock_guard lock(mutex_);
        auto g = find_in(grants_, id);
        if (g && now >= g->expires_at) return std::nullopt;
        return g;
    }
    std::vector<oidc_grant> grants_of(std::string_view identifier, timestamp now) override {
        std::lock_guard lock(mutex_);
        std::vector<oidc_grant> out;
        for (const auto& [id, g] : grants_)
            if (g.identifier == identifier && now < g.expires_at) out.push_back(g);
        return out;
    }
    std::optional<oidc_refresh> find_refresh(std::string_view digest, timestamp now) override {
        std::lock_guard lock(mutex_);
        auto r = find_in(refresh_, digest);
        if (r && now >= r->expires_at) return std::nullopt;
        return r;
    }
    std::vector<oidc_service_use> services_of(std::string_view identifier, timestamp /*now*/) override {
        std::lock_guard lock(mutex_);
        std::vector<oidc_service_use> out;
        for (const auto& [key, u] : services_)
            if (key.first == identifier) out.push_back(u);
        return out;
    }
    std::unique_lock<std::mutex> lock_grant(std::string_view key) override {
        std::mutex* m;
        {
            std::lock_guard lock(mutex_);
            auto& slot = grant_locks_[std::string(key)];
            if (!slot) slot = std::make_unique<std::mutex>();
            m = slot.get();
        }
        return std::unique_lock<std::mutex>(*m);
    }
    std::vector<oidc_signing_key> signing_keys(timestamp now) override {
        std::lock_guard lock(mutex_);
        std::vector<oidc_signing_key> out;
        for (const auto& k : keys_)
            if (!k.expires_at || now < *k.expires_at) out.push_back(k);
        return out;
    }
    void put_signing_keys(const std::vector<oidc_signing_key>& keys) override {
        std::lock_guard lock(mutex_);
        for (const auto& k : keys) {
            auto it = std::find_if(keys_.begin(), keys_.end(), [&](const auto& o) { return o.kid == k.kid; });
            if (it != keys_.end()) *it = k;
            else keys_.push_back(k);
        }
    }
    // Every grant stored, expired ones included (tests).
    std::size_t grant_count() const {
        std::lock_guard lock(mutex_);
        return grants_.size();
    }

    // ---- the outbox of the delivery workers ----
    // Every pending message, by next_attempt_at then id.
    std::vector<outbox_message> pending_outbox(timestamp /*now*/) override {
        std::lock_guard lock(mutex_);
        std::vector<outbox_message> out;
        for (const auto& [id, m] : outbox_)
            if (m.status == message_status::pending) out.push_back(m);
        std::sort(out.begin(), out.end(), [](const outbox_message& a, const outbox_message& b) {
            return std::tie(a.next_attempt_at, a.id) < std::tie(b.next_attempt_at, b.id);
        });
        return out;
    }
    std::optional<outbox_message> find_message(std::string_view id) override {
        std::lock_guard lock(mutex_);
        auto it = outbox_.find(id);
        if (it == outbox_.end()) return std::nullopt;
        return it->second;
    }
    void update_message(const outbox_message& m, bool /*durable*/) override { put_message(m); }
    std::unique_lock<std::mutex> lock_message(std::string_view id) override {
        std::mutex* mu;
        {
            std::lock_guard lock(mutex_);
            auto& slot = message_locks_[std::string(id)];
            if (!slot) slot = std::make_unique<std::mutex>();
            mu = slot.get();
        }
        return std::unique_lock<std::mutex>(*mu);
    }
    void put_message(const outbox_message& m) {
        std::lock_guard lock(mutex_);
        outbox_.insert_or_assign(m.id, retained_form(m));
    }
    std::size_t count_accounts() {
        std::lock_guard lock(mutex_);
        return accounts_.size();
    }

    // ---- for tests ----
    // Stores `a` as a use case would (its index entries kept current).
    void put_account(const account& a) {
        changes c;
        c.accounts.push_back(a);
        apply(c);
    }
    // Every message in the outbox, whatever its status, by id.
    std::vector<outbox_message> all_messages() const {
        std::lock_guard lock(mutex_);
        std::vector<outbox_message> out;
        for (const auto& [id, m] : outbox_) out.push_back(m);
        return out;
    }
    std::size_t synced_applies() const {
        std::lock_guard lock(mutex_);
        return synced_applies_;
    }
    std::size_t buffered_applies() const {
        std::lock_guard lock(mutex_);
        return buffered_applies_;
    }
    std::size_t applies() const {
        std::lock_guard lock(mutex_);
        return applies_;
    }
    // The last successful apply(), whole: tests check what one batch held.
    changes last_applied() const {
        std::lock_guard lock(mutex_);
        return last_applied_;
    }
    // Every audit line, oldest first.
    std::vector<audit_entry> audit_lines() const {
        std::lock_guard lock(mutex_);
        std::vector<audit_entry> out;
        for (const auto& [k, e] : audit_) out.push_back(e);
        return out;
    }
    std::size_t failed_applies() const {
        std::lock_guard lock(mutex_);
        return failed_applies_;
    }
    // The next `n` apply() calls throw infrastructure_error and change nothing.
    void fail_next_applies(std::size_t n = 1) {
        std::lock_guard lock(mutex_);
        failures_left_ = n;
    }

private:
    using journal_key = std::pair<std::int64_t, std::uint64_t>;  // ms, sequence
    using contact_key = std::pair<std::string, std::string>;     // contact, identifier

    struct window_entry {
        rate_window w;
        timestamp expires_at;
    };

    struct index_keys {
        std::optional<contact_key> external;  // establishment, external_id
        std::optional<contact_key> phone;
        std::optional<contact_key> email;
    };

    static index_keys index_of(const account& a) {
        index_keys k;
        if (!a.external_id.empty()) k.external = contact_key(a.establishment, a.external_id);
        if (a.phone && !a.phone->empty()) k.phone = contact_key(*a.phone, a.identifier);
        if (!a.email.empty()) k.email = contact_key(a.email, a.identifier);
        return k;
    }

    static std::vector<std::string> identifiers_under(const std::set<contact_key>& index, std::string_view contact) {
        std::vector<std::string> out;
        if (contact.empty()) return out;
        for (auto it = index.lower_bound(contact_key(std::string(contact), std::string()));
             it != index.end() && it->first == contact; ++it)
            out.push_back(it->second);
        return out;
    }

    // Cursors: 32 lowercase hex digits (order-preserving time, sequence).
    static std::string make_cursor(const journal_key& k) {
        static constexpr char digits[] = "0123456789abcdef";
        const std::uint64_t parts[2] = {static_cast<std::uint64_t>(k.first) ^ (std::uint64_t{1} << 63), k.second};
        std::string out;
        for (const auto part : parts)
            for (int shift = 60; shift >= 0; shift -= 4) out.push_back(digits[(part >> shift) & 0xF]);
        return out;
    }
    static std::optional<journal_key> parse_cursor(std::string_view c) {
        if (c.size() != 32) return std::nullopt;
        std::uint64_t parts[2] = {0, 0};
        for (std::size_t i = 0; i < 32; ++i) {
            const char ch = c[i];
            int v = -1;
            if (ch >= '0' && ch <= '9') v = ch - '0';
            else if (ch >= 'a' && ch <= 'f') v = ch - 'a' + 10;
            if (v < 0) return std::nullopt;
            parts[i / 16] = (parts[i / 16] << 4) | static_cast<std::uint64_t>(v);
        }
        return journal_key{static_cast<std::int64_t>(parts[0] ^ (std::uint64_t{1} << 63)), parts[1]};
    }

    template <class Map>
    static auto find_in(const Map& m, std::string_view key) -> std::optional<typename Map::mapped_type> {
        auto it = m.find(key);
        if (it == m.end()) return std::nullopt;
        return it->second;
    }

    // Callers hold mutex_. Grants of deleted sessions go with them, as in
    // store::repository::apply.
    void apply_oidc(const changes& c) {
        auto erase_grants = [&](auto&& doomed) {
            for (auto it = grants_.begin(); it != grants_.end();)
                it = doomed(it->second) ? grants_.erase(it) : std::next(it);
        };
        for (const auto& s : c.sessions_deleted)
            erase_grants([&](const oidc_grant& g) { return g.session_digest == s.digest; });
        for (const auto& ended : c.oidc.grants_of_account_ended) {
            // Named, not structured bindings: clang 14 (the fuzz build) cannot capture those.
            const auto& identifier = ended.first;
            const auto& keep = ended.second;
            erase_grants([&](const oidc_grant& g) {
                return g.identifier == identifier && (keep.empty() || g.session_digest != keep);
            });
        }
        const auto& o = c.oidc;
        for (const auto& cl : o.clients_put) clients_.insert_or_assign(cl.client_id, cl);
        for (const auto& id : o.clients_deleted) clients_.erase(id);
        for (const auto& code : o.codes_put) codes_.insert_or_assign(code.digest, code);
        for (const auto& g : o.grants_put) grants_.insert_or_assign(g.id, g);
        for (const auto& r : o.refresh_put) refresh_.insert_or_assign(r.digest, r);
        for (const auto& u : o.services_put) services_.insert_or_assign(contact_key(u.identifier, u.client_id), u);
        for (const auto& g : o.grants_deleted) grants_.erase(g.id);
    }

    // Callers hold mutex_.
    rate_window load_window(std::string_view key, timestamp now) const {
        auto it = windows_.find(key);
        if (it == windows_.end() || now >= it->second.expires_at) return {};
        return it->second.w;
    }
    void store_window(std::string_view key, rate_window w, const rate_limit& limit, timestamp now) {
        if (is_idle(w, limit, now)) {
            if (auto it = windows_.find(key); it != windows_.end()) windows_.erase(it);
            return;
        }
        const timestamp expires_at = now + limit.window + duration{w.bucket_ms};
        windows_.insert_or_assign(std::string(key), window_entry{std::move(w), expires_at});
    }

    std::map<std::string, recovery_flow, std::less<>> flows_;
    std::map<std::string, std::string, std::less<>> flow_references_;
    std::map<std::string, std::unique_ptr<std::mutex>, std::less<>> flow_locks_;
    std::map<std::string, std::unique_ptr<std::mutex>, std::less<>> message_locks_;
    mutable std::mutex mutex_;
    std::map<std::string, account, std::less<>> accounts_;
    std::map<contact_key, std::string> external_ids_;
    std::set<contact_key> phones_;
    std::set<contact_key> emails_;
    std::map<std::string, std::unique_ptr<std::mutex>, std::less<>> account_locks_;
    std::map<std::string, session_record, std::less<>> sessions_;
    std::map<std::string, std::map<journal_key, journal_entry>, std::less<>> journal_;
    std::map<std::string, window_entry, std::less<>> windows_;
    std::map<std::string, outbox_message, std::less<>> outbox_;
    std::map<journal_key, audit_entry> audit_;
    std::map<std::string, oidc_client, std::less<>> clients_;
    std::map<std::string, oidc_code, std::less<>> codes_;
    std::map<std::string, oidc_grant, std::less<>> grants_;
    std::map<std::string, oidc_refresh, std::less<>> refresh_;
    std::map<contact_key, oidc_service_use> services_;
    std::map<std::string, std::unique_ptr<std::mutex>, std::less<>> grant_locks_;
    std::vector<oidc_signing_key> keys_;
    changes last_applied_;
    std::size_t applies_ = 0;
    std::uint64_t next_sequence_ = 0;
    std::size_t synced_applies_ = 0;
    std::size_t buffered_applies_ = 0;
    std::size_t failed_applies_ = 0;
    std::size_t failures_left_ = 0;
};

}  // namespace sesame::testing
