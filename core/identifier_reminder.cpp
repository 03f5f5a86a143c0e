#include "core/identifier_reminder.hpp"

#include <vector>

#include "core/contact.hpp"
#include "core/journal_entry.hpp"

namespace sesame {

bool reminder_names(const account& acc, profile prof, std::string_view contact) {
    if (acc.staff || acc.prof != prof || acc.status != account_status::active) return false;
    return prof != profile::eleve || (acc.email_validated && acc.email == contact);
}

identifier_reminder_service::identifier_reminder_service(flow_engine& engine) : engine_(engine) {}

result<identifier_request_result> identifier_reminder_service::request(profile prof, std::string_view contact,
                                                                       const client_info& client, timestamp now) {
    if (auto refused = engine_.take_request_budget(client, now)) return *refused;
    std::optional<std::string> normalized;
    if (prof == profile::parent) {
        normalized = normalize_french_mobile(contact);
        if (!normalized) return invalid_field("phone", "Numéro de mobile invalide (06 ou 07).");
    } else {
        normalized = normalize_email(contact);
        if (!normalized) return invalid_field("email", "Adresse e-mail invalide.");
    }
    recovery_flow f = engine_.new_flow(flow_kind::identifier_reminder, client, now);
    f.ch = prof == profile::parent ? channel::sms : channel::email;
    f.state = flow_state::closed;
    f.closed_reason = "reminder";
    f.asked = *normalized;
    const identifier_request_result res{f.reference};

    account_repository& accounts = engine_.ports().accounts;
    std::vector<std::string> identifiers;
    const auto ids = prof == profile::parent ? accounts.identifiers_by_phone(*normalized)
                                             : accounts.identifiers_by_email(*normalized);
    for (const auto& id : ids)
        if (auto acc = accounts.find_account(id); acc && reminder_names(*acc, prof, *normalized))
            identifiers.push_back(acc->identifier);
    changes out;
    if (identifiers.empty()) {
        // Nothing is ever sent to a contact that is on no active account.
        f.decoy = true;
        f.outcome = flow_outcome::unknown_contact;
        f.detail = prof == profile::parent ? "Aucun compte parent actif avec ce mobile : rien n'a été envoyé."
                                            : "Aucun compte élève actif avec cette adresse validée : rien n'a été envoyé.";
        out.flows_put.push_back(f);
        engine_.commit(out);
        return res;
    }
    f.destination = *normalized;
    f.identifier = identifiers.front();
    f.candidates.assign(identifiers.begin() + 1, identifiers.end());
    engine_.queue_message(f, identifier_reminder(engine_.context(f, f.identifier, now), f.ch, f.destination, identifiers),
                          out, now);
    if (f.detail.empty()) f.detail = std::to_string(identifiers.size()) + " identifiant(s) envoyé(s).";
    for (const auto& id : identifiers)
        out.add_journal(id, make_journal_entry(now, journal_type::identifier_sent, client, "system",
                                               "Identifiant envoyé (demande " + f.reference + ")."));
    out.flows_put.push_back(f);
    engine_.commit(out);
    return res;
}

}  // namespace sesame
