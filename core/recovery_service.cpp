#include "core/recovery_service.hpp"

#include <algorithm>

#include "core/contact.hpp"
#include "core/identifier.hpp"
#include "core/lockout.hpp"
#include "core/notifications.hpp"
#include "core/password_policy.hpp"

namespace sesame {

namespace {

constexpr std::size_t max_identifier_bytes = 128;
constexpr std::size_t max_password_bytes = 1024;
constexpr std::string_view reference_alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

journal_entry entry(timestamp now, const char* type, const client_info& client, std::string actor,
                    std::string detail) {
    journal_entry e;
    e.at = now;
    e.type = type;
    e.ip = client.ip;
    e.user_agent = client.user_agent.substr(0, 256);
    e.actor = std::move(actor);
    e.detail = std::move(detail);
    return e;
}

domain_error flow_error(errc code) { return make_error(code); }

bool six_digits(std::string_view s) {
    return s.size() == 6 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Keys of the sliding windows.
std::string ip_key(const char* what, const client_info& c) { return std::string(what) + ":" + c.ip; }

}  // namespace

recovery_service::recovery_service(account_ports ports, flow_repository& flows, account_service& accounts, crypto& c,
                                   password_hasher& hasher, recovery_policy policy, std::string server_secret)
    : ports_(ports), flows_(flows), accounts_(accounts), crypto_(c), hasher_(hasher), policy_(std::move(policy)),
      server_secret_(std::move(server_secret)) {
    while (!policy_.public_url.empty() && policy_.public_url.back() == '/') policy_.public_url.pop_back();
}

void recovery_service::set_metrics(metrics_registry& r) {
    const char* help = "Messages not sent because a destination cap stopped them (limits.sends_per_destination, "
                       "limits.sms_per_hour).";
    refused_destination_ = &r.add_counter("sesame_sends_refused_total", help, "reason=\"destination_limit\"");
    refused_sms_hourly_ = &r.add_counter("sesame_sends_refused_total", help, "reason=\"sms_hourly_limit\"");
}

std::string recovery_service::new_id() { return base64url(crypto_.random_bytes(16)); }

std::string recovery_service::new_reference() {
    const std::string bytes = crypto_.random_bytes(8);
    std::string r = "R-";
    for (std::size_t i = 0; i < 8; ++i) {
        if (i == 4) r.push_back('-');
        r.push_back(reference_alphabet[static_cast<unsigned char>(bytes[i]) & 31]);
    }
    return r;
}

std::string recovery_service::new_code() {
    // HOTP (RFC 4226) over a fresh per-code random secret, which is then
    // forgotten: only the HMAC of the code is kept.
    return crypto_.hotp6(crypto_.random_bytes(20), 0);
}

std::string recovery_service::code_hmac(const recovery_flow& f, std::string_view code) {
    return crypto_.hmac_sha256(server_secret_, f.id + ":" + std::string(code));
}

recovery_flow recovery_service::new_flow(flow_kind kind, const client_info& client, timestamp now) {
    recovery_flow f;
    f.id = new_id();
    f.kind = kind;
    f.reference = new_reference();
    f.created_at = now;
    f.last_sent_at = now;
    f.code_expires_at = now + policy_.code_ttl;
    f.ip = client.ip;
    f.user_agent = client.user_agent.substr(0, 256);
    return f;
}

message_context recovery_service::context(const recovery_flow& f, const std::string& identifier, timestamp now) {
    return message_context{to_hex(crypto_.random_bytes(16)), f.reference, identifier, policy_.public_url,
                           policy_.public_host, now};
}

bool recovery_service::admit_send(outbox_message& m, flow_outcome& refused_because, timestamp now) {
    const auto dest = ports_.limits.take("send_dest:" + m.to, policy_.sends_per_destination, now);
    std::string refusal;
    if (!dest.allowed) {
        refusal = "limite d'envois vers ce destinataire atteinte (limits.sends_per_destination)";
        refused_because = flow_outcome::destination_limit;
        if (refused_destination_) refused_destination_->inc();
    } else if (m.ch == channel::sms && !ports_.limits.take("sms_global", policy_.sms_per_hour, now).allowed) {
        refusal = "plafond global de SMS atteint (limits.sms_per_hour)";
        refused_because = flow_outcome::sms_hourly_limit;
        if (refused_sms_hourly_) refused_sms_hourly_->inc();
    }
    if (refusal.empty()) return true;
    m.status = message_status::refused;
    m.history.push_back({now, "refused", refusal});
    return false;
}

void recovery_service::queue_message(recovery_flow& f, outbox_message m, changes& out, timestamp now) {
    flow_outcome refused_because = flow_outcome::sent;
    const bool admitted = admit_send(m, refused_because, now);
    f.message_ids.push_back(m.id);
    if (!admitted) {
        f.outcome = refused_because;
        f.detail = "Message non envoyé : " + m.history.back().detail + ".";
    }
    out.outbox.push_back(std::move(m));
}

void recovery_service::commit(const changes& c) {
    if (c.empty()) return;
    ports_.sink.apply(c);
    std::vector<std::string> ids;
    for (const auto& m : c.outbox)
        if (m.status == message_status::pending) ids.push_back(m.id);
    if (!ids.empty()) ports_.notifier.notify(ids);
}

std::optional<std::uint64_t> recovery_service::current_epoch(const recovery_flow& f) {
    if (f.decoy || f.identifier.empty()) return std::nullopt;
    auto acc = ports_.accounts.find_account(f.identifier);
    if (!acc) return f.account_epoch + 1;  // the account is gone: the flow is dead
    return acc->recovery_epoch;
}

// ---- forgotten password ----------------------------------------------------

result<flow_started> recovery_service::request_password_reset(std::string_view identifier, profile prof,
                                                              const client_info& client, timestamp now) {
    if (auto d = ports_.limits.take(ip_key("recovery_ip", client), policy_.recovery_per_ip, now); !d.allowed)
        return rate_limited(d.retry_after);
    const std::string id = normalize_login(identifier);
    if (id.empty() || id.size() > max_identifier_bytes) return invalid_field("identifier", "Indiquez votre identifiant.");
    // The identifier's window and cooldown count only requests they let
    // through, so a client retrying during the cooldown does not use up
    // the hour's budget.
    const std::string id_key = "recovery_id:" + id, cooldown_key = "recovery_cooldown:" + id;
    const rate_limit cooldown{1, policy_.resend_cooldown};
    if (auto d = ports_.limits.check(cooldown_key, cooldown, now); !d.allowed) return rate_limited(d.retry_after);
    if (auto d = ports_.limits.check(id_key, policy_.recovery_per_identifier, now); !d.allowed)
        return rate_limited(d.retry_after);
    ports_.limits.add(cooldown_key, cooldown, now);
    ports_.limits.add(id_key, policy_.recovery_per_identifier, now);

    recovery_flow f = new_flow(flow_kind::password_reset, client, now);
    f.ch = prof == profile::parent ? channel::sms : channel::email;
    flow_started started{f.id, f.reference, f.ch, policy_.code_ttl};

    f.asked = id;
    auto acc = ports_.accounts.find_account(id);
    std::string why_not;
    if (!acc || acc->staff) {
        // Staff recover their access through an admin: a staff login is
        // treated like an unknown identifier.
        why_not = "Identifiant inconnu.";
        f.outcome = flow_outcome::unknown_identifier;
        acc.reset();
    } else if (acc->prof != prof) {
        why_not = std::string("Le profil indiqué (") + (prof == profile::parent ? "responsable légal" : "élève") +
                  ") ne correspond pas au compte.";
        f.outcome = flow_outcome::wrong_profile;
    } else if (acc->status != account_status::active) {
        why_not = "Compte pas encore activé : voir l'activation.";
        f.outcome = flow_outcome::not_activated;
    } else if (prof == profile::parent && !acc->phone) {
        why_not = "Aucun mobile connu pour ce compte.";
        f.outcome = flow_outcome::no_contact;
    } else if (prof == profile::eleve && acc->email.empty()) {
        why_not = "Aucune adresse e-mail connue pour ce compte.";
        f.outcome = flow_outcome::no_contact;
    } else if (prof == profile::eleve && !acc->email_validated) {
        why_not = "L'adresse e-mail du compte n'a pas été validée : elle ne reçoit pas de message de récupération.";
        f.outcome = flow_outcome::email_not_validated;
    }

    if (!why_not.empty()) {
        // The decoy: stored like a real flow (same write), can never succeed.
        f.decoy = true;
        f.limit_key = "decoy:" + id;
        // Staff read the decoy on the account's record (a wrong profile, an
        // account not activated...): it names the account, and still can
        // never succeed.
        if (acc) f.identifier = acc->identifier;
        f.code_hmac = code_hmac(f, new_code());
        f.detail = "Demande refusée sans envoi : " + why_not;
        changes out;
        out.flows_put.push_back(f);
        if (acc) out.add_journal(acc->identifier, entry(now, journal_type::recovery_requested, client, "self",
                                                        "Demande " + f.reference + " sans envoi : " + why_not));
        commit(out);
        return started;
    }

    auto guard = ports_.accounts.lock_account(id);
    acc = ports_.accounts.find_account(id);
    if (!acc) return started;
    account before = *acc;
    ++acc->recovery_epoch;  // one live reset per account: the new request kills the others
    acc->updated_at = now;
    f.identifier = acc->identifier;
    f.account_epoch = acc->recovery_epoch;
    f.limit_key = "acct:" + acc->identifier;
    const std::string code = new_code();
    f.code_hmac = code_hmac(f, code);
    changes out;
    const message_context ctx = context(f, acc->identifier, now);
    if (prof == profile::parent) {
        f.destination = *acc->phone;
        queue_message(f, recovery_code_sms(ctx, f.destination, code, policy_.code_ttl), out, now);
    } else {
        f.destination = acc->email;
        const std::string link_secret = base64url(crypto_.random_bytes(32));
        f.link_digest = crypto_.sha256(link_secret);
        const std::string link = policy_.public_url + "/reinitialisation#flow=" + f.id + "&token=" + link_secret;
        queue_message(f, recovery_code_email(ctx, f.destination, acc->first_name, code, link, policy_.code_ttl), out,
                      now);
    }
    f.sends = 1;
    if (f.detail.empty()) f.detail = "Code envoyé.";
    const bool sent = out.outbox.back().status == message_status::pending;
    out.add_journal(acc->identifier, entry(now, journal_type::recovery_requested, client, "self",
                                           "Demande " + f.reference + " (" + to_string(f.ch) + ")."));
    if (sent)
        out.add_journal(acc->identifier, entry(now, journal_type::code_sent, client, "system",
                                               f.ch == channel::sms ? "Code envoyé par SMS au " + mask_phone(f.destination)
                                                                    : "Lien et code envoyés à " + mask_email(f.destination)));
    out.accounts.push_back({*acc, before});
    out.flows_put.push_back(f);
    commit(out);
    return started;
}

result<duration> recovery_service::resend(std::string_view flow_id, flow_kind kind, const client_info& client,
                                          timestamp now) {
    auto guard = flows_.lock_flow(flow_id);
    auto f = flows_.find_flow(flow_id, now);
    if (!f || f->kind != kind) return flow_error(errc::flow_closed);
    if (f->state != flow_state::open || f->failed_attempts >= policy_.max_attempts) return flow_error(errc::flow_closed);
    if (auto epoch = current_epoch(*f); epoch && *epoch != f->account_epoch) return flow_error(errc::flow_closed);
    if (now - f->last_sent_at < policy_.resend_cooldown) return rate_limited(policy_.resend_cooldown - (now - f->last_sent_at));

    f->last_sent_at = now;
    f->code_expires_at = now + policy_.code_ttl;
    ++f->sends;
    const std::string code = new_code();
    f->code_hmac = code_hmac(*f, code);  // the previous code is dead
    changes out;
    if (!f->decoy) {
        const std::string who = f->identifier.empty() ? (f->candidates.empty() ? std::string{} : f->candidates.front())
                                                      : f->identifier;
        const message_context ctx = context(*f, who, now);
        if (kind == flow_kind::activation) {
            queue_message(*f, activation_code_sms(ctx, f->destination, code, policy_.code_ttl), out, now);
        } else if (f->ch == channel::sms) {
            queue_message(*f, recovery_code_sms(ctx, f->destination, code, policy_.code_ttl), out, now);
        } else {
            auto acc = ports_.accounts.find_account(f->identifier);
            const std::string link_secret = base64url(crypto_.random_bytes(32));
            f->link_digest = crypto_.sha256(link_secret);
            const std::string link = policy_.public_url + "/reinitialisation#flow=" + f->id + "&token=" + link_secret;
            queue_message(*f, recovery_code_email(ctx, f->destination, acc ? acc->first_name : std::string{}, code, link,
                                                  policy_.code_ttl),
                          out, now);
        }
        if (out.outbox.back().status == message_status::pending) {
            const std::string detail = "Nouveau code envoyé (demande " + f->reference + ").";
            if (!f->identifier.empty())
                out.add_journal(f->identifier, entry(now, journal_type::code_sent, client, "system", detail));
            for (const auto& c : f->candidates) out.add_journal(c, entry(now, journal_type::code_sent, client, "system", detail));
        }
    }
    out.flows_put.push_back(*f);
    commit(out);
    return policy_.code_ttl;
}

result<verified_flow> recovery_service::verify(std::string_view flow_id, flow_kind kind,
                                               std::optional<std::string_view> code,
                                               std::optional<std::string_view> link_token, const client_info& client,
                                               timestamp now) {
    const std::string ip_window = ip_key("code_fail_ip", client);
    if (auto d = ports_.limits.check(ip_window, policy_.code_failures_per_ip, now); !d.allowed)
        return rate_limited(d.retry_after);

    auto flow_guard = flows_.lock_flow(flow_id);
    auto f = flows_.find_flow(flow_id, now);
    if (!f) return flow_error(errc::flow_expired);  // unknown, or past its keeping time
    if (f->kind != kind) return flow_error(errc::flow_closed);
    if (auto blocker = verify_blocker(*f, current_epoch(*f), policy_.max_attempts, now)) return flow_error(*blocker);

    // Every verify of the account (across its flows) is serialised, so the
    // daily cap of wrong codes is exact.
    auto account_guard = ports_.accounts.lock_account(f->limit_key);
    const std::string account_window = "code_fail_acct:" + f->limit_key;
    if (auto d = ports_.limits.check(account_window, policy_.code_failures_per_account, now); !d.allowed)
        return rate_limited(d.retry_after);

    bool right = false;
    if (!f->decoy) {
        if (code) right = six_digits(*code) && constant_time_equal(code_hmac(*f, *code), f->code_hmac);
        else if (link_token && !f->link_digest.empty())
            right = constant_time_equal(crypto_.sha256(*link_token), f->link_digest);
    }

    changes out;
    out.synced = false;
    if (!right) {
        ++f->failed_attempts;
        ports_.limits.add(account_window, policy_.code_failures_per_account, now);
        ports_.limits.add(ip_window, policy_.code_failures_per_ip, now);
        const int left = int(policy_.max_attempts) - int(f->failed_attempts);
        if (left <= 0) {
            f->state = flow_state::closed;
            f->closed_reason = "out_of_tries";
            f->detail = "Fermée après " + std::to_string(policy_.max_attempts) + " codes erronés.";
        }
        const std::string detail = "Code erroné pour la demande " + f->reference + " (" +
                                   std::to_string(std::max(left, 0)) + " essai(s) restant(s)).";
        if (!f->identifier.empty())
            out.add_journal(f->identifier, entry(now, journal_type::code_failed, client, "self", detail));
        for (const auto& c : f->candidates) out.add_journal(c, entry(now, journal_type::code_failed, client, "self", detail));
        out.flows_put.push_back(*f);
        commit(out);
        domain_error e = make_error(errc::invalid_code);
        e.attempts_left = std::max(left, 0);
        return e;
    }

    // Consumed once: the flow leaves `open` under its lock.
    const std::string secret = base64url(crypto_.random_bytes(32));
    f->state = flow_state::verified;
    f->token_digest = crypto_.sha256(secret);
    f->token_expires_at = now + policy_.token_ttl;
    f->detail = "Code vérifié.";
    out.synced = true;
    out.flows_put.push_back(*f);
    commit(out);
    verified_flow v{make_flow_token(f->id, secret), policy_.token_ttl, 0};
    if (kind == flow_kind::activation) v.children = children_of(f->candidates);
    return v;
}

status recovery_service::reset_password(std::string_view reset_token, std::string_view new_password,
                                        const client_info& client, timestamp now) {
    if (new_password.size() > max_password_bytes) return invalid_field("new_password", "Le mot de passe est trop long.");
    const auto parsed = parse_flow_token(reset_token);
    if (!parsed) return flow_error(errc::token_expired);
    auto usable = [&](const std::optional<recovery_flow>& f) {
        return f && f->kind == flow_kind::password_reset && f->state == flow_state::verified && !f->decoy &&
               now < f->token_expires_at && constant_time_equal(crypto_.sha256(parsed->secret), f->token_digest);
    };
    auto f = flows_.find_flow(parsed->flow_id, now);
    if (!usable(f)) return flow_error(errc::token_expired);
    auto acc = ports_.accounts.find_account(f->identifier);
    if (!acc || acc->recovery_epoch != f->account_epoch) return flow_error(errc::token_expired);

    // Policy and history before anything is consumed: a refused password
    // leaves the token usable.
    password_context ctx{acc->identifier, acc->first_name, acc->last_name, accounts_.policy().min_password_length};
    std::vector<std::string> reasons = password_weaknesses(new_password, ctx);
    if (reasons.empty()) {
        bool reused = !acc->password_hash.empty() && hasher_.verify(acc->password_hash, new_password);
        for (std::size_t i = 0; !reused && i < acc->password_history.size() && i + 1 < accounts_.policy().password_history; ++i)
            reused = hasher_.verify(acc->password_history[i], new_password);
        if (reused) reasons.push_back("Vous avez déjà utilisé ce mot de passe récemment : choisissez-en un autre.");
    }
    if (!reasons.empty()) {
        domain_error e = make_error(errc::weak_password);
        e.reasons = std::move(reasons);
        return e;
    }
    const std::string new_hash = hasher_.hash(new_password);

    auto flow_guard = flows_.lock_flow(parsed->flow_id);
    auto account_guard = ports_.accounts.lock_account(f->identifier);
    f = flows_.find_flow(parsed->flow_id, now);
    acc = ports_.accounts.find_account(f ? f->identifier : std::string{});
    if (!usable(f) || !acc || acc->recovery_epoch != f->account_epoch) return flow_error(errc::token_expired);

    account before = *acc;
    if (!acc->password_hash.empty()) acc->password_history.insert(acc->password_history.begin(), acc->password_hash);
    const std::size_t keep = accounts_.policy().password_history > 0 ? accounts_.policy().password_history - 1 : 0;
    if (acc->password_history.size() > keep) acc->password_history.resize(keep);
    acc->password_hash = new_hash;
    acc->must_change_password = false;
    acc->activation_digest.clear();
    acc->status = account_status::active;
    lift(acc->lockout);  // a successful recovery lifts any lock, the hard one included
    acc->password_changed_at = now;
    acc->updated_at = now;
    ++acc->recovery_epoch;
    f->state = flow_state::closed;
    f->closed_reason = "used";
    f->detail = "Mot de passe changé.";

    changes out;
    out.accounts.push_back({*acc, before});
    accounts_.delete_sessions(acc->identifier, out, now);
    out.add_journal(acc->identifier, entry(now, journal_type::password_reset, client, "self",
                                           "Mot de passe changé avec la demande " + f->reference + " ; " +
                                               std::to_string(out.sessions_deleted.size()) + " session(s) fermée(s)."));
    const message_context mctx = context(*f, acc->identifier, now);
    queue_message(*f, password_changed_notice(mctx, f->ch, f->destination), out, now);
    out.flows_put.push_back(*f);
    commit(out);
    return ok_v;
}

// ---- forgotten identifier --------------------------------------------------

result<identifier_request_result> recovery_service::request_identifier(profile prof, std::string_view contact,
                                                                       const client_info& client, timestamp now) {
    if (auto d = ports_.limits.take(ip_key("recovery_ip", client), policy_.recovery_per_ip, now); !d.allowed)
        return rate_limited(d.retry_after);
    std::optional<std::string> normalized;
    if (prof == profile::parent) {
        normalized = normalize_french_mobile(contact);
        if (!normalized) return invalid_field("phone", "Numéro de mobile invalide (06 ou 07).");
    } else {
        normalized = normalize_email(contact);
        if (!normalized) return invalid_field("email", "Adresse e-mail invalide.");
    }
    recovery_flow f = new_flow(flow_kind::identifier_reminder, client, now);
    f.ch = prof == profile::parent ? channel::sms : channel::email;
    f.state = flow_state::closed;
    f.closed_reason = "reminder";
    f.asked = *normalized;
    identifier_request_result res{f.reference};

    std::vector<account> matches;
    const auto ids = prof == profile::parent ? ports_.accounts.identifiers_by_phone(*normalized)
                                             : ports_.accounts.identifiers_by_email(*normalized);
    for (const auto& id : ids) {
        auto acc = ports_.accounts.find_account(id);
        if (!acc || acc->staff || acc->prof != prof || acc->status != account_status::active) continue;
        if (prof == profile::eleve && (!acc->email_validated || acc->email != *normalized)) continue;
        matches.push_back(std::move(*acc));
    }
    changes out;
    if (matches.empty()) {
        // Nothing is ever sent to a contact that is on no active account.
        f.decoy = true;
        f.outcome = flow_outcome::unknown_contact;
        f.detail = prof == profile::parent ? "Aucun compte parent actif avec ce mobile : rien n'a été envoyé."
                                            : "Aucun compte élève actif avec cette adresse validée : rien n'a été envoyé.";
        out.flows_put.push_back(f);
        commit(out);
        return res;
    }
    f.destination = *normalized;
    f.identifier = matches.front().identifier;
    std::vector<std::string> identifiers;
    for (const auto& a : matches) identifiers.push_back(a.identifier);
    f.candidates.assign(identifiers.begin() + 1, identifiers.end());
    queue_message(f, identifier_reminder(context(f, f.identifier, now), f.ch, f.destination, identifiers), out, now);
    if (f.detail.empty()) f.detail = std::to_string(identifiers.size()) + " identifiant(s) envoyé(s).";
    for (const auto& a : matches)
        out.add_journal(a.identifier, entry(now, journal_type::identifier_sent, client, "system",
                                            "Identifiant envoyé (demande " + f.reference + ")."));
    out.flows_put.push_back(f);
    commit(out);
    return res;
}

// ---- parent activation -----------------------------------------------------

result<flow_started> recovery_service::request_activation(std::string_view phone, const client_info& client,
                                                          timestamp now) {
    if (auto d = ports_.limits.take(ip_key("recovery_ip", client), policy_.recovery_per_ip, now); !d.allowed)
        return rate_limited(d.retry_after);
    const auto mobile = normalize_french_mobile(phone);
    if (!mobile) return invalid_field("phone", "Numéro de mobile invalide (06 ou 07).");
    if (auto d = ports_.limits.take("activation_cooldown:" + *mobile, {1, policy_.resend_cooldown}, now); !d.allowed)
        return rate_limited(d.retry_after);

    recovery_flow f = new_flow(flow_kind::activation, client, now);
    f.ch = channel::sms;
    f.limit_key = "phone:" + *mobile;
    f.asked = *mobile;
    flow_started started{f.id, f.reference, f.ch, policy_.code_ttl};
    for (const auto& id : ports_.accounts.identifiers_by_phone(*mobile)) {
        auto acc = ports_.accounts.find_account(id);
        if (acc && !acc->staff && acc->prof == profile::parent && acc->status == account_status::pending)
            f.candidates.push_back(acc->identifier);
    }
    const std::string code = new_code();
    f.code_hmac = code_hmac(f, code);
    changes out;
    if (f.candidates.empty()) {
        f.decoy = true;
        f.outcome = flow_outcome::unknown_contact;
        f.detail = "Aucun parent à activer avec ce mobile : aucun SMS envoyé.";
        out.flows_put.push_back(f);
        commit(out);
        return started;
    }
    f.destination = *mobile;
    queue_message(f, activation_code_sms(context(f, f.candidates.front(), now), f.destination, code, policy_.code_ttl),
                  out, now);
    f.sends = 1;
    if (f.detail.empty()) f.detail = "Code d'activation envoyé.";
    for (const auto& c : f.candidates)
        out.add_journal(c, entry(now, journal_type::code_sent, client, "system",
                                 "Code d'activation envoyé au " + mask_phone(f.destination) + " (demande " +
                                     f.reference + ")."));
    out.flows_put.push_back(f);
    commit(out);
    return started;
}

std::size_t recovery_service::children_of(const std::vector<std::string>& candidates) {
    std::size_t most = 0;
    for (const auto& id : candidates)
        if (auto acc = ports_.accounts.find_account(id)) most = std::max(most, acc->children.size());
    return most;
}

bool recovery_service::birth_dates_match(const account& parent, std::vector<std::chrono::year_month_day> given) {
    if (given.size() != parent.children.size()) return false;
    std::vector<std::chrono::year_month_day> known;
    for (const auto& ext : parent.children) {
        auto id = ports_.accounts.identifier_by_external_id(parent.establishment, ext);
        if (!id) return false;
        auto child = ports_.accounts.find_account(*id);
        if (!child || !child->birth_date) return false;
        known.push_back(*child->birth_date);
    }
    auto less = [](const auto& a, const auto& b) { return std::chrono::sys_days(a) < std::chrono::sys_days(b); };
    std::sort(known.begin(), known.end(), less);
    std::sort(given.begin(), given.end(), less);
    return known == given;
}

result<login_success> recovery_service::complete_activation(const activation_input& in, timestamp now) {
    if (in.new_password.size() > max_password_bytes) return invalid_field("new_password", "Le mot de passe est trop long.");
    const auto parsed = parse_flow_token(in.token);
    if (!parsed) return flow_error(errc::token_expired);
    auto usable = [&](const std::optional<recovery_flow>& f) {
        return f && f->kind == flow_kind::activation && f->state == flow_state::verified && !f->decoy &&
               now < f->token_expires_at && constant_time_equal(crypto_.sha256(parsed->secret), f->token_digest);
    };
    account chosen;
    {
        auto flow_guard = flows_.lock_flow(parsed->flow_id);
        auto f = flows_.find_flow(parsed->flow_id, now);
        if (!usable(f)) return flow_error(errc::token_expired);
        std::vector<account> matches;
        for (const auto& id : f->candidates) {
            auto acc = ports_.accounts.find_account(id);
            if (!acc || acc->status != account_status::pending || !birth_dates_match(*acc, in.birth_dates)) continue;
            if (in.first_name && fold_to_ascii_lower(*in.first_name) != fold_to_ascii_lower(acc->first_name)) continue;
            matches.push_back(std::move(*acc));
        }
        if (matches.empty()) {
            ++f->birth_date_attempts;
            const int left = int(policy_.max_birth_date_attempts) - int(f->birth_date_attempts);
            if (left <= 0) {
                f->state = flow_state::closed;
                f->closed_reason = "birth_dates";
                f->detail = "Fermée après " + std::to_string(policy_.max_birth_date_attempts) +
                             " essais de dates de naissance.";
            }
            changes out;
            out.flows_put.push_back(*f);
            commit(out);
            domain_error e = make_error(errc::birth_dates_mismatch);
            e.attempts_left = std::max(left, 0);
            return e;
        }
        if (matches.size() > 1) {
            domain_error e = make_error(errc::ambiguous_contact);
            e.message = "Plusieurs comptes parents correspondent à ce numéro et à ces dates. Indiquez votre prénom, ou "
                        "adressez-vous au secrétariat de l'établissement.";
            return e;
        }
        chosen = std::move(matches.front());
    }

    password_context ctx{chosen.identifier, chosen.first_name, chosen.last_name,
                         accounts_.policy().min_password_length};
    if (auto reasons = password_weaknesses(in.new_password, ctx); !reasons.empty()) {
        domain_error e = make_error(errc::weak_password);
        e.reasons = std::move(reasons);
        return e;
    }
    const std::string new_hash = hasher_.hash(in.new_password);

    auto flow_guard = flows_.lock_flow(parsed->flow_id);
    auto account_guard = ports_.accounts.lock_account(chosen.identifier);
    auto f = flows_.find_flow(parsed->flow_id, now);
    auto acc = ports_.accounts.find_account(chosen.identifier);
    if (!usable(f) || !acc || acc->status != account_status::pending) return flow_error(errc::token_expired);
    account before = *acc;
    acc->password_hash = new_hash;
    acc->status = account_status::active;
    acc->must_change_password = false;
    acc->activation_digest.clear();
    acc->password_changed_at = now;
    acc->updated_at = now;
    ++acc->recovery_epoch;
    f->state = flow_state::closed;
    f->closed_reason = "used";
    f->identifier = acc->identifier;
    f->detail = "Compte " + acc->identifier + " activé.";
    changes out;
    out.accounts.push_back({*acc, before});
    out.add_journal(acc->identifier, entry(now, journal_type::activation_completed, in.client, "self",
                                           "Compte activé par SMS (demande " + f->reference + ")."));
    out.flows_put.push_back(*f);
    login_success ok = accounts_.open_session(*acc, in.client, now, out);
    commit(out);
    return ok;
}

// ---- e-mail confirmation ---------------------------------------------------

status recovery_service::request_email_change(const authenticated& who, std::string_view email,
                                              const client_info& client, timestamp now) {
    const auto normalized = normalize_email(email);
    if (!normalized) return invalid_field("email", "Adresse e-mail invalide.");
    auto guard = ports_.accounts.lock_account(who.acc.identifier);
    auto acc = ports_.accounts.find_account(who.acc.identifier);
    if (!acc) return make_error(errc::unauthenticated);
    account before = *acc;
    changes out;
    add_email_confirmation(*acc, *normalized, client, "self", now, out);
    out.accounts.push_back({*acc, before});
    commit(out);
    return ok_v;
}

void recovery_service::add_email_confirmation(account& acc, const std::string& email, const client_info& client,
                                              const std::string& actor, timestamp now, changes& out) {
    recovery_flow f = new_flow(flow_kind::email_confirmation, client, now);
    f.ch = channel::email;
    f.identifier = acc.identifier;
    f.account_epoch = acc.recovery_epoch;
    f.limit_key = "acct:" + acc.identifier;
    f.destination = email;
    f.pending_email = email;
    f.asked = email;
    f.code_expires_at = now + policy_.email_confirm_ttl;
    const std::string secret = base64url(crypto_.random_bytes(32));
    f.link_digest = crypto_.sha256(secret);
    const std::string token = make_flow_token(f.id, secret);
    const std::string link = policy_.public_url + "/mon-compte/confirmer#token=" + token;

    acc.pending_email = email;
    acc.updated_at = now;
    queue_message(f, email_confirmation(context(f, acc.identifier, now), f.destination, acc.first_name, link,
                                        policy_.email_confirm_ttl),
                  out, now);
    if (f.detail.empty()) f.detail = "Lien de confirmation envoyé.";
    out.add_journal(acc.identifier, entry(now, journal_type::email_change_requested, client, actor,
                                          "Confirmation demandée pour " + mask_email(email) + "."));
    out.flows_put.push_back(f);
}

outbox_message recovery_service::contact_notice(const account& acc, channel ch, const std::string& to,
                                                const std::string& what, timestamp now) {
    const message_context ctx{to_hex(crypto_.random_bytes(16)), {}, acc.identifier, policy_.public_url,
                              policy_.public_host, now};
    return contact_changed_notice(ctx, ch, to, what);
}

result<std::string> recovery_service::confirm_email(std::string_view token, const client_info& client, timestamp now) {
    const auto parsed = parse_flow_token(token);
    if (!parsed) return flow_error(errc::invalid_token);
    auto flow_guard = flows_.lock_flow(parsed->flow_id);
    auto f = flows_.find_flow(parsed->flow_id, now);
    if (!f || f->kind != flow_kind::email_confirmation ||
        !constant_time_equal(crypto_.sha256(parsed->secret), f->link_digest))
        return flow_error(errc::invalid_token);
    if (f->state != flow_state::open || now >= f->code_expires_at) return flow_error(errc::token_expired);

    auto account_guard = ports_.accounts.lock_account(f->identifier);
    auto acc = ports_.accounts.find_account(f->identifier);
    if (!acc || acc->pending_email != f->pending_email) return flow_error(errc::token_expired);  // superseded
    account before = *acc;
    const bool had_validated = acc->email_validated && !acc->email.empty() && acc->email != f->pending_email;
    const std::string previous = acc->email;
    acc->email = f->pending_email;
    acc->email_validated = true;
    acc->pending_email.clear();
    acc->updated_at = now;
    ++acc->recovery_epoch;  // a contact change kills outstanding recovery codes and links
    f->state = flow_state::closed;
    f->closed_reason = "used";
    f->detail = "Adresse confirmée.";
    changes out;
    out.accounts.push_back({*acc, before});
    out.add_journal(acc->identifier, entry(now, journal_type::email_validated, client, "self",
                                           "Adresse " + mask_email(acc->email) + " confirmée."));
    if (had_validated)
        queue_message(*f, contact_changed_notice(context(*f, acc->identifier, now), channel::email, previous,
                                                 "L'adresse e-mail"),
                      out, now);
    out.flows_put.push_back(*f);
    commit(out);
    return acc->email;
}

}  // namespace sesame
