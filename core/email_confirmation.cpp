#include "core/email_confirmation.hpp"

#include "core/contact.hpp"
#include "core/journal_entry.hpp"

namespace sesame {

std::optional<errc> confirmation_blocker(const std::optional<recovery_flow>& f, std::string_view secret_digest,
                                         timestamp now) {
    if (!f || f->kind != flow_kind::email_confirmation || !constant_time_equal(secret_digest, f->link_digest))
        return errc::invalid_token;
    if (f->state != flow_state::open || now >= f->code_expires_at) return errc::token_expired;
    return std::nullopt;
}

std::string confirm_address(account& acc, recovery_flow& f, timestamp now) {
    const bool had_validated = acc.email_validated && !acc.email.empty() && acc.email != f.pending_email;
    std::string previous = had_validated ? acc.email : std::string{};
    acc.email = f.pending_email;
    acc.email_validated = true;
    acc.pending_email.clear();
    acc.updated_at = now;
    ++acc.recovery_epoch;  // a contact change kills outstanding recovery codes and links
    f.state = flow_state::closed;
    f.closed_reason = "used";
    f.detail = "Adresse confirmée.";
    return previous;
}

email_confirmation_service::email_confirmation_service(flow_engine& engine) : engine_(engine) {}

status email_confirmation_service::request_change(const authenticated& who, std::string_view email,
                                                  const client_info& client, timestamp now) {
    const auto normalized = normalize_email(email);
    if (!normalized) return invalid_field("email", "Adresse e-mail invalide.");
    auto guard = engine_.ports().accounts.lock_account(who.acc.identifier);
    auto acc = engine_.ports().accounts.find_account(who.acc.identifier);
    if (!acc) return make_error(errc::unauthenticated);
    changes out;
    add_confirmation(*acc, *normalized, client, "self", now, out);
    out.accounts.push_back(*acc);
    engine_.commit(out);
    return ok_v;
}

void email_confirmation_service::add_confirmation(account& acc, const std::string& email, const client_info& client,
                                                  const std::string& actor, timestamp now, changes& out) {
    const recovery_policy& policy = engine_.policy();
    recovery_flow f = engine_.new_flow(flow_kind::email_confirmation, client, now);
    f.ch = channel::email;
    f.identifier = acc.identifier;
    f.account_epoch = acc.recovery_epoch;
    f.limit_key = "acct:" + acc.identifier;
    f.destination = email;
    f.pending_email = email;
    f.asked = email;
    f.code_expires_at = now + policy.email_confirm_ttl;
    const std::string secret = engine_.new_secret();
    f.link_digest = engine_.digest(secret);
    const std::string link = policy.public_url + "/mon-compte/confirmer#token=" + make_flow_token(f.id, secret);

    acc.pending_email = email;
    acc.updated_at = now;
    engine_.queue_message(f, email_confirmation(engine_.context(f, acc.identifier, now), f.destination, acc.first_name,
                                                link, policy.email_confirm_ttl),
                          out, now);
    if (f.detail.empty()) f.detail = "Lien de confirmation envoyé.";
    out.add_journal(acc.identifier, make_journal_entry(now, journal_type::email_change_requested, client, actor,
                                                       "Confirmation demandée pour " + mask_email(email) + "."));
    out.flows_put.push_back(f);
}

result<std::string> email_confirmation_service::confirm(std::string_view token, const client_info& client,
                                                        timestamp now) {
    const auto parsed = parse_flow_token(token);
    if (!parsed) return make_error(errc::invalid_token);
    const std::string secret_digest = engine_.digest(parsed->secret);
    auto flow_guard = engine_.flows().lock_flow(parsed->flow_id);
    auto f = engine_.flows().find_flow(parsed->flow_id, now);
    if (auto blocked = confirmation_blocker(f, secret_digest, now)) return make_error(*blocked);

    auto account_guard = engine_.ports().accounts.lock_account(f->identifier);
    auto acc = engine_.ports().accounts.find_account(f->identifier);
    if (!acc || acc->pending_email != f->pending_email) return make_error(errc::token_expired);  // superseded
    const std::string previous = confirm_address(*acc, *f, now);
    changes out;
    out.accounts.push_back(*acc);
    out.add_journal(acc->identifier, make_journal_entry(now, journal_type::email_validated, client, "self",
                                                        "Adresse " + mask_email(acc->email) + " confirmée."));
    if (!previous.empty())
        engine_.queue_message(*f, contact_changed_notice(engine_.context(*f, acc->identifier, now), channel::email,
                                                         previous, "L'adresse e-mail"),
                              out, now);
    out.flows_put.push_back(*f);
    engine_.commit(out);
    return acc->email;
}

}  // namespace sesame
