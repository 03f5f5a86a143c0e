#include "store/records.hpp"

#include <chrono>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/name_search.hpp"
#include "core/crypto.hpp"
#include "store/codec.hpp"

namespace sesame::store {

namespace {

void expect_version(decoder& d, const char* what) {
    const auto v = d.get_u8();
    if (v != record_format_version)
        throw store_error(std::string("store: unknown format version ") + std::to_string(v) + " of " + what);
}

// Records whose layout grew: the version read, 1 (the first layout) up to `current`.
std::uint8_t expect_version_up_to(decoder& d, std::uint8_t current, const char* what) {
    const auto v = d.get_u8();
    if (v < record_format_version || v > current)
        throw store_error(std::string("store: unknown format version ") + std::to_string(v) + " of " + what);
    return v;
}

template <class E>
E get_enum(decoder& d, E last, const char* what) {
    const auto v = d.get_u8();
    if (v > static_cast<std::uint8_t>(last)) throw store_error(std::string("store: malformed ") + what);
    return static_cast<E>(v);
}

template <class E>
void put_enum(encoder& e, E v) {
    e.put_u8(static_cast<std::uint8_t>(v));
}

std::uint32_t get_u32(decoder& d, const char* what) {
    const auto v = d.get_varint();
    if (v > std::numeric_limits<std::uint32_t>::max()) throw store_error(std::string("store: malformed ") + what);
    return static_cast<std::uint32_t>(v);
}

// A vector's count, bounded by the bytes left (each element takes at least
// one), so a corrupted count cannot ask for a huge allocation.
std::size_t get_count(decoder& d, const char* what) {
    const auto n = d.get_varint();
    if (n > d.remaining()) throw store_error(std::string("store: malformed ") + what);
    return static_cast<std::size_t>(n);
}

void put_strings(encoder& e, const std::vector<std::string>& v) {
    e.put_varint(v.size());
    for (const auto& s : v) e.put_string(s);
}

std::vector<std::string> get_strings(decoder& d, const char* what) {
    std::vector<std::string> v(get_count(d, what));
    for (auto& s : v) s = d.get_string();
    return v;
}

void put_lockout(encoder& e, const lockout_state& l) {
    e.put_varint(l.consecutive_failures)
        .put_varint(l.lock_count)
        .put_optional_timestamp(l.locked_until)
        .put_bool(l.hard_locked)
        .put_varint(l.recent_failures.size());
    for (auto t : l.recent_failures) e.put_timestamp(t);
}

lockout_state get_lockout(decoder& d) {
    lockout_state l;
    l.consecutive_failures = get_u32(d, "lockout");
    l.lock_count = get_u32(d, "lockout");
    l.locked_until = d.get_optional_timestamp();
    l.hard_locked = d.get_bool();
    l.recent_failures.resize(get_count(d, "lockout"));
    for (auto& t : l.recent_failures) t = d.get_timestamp();
    return l;
}

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 0xF]);
    }
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

}  // namespace

// ---- account ----

std::string encode_account(const account& a) {
    encoder e(256);
    e.put_u8(account_format_version).put_string(a.identifier);
    put_enum(e, a.prof);
    e.put_string(a.first_name)
        .put_string(a.last_name)
        .put_string(a.establishment)
        .put_string(a.academie)
        .put_string(a.class_name)
        .put_string(a.external_id);
    e.put_optional(a.birth_date, [](encoder& en, const std::chrono::year_month_day& ymd) {
        if (!ymd.ok()) throw std::invalid_argument("store: birth_date is not a valid date");
        en.put_i64(std::chrono::sys_days(ymd).time_since_epoch().count());
    });
    put_strings(e, a.children);
    e.put_optional_string(a.phone).put_string(a.email).put_bool(a.email_validated).put_string(a.password_hash);
    put_strings(e, a.password_history);
    e.put_bytes(a.activation_digest).put_bool(a.must_change_password);
    put_enum(e, a.status);
    put_lockout(e, a.lockout);
    e.put_timestamp(a.created_at).put_timestamp(a.updated_at).put_optional_timestamp(a.password_changed_at);
    e.put_optional(a.staff, [](encoder& en, const staff_info& s) {
        put_enum(en, s.role);
        put_strings(en, s.scope);
        en.put_bytes(s.totp_secret);
        en.put_varint(s.last_totp_step);
    });
    e.put_varint(a.recovery_epoch).put_string(a.pending_email);
    e.put_optional_timestamp(a.last_login_at);  // version 2
    return e.take();
}

account decode_account(std::string_view bytes) {
    decoder d(bytes);
    const auto version = expect_version_up_to(d, account_format_version, "account");
    account a;
    a.identifier = d.get_string();
    a.prof = get_enum(d, profile::staff, "account profile");
    a.first_name = d.get_string();
    a.last_name = d.get_string();
    a.establishment = d.get_string();
    a.academie = d.get_string();
    a.class_name = d.get_string();
    a.external_id = d.get_string();
    a.birth_date = d.get_optional([](decoder& de) {
        return std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{de.get_i64()}}};
    });
    a.children = get_strings(d, "account children");
    a.phone = d.get_optional_string();
    a.email = d.get_string();
    a.email_validated = d.get_bool();
    a.password_hash = d.get_string();
    a.password_history = get_strings(d, "account password history");
    a.activation_digest = d.get_bytes();
    a.must_change_password = d.get_bool();
    a.status = get_enum(d, account_status::active, "account status");
    a.lockout = get_lockout(d);
    a.created_at = d.get_timestamp();
    a.updated_at = d.get_timestamp();
    a.password_changed_at = d.get_optional_timestamp();
    a.staff = d.get_optional([](decoder& de) {
        staff_info s;
        s.role = get_enum(de, staff_role::admin, "staff role");
        s.scope = get_strings(de, "staff scope");
        s.totp_secret = de.get_bytes();
        s.last_totp_step = de.get_varint();
        return s;
    });
    a.recovery_epoch = d.get_varint();
    a.pending_email = d.get_string();
    if (version >= 2) a.last_login_at = d.get_optional_timestamp();
    d.expect_end();
    return a;
}

// ---- session ----

std::string encode_session(const session_record& s) {
    return encoder(128)
        .put_u8(record_format_version)
        .put_bytes(s.digest)
        .put_string(s.identifier)
        .put_timestamp(s.created_at)
        .put_timestamp(s.last_seen_at)
        .put_timestamp(s.absolute_expires_at)
        .put_string(s.ip)
        .put_string(s.user_agent)
        .take();
}

session_record decode_session(std::string_view bytes) {
    decoder d(bytes);
    expect_version(d, "session");
    session_record s;
    s.digest = d.get_bytes();
    s.identifier = d.get_string();
    s.created_at = d.get_timestamp();
    s.last_seen_at = d.get_timestamp();
    s.absolute_expires_at = d.get_timestamp();
    s.ip = d.get_string();
    s.user_agent = d.get_string();
    d.expect_end();
    return s;
}

// ---- journal entry ----

std::string encode_journal_entry(const journal_entry& j) {
    return encoder(96)
        .put_u8(record_format_version)
        .put_timestamp(j.at)
        .put_string(j.type)
        .put_string(j.ip)
        .put_string(j.user_agent)
        .put_string(j.actor)
        .put_string(j.detail)
        .take();
}

journal_entry decode_journal_entry(std::string_view bytes) {
    decoder d(bytes);
    expect_version(d, "journal entry");
    journal_entry j;
    j.at = d.get_timestamp();
    j.type = d.get_string();
    j.ip = d.get_string();
    j.user_agent = d.get_string();
    j.actor = d.get_string();
    j.detail = d.get_string();
    d.expect_end();
    return j;
}

// ---- audit entry ----

std::string encode_audit_entry(const audit_entry& a) {
    return encoder(128)
        .put_u8(record_format_version)
        .put_timestamp(a.at)
        .put_string(a.actor)
        .put_string(a.role)
        .put_string(a.action)
        .put_string(a.target)
        .put_string(a.ip)
        .put_string(a.detail)
        .put_string(a.establishment)
        .put_string(a.academie)
        .take();
}

audit_entry decode_audit_entry(std::string_view bytes) {
    decoder d(bytes);
    expect_version(d, "audit entry");
    audit_entry a;
    a.at = d.get_timestamp();
    a.actor = d.get_string();
    a.role = d.get_string();
    a.action = d.get_string();
    a.target = d.get_string();
    a.ip = d.get_string();
    a.detail = d.get_string();
    a.establishment = d.get_string();
    a.academie = d.get_string();
    d.expect_end();
    return a;
}

// ---- name index entry ----

std::string encode_name_entry(profile prof, std::string_view establishment) {
    encoder e(16);
    put_enum(e, prof);
    e.put_string(establishment);
    return e.take();
}

name_entry decode_name_entry(std::string_view bytes) {
    decoder d(bytes);
    name_entry n;
    n.prof = get_enum(d, profile::staff, "name entry profile");
    n.establishment = d.get_string_view();
    d.expect_end();
    return n;
}

// ---- flow ----

std::string encode_flow(const recovery_flow& f) {
    encoder e(256);
    e.put_u8(flow_format_version).put_string(f.id);
    put_enum(e, f.kind);
    e.put_string(f.reference).put_string(f.identifier);
    put_strings(e, f.candidates);
    e.put_bool(f.decoy);
    put_enum(e, f.ch);
    e.put_string(f.destination)
        .put_string(f.limit_key)
        .put_varint(f.account_epoch)
        .put_bytes(f.code_hmac)
        .put_bytes(f.link_digest)
        .put_string(f.pending_email)
        .put_timestamp(f.created_at)
        .put_timestamp(f.code_expires_at)
        .put_timestamp(f.last_sent_at)
        .put_varint(f.failed_attempts)
        .put_varint(f.sends);
    put_enum(e, f.state);
    e.put_string(f.closed_reason)
        .put_bytes(f.token_digest)
        .put_timestamp(f.token_expires_at)
        .put_varint(f.birth_date_attempts)
        .put_string(f.ip)
        .put_string(f.detail);
    put_strings(e, f.message_ids);
    put_enum(e, f.outcome);  // version 2
    e.put_string(f.asked).put_string(f.user_agent);
    return e.take();
}

recovery_flow decode_flow(std::string_view bytes) {
    decoder d(bytes);
    const auto version = expect_version_up_to(d, flow_format_version, "flow");
    recovery_flow f;
    f.id = d.get_string();
    f.kind = get_enum(d, flow_kind::email_confirmation, "flow kind");
    f.reference = d.get_string();
    f.identifier = d.get_string();
    f.candidates = get_strings(d, "flow candidates");
    f.decoy = d.get_bool();
    f.ch = get_enum(d, channel::email, "flow channel");
    f.destination = d.get_string();
    f.limit_key = d.get_string();
    f.account_epoch = d.get_varint();
    f.code_hmac = d.get_bytes();
    f.link_digest = d.get_bytes();
    f.pending_email = d.get_string();
    f.created_at = d.get_timestamp();
    f.code_expires_at = d.get_timestamp();
    f.last_sent_at = d.get_timestamp();
    f.failed_attempts = static_cast<std::uint32_t>(d.get_varint());
    f.sends = static_cast<std::uint32_t>(d.get_varint());
    f.state = get_enum(d, flow_state::closed, "flow state");
    f.closed_reason = d.get_string();
    f.token_digest = d.get_bytes();
    f.token_expires_at = d.get_timestamp();
    f.birth_date_attempts = static_cast<std::uint32_t>(d.get_varint());
    f.ip = d.get_string();
    f.detail = d.get_string();
    f.message_ids = get_strings(d, "flow messages");
    if (version >= 2) {
        f.outcome = get_enum(d, flow_outcome::sms_hourly_limit, "flow outcome");
        f.asked = d.get_string();
        f.user_agent = d.get_string();
    }
    d.expect_end();
    return f;
}

std::string encode_outbox_message(const outbox_message& m) {
    encoder e(256);
    e.put_u8(record_format_version).put_string(m.id);
    put_enum(e, m.ch);
    e.put_string(m.to)
        .put_string(m.subject)
        .put_string(m.text)
        .put_string(m.html)
        .put_string(m.reference)
        .put_string(m.purpose)
        .put_string(m.identifier)
        .put_timestamp(m.created_at)
        .put_optional_timestamp(m.not_after);
    put_enum(e, m.status);
    e.put_varint(m.attempts).put_timestamp(m.next_attempt_at).put_varint(m.history.size());
    for (const auto& h : m.history) e.put_timestamp(h.at).put_string(h.result).put_string(h.detail);
    return e.take();
}

outbox_message decode_outbox_message(std::string_view bytes) {
    decoder d(bytes);
    expect_version(d, "outbox message");
    outbox_message m;
    m.id = d.get_string();
    m.ch = get_enum(d, channel::email, "message channel");
    m.to = d.get_string();
    m.subject = d.get_string();
    m.text = d.get_string();
    m.html = d.get_string();
    m.reference = d.get_string();
    m.purpose = d.get_string();
    m.identifier = d.get_string();
    m.created_at = d.get_timestamp();
    m.not_after = d.get_optional_timestamp();
    m.status = get_enum(d, message_status::refused, "message status");
    m.attempts = get_u32(d, "message attempts");
    m.next_attempt_at = d.get_timestamp();
    m.history.resize(get_count(d, "message history"));
    for (auto& h : m.history) {
        h.at = d.get_timestamp();
        h.result = d.get_string();
        h.detail = d.get_string();
    }
    d.expect_end();
    return m;
}

// ---- index records ----

std::vector<index_record> index_records(const account& a) {
    std::vector<index_record> out;
    if (a.staff) out.push_back({family::staff, keys::account(a.identifier), {}});
    if (auto tokens = name_search_tokens(a); !tokens.empty()) {
        const std::string entry = encode_name_entry(a.prof, a.establishment);
        for (const auto& t : tokens) out.push_back({family::names, keys::name(t, a.identifier), entry});
    }
    if (!a.external_id.empty())
        out.push_back({family::external_ids, keys::external_id(a.establishment, a.external_id), a.identifier});
    if (a.phone && !a.phone->empty()) out.push_back({family::phones, keys::phone(*a.phone, a.identifier), {}});
    if (!a.email.empty()) out.push_back({family::emails, keys::email(a.email, a.identifier), {}});
    return out;
}

// ---- keys ----

namespace keys {

std::string account(std::string_view identifier) { return key_builder().add(identifier).take(); }

std::string external_id(std::string_view establishment, std::string_view external_id) {
    return key_builder().add(establishment).add(external_id).take();
}

std::string external_id_prefix(std::string_view establishment) { return key_builder().add(establishment).prefix(); }

std::string phone(std::string_view e164, std::string_view identifier) {
    return key_builder().add(e164).add(identifier).take();
}
std::string phone_prefix(std::string_view e164) { return key_builder().add(e164).prefix(); }

std::string email(std::string_view email, std::string_view identifier) {
    return key_builder().add(email).add(identifier).take();
}
std::string email_prefix(std::string_view email) { return key_builder().add(email).prefix(); }

std::string session(std::string_view digest) {
    std::string k = key_builder().add("s").prefix();
    k.append(digest);
    return k;
}

std::string session_of(std::string_view identifier, std::string_view digest) {
    std::string k = sessions_of_prefix(identifier);
    k.append(digest);
    return k;
}
std::string sessions_of_prefix(std::string_view identifier) { return key_builder().add("a").add(identifier).prefix(); }

std::string journal(std::string_view identifier, timestamp at, std::uint64_t sequence) {
    return key_builder().add(identifier).add_timestamp(at).add_u64(sequence).take();
}
std::string journal_prefix(std::string_view identifier) { return key_builder().add(identifier).prefix(); }

std::string outbox(std::string_view message_id) { return key_builder().add(message_id).take(); }

std::string_view suffix_after(std::string_view key, std::string_view prefix) {
    if (key.substr(0, prefix.size()) != prefix) throw store_error("store: index key outside its prefix");
    return key.substr(prefix.size());
}

std::string journal_cursor(std::string_view journal_key) {
    key_reader r(journal_key);
    r.text();
    const auto at = r.time();
    const auto sequence = r.u64();
    r.expect_end();
    // The two fixed parts without their separator.
    std::string raw = key_builder().add_timestamp(at).take();
    append_big_endian_u64(raw, sequence);
    return hex(raw);
}

std::optional<std::string> journal_key_from_cursor(std::string_view identifier, std::string_view cursor) {
    if (cursor.size() != 32 || has_nul(identifier)) return std::nullopt;
    std::string raw;
    raw.reserve(16);
    for (std::size_t i = 0; i < cursor.size(); i += 2) {
        const int hi = hex_value(cursor[i]);
        const int lo = hex_value(cursor[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        raw.push_back(static_cast<char>(hi * 16 + lo));
    }
    std::string k = journal_prefix(identifier);
    k.append(raw, 0, 8);
    k.push_back(key_separator);
    k.append(raw, 8, 8);
    return k;
}

std::string audit(timestamp at, std::uint64_t sequence) {
    return key_builder().add(audit_part).add_timestamp(at).add_u64(sequence).take();
}
std::string audit_prefix() { return key_builder().add(audit_part).prefix(); }

std::string name(std::string_view token, std::string_view identifier) {
    return key_builder().add(token).add(identifier).take();
}

std::string flow(std::string_view id) { return key_builder().add("f").add(id).take(); }
std::string flow_reference(std::string_view reference) { return key_builder().add("r").add(reference).take(); }
std::string flow_of(std::string_view identifier, timestamp created, std::string_view id) {
    return key_builder().add("a").add(identifier).add_timestamp(created).add(id).take();
}
std::string flows_of_prefix(std::string_view identifier) { return key_builder().add("a").add(identifier).prefix(); }

}  // namespace keys

}  // namespace sesame::store

// ---- OpenID Connect ----

namespace sesame::store {

std::string encode_oidc_client(const oidc_client& c) {
    encoder e(256);
    e.put_u8(record_format_version).put_string(c.client_id).put_string(c.name);
    put_strings(e, c.redirect_uris);
    put_strings(e, c.post_logout_redirect_uris);
    e.put_bool(c.is_public).put_bytes(c.secret_digest).put_timestamp(c.created_at);
    return e.take();
}

oidc_client decode_oidc_client(std::string_view bytes) {
    decoder d(bytes);
    expect_version(d, "oidc client");
    oidc_client c;
    c.client_id = d.get_string();
    c.name = d.get_string();
    c.redirect_uris = get_strings(d, "oidc client uris");
    c.post_logout_redirect_uris = get_strings(d, "oidc client uris");
    c.is_public = d.get_bool();
    c.secret_digest = d.get_bytes();
    c.created_at = d.get_timestamp();
    d.expect_end();
    return c;
}

std::string encode_oidc_code(const oidc_code& c) {
    return encoder(256)
        .put_u8(record_format_version)
        .put_bytes(c.digest)
        .put_string(c.client_id)
        .put_string(c.redirect_uri)
        .put_string(c.scope)
        .put_string(c.nonce)
        .put_string(c.code_challenge)
        .put_string(c.identifier)
        .put_bytes(c.session_digest)
        .put_timestamp(c.auth_time)
        .put_timestamp(c.created_at)
        .put_timestamp(c.expires_at)
        .put_string(c.used_by_grant)
        .take();
}

oidc_code decode_oidc_code(std::string_view bytes) {
    decoder d(bytes);
    expect_version(d, "oidc code");
    oidc_code c;
    c.digest = d.get_bytes();
    c.client_id = d.get_string();
    c.redirect_uri = d.get_string();
    c.scope = d.get_string();
    c.nonce = d.get_string();
    c.code_challenge = d.get_string();
    c.identifier = d.get_string();
    c.session_digest = d.get_bytes();
    c.auth_time = d.get_timestamp();
    c.created_at = d.get_timestamp();
    c.expires_at = d.get_timestamp();
    c.used_by_grant = d.get_string();
    d.expect_end();
    return c;
}

std::string encode_oidc_grant(const oidc_grant& g) {
    return encoder(160)
        .put_u8(record_format_version)
        .put_string(g.id)
        .put_string(g.client_id)
        .put_string(g.identifier)
        .put_bytes(g.session_digest)
        .put_string(g.scope)
        .put_timestamp(g.auth_time)
        .put_timestamp(g.created_at)
        .put_timestamp(g.expires_at)
        .take();
}

oidc_grant decode_oidc_grant(std::string_view bytes) {
    decoder d(bytes);
    expect_version(d, "oidc grant");
    oidc_grant g;
    g.id = d.get_string();
    g.client_id = d.get_string();
    g.identifier = d.get_string();
    g.session_digest = d.get_bytes();
    g.scope = d.get_string();
    g.auth_time = d.get_timestamp();
    g.created_at = d.get_timestamp();
    g.expires_at = d.get_timestamp();
    d.expect_end();
    return g;
}

std::string encode_oidc_refresh(const oidc_refresh& r) {
    return encoder(80)
        .put_u8(record_format_version)
        .put_bytes(r.digest)
        .put_string(r.grant_id)
        .put_timestamp(r.issued_at)
        .put_timestamp(r.expires_at)
        .put_bool(r.rotated)
        .take();
}

oidc_refresh decode_oidc_refresh(std::string_view bytes) {
    decoder d(bytes);
    expect_version(d, "oidc refresh token");
    oidc_refresh r;
    r.digest = d.get_bytes();
    r.grant_id = d.get_string();
    r.issued_at = d.get_timestamp();
    r.expires_at = d.get_timestamp();
    r.rotated = d.get_bool();
    d.expect_end();
    return r;
}

std::string encode_signing_key(const oidc_signing_key& k) {
    return encoder(256)
        .put_u8(record_format_version)
        .put_string(k.kid)
        .put_bytes(k.x)
        .put_bytes(k.y)
        .put_bytes(k.sealed_private)
        .put_timestamp(k.created_at)
        .put_optional_timestamp(k.retired_at)
        .put_optional_timestamp(k.expires_at)
        .take();
}

oidc_signing_key decode_signing_key(std::string_view bytes) {
    decoder d(bytes);
    expect_version(d, "signing key");
    oidc_signing_key k;
    k.kid = d.get_string();
    k.x = d.get_bytes();
    k.y = d.get_bytes();
    k.sealed_private = d.get_bytes();
    k.created_at = d.get_timestamp();
    k.retired_at = d.get_optional_timestamp();
    k.expires_at = d.get_optional_timestamp();
    d.expect_end();
    return k;
}

namespace keys {

namespace {
std::string with_raw_tail(std::string_view kind, std::string_view raw) {
    std::string k = key_builder().add(kind).prefix();
    k.append(raw);
    return k;
}
}  // namespace

std::string oidc_code(std::string_view digest) { return with_raw_tail("c", digest); }
std::string oidc_grant(std::string_view id) { return key_builder().add("g").add(id).take(); }
std::string oidc_grant_of_session(std::string_view session_digest, std::string_view grant_id) {
    return key_builder().add("s").add(to_hex(session_digest)).add(grant_id).take();
}
std::string oidc_grants_of_session_prefix(std::string_view session_digest) {
    return key_builder().add("s").add(to_hex(session_digest)).prefix();
}
std::string oidc_grant_of_account(std::string_view identifier, std::string_view grant_id) {
    return key_builder().add("u").add(identifier).add(grant_id).take();
}
std::string oidc_grants_of_account_prefix(std::string_view identifier) {
    return key_builder().add("u").add(identifier).prefix();
}
std::string oidc_refresh(std::string_view digest) { return with_raw_tail("r", digest); }
std::string oidc_service(std::string_view identifier, std::string_view client_id) {
    return key_builder().add("v").add(identifier).add(client_id).take();
}
std::string oidc_services_prefix(std::string_view identifier) { return key_builder().add("v").add(identifier).prefix(); }

}  // namespace keys

}  // namespace sesame::store
