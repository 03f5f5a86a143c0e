#include "core/password_reset.hpp"

#include "core/contact.hpp"
#include "core/identifier.hpp"
#include "core/journal_entry.hpp"
#include "core/lockout.hpp"
#include "core/password_history.hpp"

namespace sesame {

namespace {
constexpr std::size_t max_identifier_bytes = 128;
constexpr std::size_t max_password_bytes = 1024;
}  // namespace

std::optional<reset_refusal> refuse_reset(const std::optional<account>& acc, profile prof) {
    // Staff recover their access through an admin: a staff login is
    // treated like an unknown identifier.
    if (!acc || acc->staff) return reset_refusal{flow_outcome::unknown_identifier, "Identifiant inconnu."};
    if (acc->prof != prof)
        return reset_refusal{flow_outcome::wrong_profile,
                             std::string("Le profil indiqué (") +
                                 (prof == profile::parent ? "responsable légal" : "élève") +
                                 ") ne correspond pas au compte."};
    if (acc->status != account_status::active)
        return reset_refusal{flow_outcome::not_activated, "Compte pas encore activé : voir l'activation."};
    if (prof == profile::parent && !acc->phone)
        return reset_refusal{flow_outcome::no_contact, "Aucun mobile connu pour ce compte."};
    if (prof == profile::eleve && acc->email.empty())
        return reset_refusal{flow_outcome::no_contact, "Aucune adresse e-mail connue pour ce compte."};
    if (prof == profile::eleve && !acc->email_validated)
        return reset_refusal{flow_outcome::email_not_validated,
                             "L'adresse e-mail du compte n'a pas été validée : elle ne reçoit pas de message de "
                             "récupération."};
    return std::nullopt;
}

void complete_reset(account& acc, recovery_flow& f, std::string new_hash, std::size_t password_history,
                    timestamp now) {
    rotate_password(acc, std::move(new_hash), password_history);
    acc.must_change_password = false;
    acc.activation_digest.clear();
    acc.status = account_status::active;
    lift(acc.lockout);  // a successful recovery lifts any lock, the hard one included
    acc.password_changed_at = now;
    acc.updated_at = now;
    ++acc.recovery_epoch;
    f.state = flow_state::closed;
    f.closed_reason = "used";
    f.detail = "Mot de passe changé.";
}

password_reset_service::password_reset_service(flow_engine& engine, account_service& accounts,
                                               password_hasher& hasher)
    : engine_(engine), accounts_(accounts), hasher_(hasher) {}

outbox_message password_reset_service::code_message(recovery_flow& f, const std::string& first_name,
                                                    const std::string& code, const message_context& ctx) {
    const duration ttl = engine_.policy().code_ttl;
    if (f.ch == channel::sms) return recovery_code_sms(ctx, f.destination, code, ttl);
    const std::string link_secret = engine_.new_secret();
    f.link_digest = engine_.digest(link_secret);
    const std::string link = engine_.policy().public_url + "/reinitialisation#flow=" + f.id + "&token=" + link_secret;
    return recovery_code_email(ctx, f.destination, first_name, code, link, ttl);
}

result<flow_started> password_reset_service::request(std::string_view identifier, profile prof,
                                                     const client_info& client, timestamp now) {
    if (auto refused = engine_.take_request_budget(client, now)) return *refused;
    const std::string id = normalize_login(identifier);
    if (id.empty() || id.size() > max_identifier_bytes) return invalid_field("identifier", "Indiquez votre identifiant.");
    // The identifier's window and cooldown count only requests they let
    // through, so a client retrying during the cooldown does not use up
    // the hour's budget.
    const recovery_policy& policy = engine_.policy();
    rate_limiter& limits = engine_.ports().limits;
    const std::string id_key = "recovery_id:" + id, cooldown_key = "recovery_cooldown:" + id;
    const rate_limit cooldown{1, policy.resend_cooldown};
    if (auto d = limits.check(cooldown_key, cooldown, now); !d.allowed) return rate_limited(d.retry_after);
    if (auto d = limits.check(id_key, policy.recovery_per_identifier, now); !d.allowed)
        return rate_limited(d.retry_after);
    limits.add(cooldown_key, cooldown, now);
    limits.add(id_key, policy.recovery_per_identifier, now);

    recovery_flow f = engine_.new_flow(flow_kind::password_reset, client, now);
    f.ch = prof == profile::parent ? channel::sms : channel::email;
    f.asked = id;
    const flow_started started{f.id, f.reference, f.ch, policy.code_ttl};
    auto acc = engine_.ports().accounts.find_account(id);

    if (auto refused = refuse_reset(acc, prof)) {
        // The decoy: stored like a real flow (same write), can never succeed.
        // Staff read it on the account's record (a wrong profile, an account
        // not activated...): it names the account, and still never succeeds.
        if (refused->outcome == flow_outcome::unknown_identifier) acc.reset();
        f.decoy = true;
        f.outcome = refused->outcome;
        f.limit_key = "decoy:" + id;
        if (acc) f.identifier = acc->identifier;
        f.code_hmac = engine_.code_hmac(f, engine_.new_code());
        f.detail = "Demande refusée sans envoi : " + refused->why;
        changes out;
        out.flows_put.push_back(f);
        if (acc)
            out.add_journal(acc->identifier, make_journal_entry(now, journal_type::recovery_requested, client, "self",
                                                                "Demande " + f.reference + " sans envoi : " +
                                                                    refused->why));
        engine_.commit(out);
        return started;
    }

    auto guard = engine_.ports().accounts.lock_account(id);
    acc = engine_.ports().accounts.find_account(id);
    if (!acc) return started;
    ++acc->recovery_epoch;  // one live reset per account: the new request kills the others
    acc->updated_at = now;
    f.identifier = acc->identifier;
    f.account_epoch = acc->recovery_epoch;
    f.limit_key = "acct:" + acc->identifier;
    f.destination = prof == profile::parent ? *acc->phone : acc->email;
    const std::string code = engine_.new_code();
    f.code_hmac = engine_.code_hmac(f, code);
    changes out;
    const message_context ctx = engine_.context(f, acc->identifier, now);
    engine_.queue_message(f, code_message(f, acc->first_name, code, ctx), out, now);
    f.sends = 1;
    if (f.detail.empty()) f.detail = "Code envoyé.";
    const bool sent = out.outbox.back().status == message_status::pending;
    out.add_journal(acc->identifier, make_journal_entry(now, journal_type::recovery_requested, client, "self",
                                                        "Demande " + f.reference + " (" + to_string(f.ch) + ")."));
    if (sent)
        out.add_journal(acc->identifier,
                        make_journal_entry(now, journal_type::code_sent, client, "system",
                                           f.ch == channel::sms ? "Code envoyé par SMS au " + mask_phone(f.destination)
                                                                : "Lien et code envoyés à " + mask_email(f.destination)));
    out.accounts.push_back(*acc);
    out.flows_put.push_back(f);
    engine_.commit(out);
    return started;
}

result<duration> password_reset_service::resend(std::string_view flow_id, const client_info& client, timestamp now) {
    auto message = [this](recovery_flow& f, const std::string& code, const message_context& ctx) {
        auto acc = engine_.ports().accounts.find_account(f.identifier);
        return code_message(f, acc ? acc->first_name : std::string{}, code, ctx);
    };
    return engine_.resend(flow_id, flow_kind::password_reset, client, now, message);
}

result<verified_flow> password_reset_service::verify(std::string_view flow_id, std::optional<std::string_view> code,
                                                     std::optional<std::string_view> link_token,
                                                     const client_info& client, timestamp now) {
    return engine_.verify(flow_id, flow_kind::password_reset, code, link_token, client, now);
}

status password_reset_service::reset(std::string_view reset_token, std::string_view new_password,
                                     const client_info& client, timestamp now) {
    if (new_password.size() > max_password_bytes) return invalid_field("new_password", "Le mot de passe est trop long.");
    const auto parsed = parse_flow_token(reset_token);
    if (!parsed) return make_error(errc::token_expired);
    const std::string secret_digest = engine_.digest(parsed->secret);
    account_repository& accounts = engine_.ports().accounts;
    auto usable = [&](const std::optional<recovery_flow>& f, const std::optional<account>& acc) {
        return f && token_usable(*f, flow_kind::password_reset, secret_digest, now) && acc &&
               acc->recovery_epoch == f->account_epoch;
    };
    auto f = engine_.flows().find_flow(parsed->flow_id, now);
    auto acc = accounts.find_account(f ? f->identifier : std::string{});
    if (!usable(f, acc)) return make_error(errc::token_expired);

    // Policy and history before anything is consumed: a refused password
    // leaves the token usable.
    const account_policy& ap = accounts_.policy();
    if (auto reasons = new_password_problems(*acc, new_password, ap.min_password_length, ap.password_history, hasher_);
        !reasons.empty()) {
        domain_error e = make_error(errc::weak_password);
        e.reasons = std::move(reasons);
        return e;
    }
    const std::string new_hash = hasher_.hash(new_password);

    auto flow_guard = engine_.flows().lock_flow(parsed->flow_id);
    auto account_guard = accounts.lock_account(f->identifier);
    f = engine_.flows().find_flow(parsed->flow_id, now);
    acc = accounts.find_account(f ? f->identifier : std::string{});
    if (!usable(f, acc)) return make_error(errc::token_expired);

    complete_reset(*acc, *f, new_hash, ap.password_history, now);
    changes out;
    out.accounts.push_back(*acc);
    accounts_.delete_sessions(acc->identifier, out, now);
    out.add_journal(acc->identifier, make_journal_entry(now, journal_type::password_reset, client, "self",
                                                        "Mot de passe changé avec la demande " + f->reference +
                                                            " ; " + std::to_string(out.sessions_deleted.size()) +
                                                            " session(s) fermée(s)."));
    const message_context ctx = engine_.context(*f, acc->identifier, now);
    engine_.queue_message(*f, password_changed_notice(ctx, f->ch, f->destination), out, now);
    out.flows_put.push_back(*f);
    engine_.commit(out);
    return ok_v;
}

}  // namespace sesame
