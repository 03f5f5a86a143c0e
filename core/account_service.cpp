#include "core/account_service.hpp"

#include "core/activation_code.hpp"
#include "core/identifier.hpp"
#include "core/journal_entry.hpp"
#include "core/notifications.hpp"
#include "core/password_history.hpp"

namespace sesame {

namespace {

constexpr std::size_t max_identifier_bytes = 128;
constexpr std::size_t max_password_bytes = 1024;
constexpr auto touch_interval = std::chrono::minutes(1);

// Staff logins land in the audit log (API.md): about no account, so only
// admins read them.
audit_entry staff_login_line(const account& staff, const client_info& client, timestamp now, const char* action,
                             std::string detail) {
    audit_entry e;
    e.at = now;
    e.actor = staff.identifier;
    e.role = to_string(staff.staff->role);
    e.action = action;
    e.target = staff.identifier;
    e.ip = client.ip;
    e.detail = std::move(detail);
    return e;
}

}  // namespace

std::string login_failure_key(std::string_view ip) { return "login_fail_ip:" + std::string(ip); }

account_service::account_service(account_ports ports, crypto& c, password_hasher& hasher, account_policy policy)
    : ports_(ports), crypto_(c), hasher_(hasher), policy_(std::move(policy)) {}

std::string account_service::new_message_id() { return to_hex(crypto_.random_bytes(16)); }

void account_service::commit(const changes& c) {
    if (c.empty()) return;
    ports_.sink.apply(c);
    if (!c.outbox.empty()) {
        std::vector<std::string> ids;
        for (const auto& m : c.outbox) ids.push_back(m.id);
        ports_.notifier.notify(ids);
    }
}

void account_service::record_login_failure(account& acc, changes& out, const client_info& client, timestamp now,
                                           std::string_view detail) {
    const failure_outcome f = record_failure(acc.lockout, policy_.lockout, now);
    out.add_journal(acc.identifier, make_journal_entry(now, journal_type::login_failed, client, "self", std::string(detail)));
    if (f.newly_locked) {
        out.add_journal(acc.identifier,
                        make_journal_entry(now, journal_type::account_locked, client, "system",
                                   f.hard ? "Blocage définitif : seul le personnel ou une récupération de mot de "
                                            "passe peut le lever."
                                          : "Blocage temporaire jusqu'au " + format_rfc3339(*f.until) + "."));
        if (auto m = lock_notice(acc, f.hard, f.until, new_message_id(), now)) out.outbox.push_back(std::move(*m));
    }
}

login_success account_service::open_session(const account& acc, const client_info& client, timestamp now,
                                            changes& out) {
    login_success ok;
    session_record s = new_session(acc, client, now, ok.token);
    ok.expires_at = s.expires_at(policy_.session_idle);
    out.sessions_put.push_back(std::move(s));
    ok.acc = {acc.identifier, acc.prof, acc.first_name, acc.last_name, acc.must_change_password, acc.staff};
    return ok;
}

session_record account_service::new_session(const account& acc, const client_info& client, timestamp now,
                                            std::string& token) {
    token = base64url(crypto_.random_bytes(32));
    session_record s;
    s.digest = crypto_.sha256(token);
    s.identifier = acc.identifier;
    s.created_at = now;
    s.last_seen_at = now;
    s.absolute_expires_at = now + policy_.session_absolute;
    s.ip = client.ip;
    s.user_agent = client.user_agent.substr(0, 256);
    return s;
}

// ---- login: limits, the credential check without the lock, the outcome
// recorded under it ---------------------------------------------------------

domain_error account_service::refuse_login(errc code, login_refusal why, const std::string& ip_key, timestamp now) {
    ports_.limits.add(ip_key, policy_.login_failures_per_ip, now);
    observe(why, now);
    return make_error(code);
}

std::optional<domain_error> account_service::lockout_refusal(const account& acc, const std::string& ip_key,
                                                             timestamp now) {
    const auto ls = lockout_status(acc.lockout, policy_.lockout, now);
    if (!ls.locked) return std::nullopt;
    domain_error e = refuse_login(errc::account_locked, login_refusal::locked, ip_key, now);
    e.locked_until = ls.until;
    return e;
}

account_service::credential_check account_service::check_credentials(const account& seen, const login_input& in,
                                                                     timestamp now) {
    credential_check c;
    if (seen.status == account_status::pending || seen.password_hash.empty()) {
        hasher_.verify(dummy_hash_, in.password);  // same work as a real check
        c.with_activation_code = !seen.activation_digest.empty() &&
                                 constant_time_equal(activation_digest(crypto_, in.password), seen.activation_digest);
        c.password_ok = c.with_activation_code;
    } else {
        c.password_ok = hasher_.verify(seen.password_hash, in.password);
    }
    if (c.password_ok && seen.staff) {
        if (in.otp)
            c.otp_step = crypto_.totp_match(
                seen.staff->totp_secret, *in.otp,
                std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count(), 1);
        c.otp_ok = c.otp_step && *c.otp_step > seen.staff->last_totp_step;  // a code is accepted once
    }
    if (c.password_ok && c.otp_ok && !c.with_activation_code && hasher_.needs_rehash(seen.password_hash))
        c.rehashed = hasher_.hash(in.password);
    return c;
}

result<login_success> account_service::login(const login_input& in, timestamp now) {
    const std::string ip_key = login_failure_key(in.client.ip);
    if (auto d = ports_.limits.check(ip_key, policy_.login_failures_per_ip, now); !d.allowed) {
        observe(login_refusal::rate_limited, now);
        return rate_limited(d.retry_after);
    }
    if (in.password.size() > max_password_bytes) return invalid_field("password", "Le mot de passe est trop long.");

    const std::string id = normalize_login(in.identifier);
    std::optional<account> found;
    if (!id.empty() && id.size() <= max_identifier_bytes) found = ports_.accounts.find_account(id);
    if (!found) {
        hasher_.verify(dummy_hash_, in.password);  // same work as a real check
        return refuse_login(errc::invalid_credentials, login_refusal::unknown_identifier, ip_key, now);
    }
    if (auto locked = lockout_refusal(*found, ip_key, now)) return *locked;

    // The expensive check runs without the account lock; the outcome is
    // recorded under it, on a fresh read, so counters stay exact.
    credential_check checked = check_credentials(*found, in, now);

    auto guard = ports_.accounts.lock_account(id);
    std::optional<account> fresh = ports_.accounts.find_account(id);
    if (!fresh) return refuse_login(errc::invalid_credentials, login_refusal::unknown_identifier, ip_key, now);
    if (auto locked = lockout_refusal(*fresh, ip_key, now)) return *locked;
    // The password was checked against the first read: if the credential
    // changed since (password change, new activation code), it is now wrong.
    if (fresh->password_hash != found->password_hash || fresh->activation_digest != found->activation_digest)
        checked.password_ok = false;
    // Two logins racing with one TOTP code: the first to get here uses it.
    if (checked.otp_step && (!fresh->staff || *checked.otp_step <= fresh->staff->last_totp_step))
        checked.otp_ok = false;
    if (!checked.password_ok || !checked.otp_ok) {
        commit_failed_login(*fresh, checked.password_ok, in.client, now);
        guard.unlock();
        if (checked.password_ok)
            return refuse_login(errc::otp_required, login_refusal::wrong_otp, ip_key, now);
        return refuse_login(errc::invalid_credentials, login_refusal::wrong_password, ip_key, now);
    }
    if (!checked.rehashed.empty() && fresh->password_hash != found->password_hash) checked.rehashed.clear();
    return commit_login(std::move(*fresh), checked, in.client, now);
}

void account_service::commit_failed_login(account acc, bool password_ok, const client_info& client, timestamp now) {
    changes out;
    out.synced = false;  // counters and journal: lost only with the machine, never with the process
    record_login_failure(acc, out, client, now,
                         password_ok ? "Code de l'application d'authentification absent ou incorrect."
                                     : "Mot de passe incorrect.");
    acc.updated_at = now;
    if (acc.staff)
        out.audit.push_back(staff_login_line(acc, client, now, "session.login_failed",
                                             password_ok ? "Code TOTP absent, faux ou déjà utilisé."
                                                         : "Mot de passe incorrect."));
    out.accounts.push_back(acc);
    commit(out);
}

login_success account_service::commit_login(account acc, const credential_check& checked, const client_info& client,
                                            timestamp now) {
    changes out;
    out.synced = false;  // counters and journal: lost only with the machine, never with the process
    record_success(acc.lockout);
    if (checked.otp_step && acc.staff) acc.staff->last_totp_step = *checked.otp_step;
    ++acc.recovery_epoch;  // a successful login kills outstanding recovery codes and links
    if (checked.with_activation_code) acc.must_change_password = true;
    if (!checked.rehashed.empty()) acc.password_hash = checked.rehashed;
    acc.updated_at = now;
    acc.last_login_at = now;
    if (acc.staff) out.audit.push_back(staff_login_line(acc, client, now, "session.login", "Connexion."));
    out.accounts.push_back(acc);
    out.add_journal(acc.identifier, make_journal_entry(now, journal_type::login_succeeded, client, "self",
                                                       checked.with_activation_code
                                                           ? "Première connexion avec le code d'activation."
                                                           : std::string{}));
    login_success ok = open_session(acc, client, now, out);
    commit(out);
    if (monitor_) monitor_->succeeded();
    return ok;
}

result<authenticated> account_service::authenticate(std::string_view token, const client_info& client,
                                                    timestamp now) {
    if (token.empty() || token.size() > 128) return make_error(errc::unauthenticated);
    const std::string digest = crypto_.sha256(token);
    auto s = ports_.sessions.find_session(digest, now);
    if (!s || s->expires_at(policy_.session_idle) <= now) return make_error(errc::unauthenticated);
    auto acc = ports_.accounts.find_account(s->identifier);
    if (!acc) return make_error(errc::unauthenticated);
    if (now - s->last_seen_at >= touch_interval) {
        s->last_seen_at = now;
        if (!client.ip.empty()) s->ip = client.ip;
        changes out;
        out.synced = false;
        out.sessions_put.push_back(*s);
        commit(out);
    }
    return authenticated{std::move(*acc), std::move(*s)};
}

void account_service::logout(std::string_view token, timestamp now) {
    if (token.empty() || token.size() > 128) return;
    auto s = ports_.sessions.find_session(crypto_.sha256(token), now);
    if (!s) return;
    changes out;
    out.sessions_deleted.push_back(*s);
    commit(out);
}

std::vector<session_record> account_service::sessions(const authenticated& who, timestamp now) {
    std::vector<session_record> live;
    for (auto& s : ports_.sessions.sessions_of(who.acc.identifier, now))
        if (s.expires_at(policy_.session_idle) > now) live.push_back(std::move(s));
    return live;
}

void account_service::delete_sessions(const std::string& identifier, changes& out, timestamp now,
                                      std::string_view keep_digest) {
    for (auto& s : ports_.sessions.sessions_of(identifier, now))
        if (s.digest != keep_digest) out.sessions_deleted.push_back(std::move(s));
    // Their single sign-on grants go too, with those of sessions already
    // expired (offline_access refresh tokens outlive their session).
    out.oidc.grants_of_account_ended.emplace_back(identifier, std::string(keep_digest));
}

status account_service::revoke_session(const authenticated& who, std::string_view public_id,
                                       const client_info& client, timestamp now) {
    for (auto& s : sessions(who, now)) {
        if (s.public_id() != public_id) continue;
        changes out;
        out.sessions_deleted.push_back(s);
        out.add_journal(who.acc.identifier, make_journal_entry(now, journal_type::session_revoked, client, "self",
                                                       "Appareil déconnecté : " + s.user_agent.substr(0, 80)));
        commit(out);
        return ok_v;
    }
    return make_error(errc::not_found, "Cette session n'existe pas ou est déjà fermée.");
}

void account_service::revoke_other_sessions(const authenticated& who, const client_info& client, timestamp now) {
    changes out;
    delete_sessions(who.acc.identifier, out, now, who.session.digest);
    if (out.sessions_deleted.empty()) return commit(out);  // grants of expired sessions
    out.add_journal(who.acc.identifier,
                    make_journal_entry(now, journal_type::session_revoked, client, "self",
                               std::to_string(out.sessions_deleted.size()) + " autre(s) session(s) fermée(s)."));
    commit(out);
}

status account_service::change_password(const authenticated& who, const password_change_input& in, timestamp now) {
    if (in.current_password.size() > max_password_bytes) return invalid_field("current_password");
    if (in.new_password.size() > max_password_bytes)
        return invalid_field("new_password", "Le mot de passe est trop long.");
    const account& seen = who.acc;
    const bool pending = seen.status == account_status::pending || seen.password_hash.empty();

    bool current_ok;
    if (pending) {
        hasher_.verify(dummy_hash_, in.current_password);
        current_ok = !seen.activation_digest.empty() &&
                     constant_time_equal(activation_digest(crypto_, in.current_password), seen.activation_digest);
    } else {
        current_ok = hasher_.verify(seen.password_hash, in.current_password);
    }
    if (!current_ok) {
        auto guard = ports_.accounts.lock_account(seen.identifier);
        auto fresh = ports_.accounts.find_account(seen.identifier);
        if (fresh) {
            changes out;
            out.synced = false;
            record_login_failure(*fresh, out, in.client, now, "Mot de passe actuel incorrect lors d'un changement.");
            out.accounts.push_back(*fresh);
            commit(out);
        }
        ports_.limits.add(login_failure_key(in.client.ip), policy_.login_failures_per_ip, now);
        return make_error(errc::invalid_credentials, "Le mot de passe actuel est incorrect.");
    }

    std::vector<std::string> reasons =
        new_password_problems(seen, in.new_password, policy_.min_password_length, policy_.password_history, hasher_);
    if (!reasons.empty()) {
        domain_error e = make_error(errc::weak_password);
        e.reasons = std::move(reasons);
        return e;
    }
    const std::string new_hash = hasher_.hash(in.new_password);

    auto guard = ports_.accounts.lock_account(seen.identifier);
    auto fresh = ports_.accounts.find_account(seen.identifier);
    if (!fresh) return make_error(errc::unauthenticated);
    account& acc = *fresh;
    if (acc.password_hash != seen.password_hash ||  // changed meanwhile by another request
        acc.activation_digest != seen.activation_digest)
        return make_error(errc::invalid_credentials, "Le mot de passe a changé entre-temps. Reconnectez-vous.");
    rotate_password(acc, new_hash, policy_.password_history);
    acc.must_change_password = false;
    acc.activation_digest.clear();
    acc.status = account_status::active;
    acc.password_changed_at = now;
    acc.updated_at = now;
    ++acc.recovery_epoch;  // kills outstanding recovery codes and links
    changes out;  // synced: the user is told it succeeded
    out.accounts.push_back(acc);
    delete_sessions(acc.identifier, out, now, who.session.digest);
    out.add_journal(acc.identifier,
                    make_journal_entry(now, pending ? journal_type::activation_completed : journal_type::password_changed,
                               in.client, "self",
                               out.sessions_deleted.empty()
                                   ? std::string{}
                                   : std::to_string(out.sessions_deleted.size()) + " autre(s) session(s) fermée(s)."));
    commit(out);
    return ok_v;
}

journal_page account_service::activity(const authenticated& who, std::size_t limit, std::string_view before,
                                       timestamp now) {
    return ports_.journal.read_journal(who.acc.identifier, limit, before, now);
}

}  // namespace sesame
