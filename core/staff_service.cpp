#include "core/staff_service.hpp"

#include <algorithm>
#include <set>

#include "core/activation_code.hpp"
#include "core/contact.hpp"
#include "core/establishment.hpp"
#include "core/identifier.hpp"
#include "core/journal_entry.hpp"
#include "core/name_search.hpp"
#include "core/password_history.hpp"

namespace sesame {

namespace {

constexpr std::size_t flows_in_record = 20;
constexpr std::size_t max_query_bytes = 256;

std::optional<staff_target> target_of(const account& a) {
    return staff_target{a.establishment, a.academie.empty() ? std::string(academie_for_uai(a.establishment)) : a.academie,
                        a.prof};
}

// A masked contact: an e-mail when it has '@', else a phone.
std::string masked(std::string_view contact) {
    if (contact.empty()) return {};
    return contact.find('@') != std::string_view::npos ? mask_email(contact) : mask_phone(contact);
}

std::string flow_state_of(const recovery_flow& f, std::optional<std::uint64_t> epoch, timestamp now) {
    switch (f.state) {
        case flow_state::closed: return f.closed_reason == "used" ? "used" : "closed";
        case flow_state::verified: return now >= f.token_expires_at ? "expired" : "verified";
        case flow_state::open:
            if (epoch && *epoch != f.account_epoch) return "closed";
            return now >= f.code_expires_at ? "expired" : "open";
    }
    return "closed";
}

// A delivery attempt as API.md names its results; lines that are not
// attempts (a refusal, an expiry before sending) are told by the status.
std::optional<attempt_view> attempt_of(const delivery_attempt& a) {
    if (a.result == "accepted" || a.result == "temporary_failure" || a.result == "permanent_failure")
        return attempt_view{a.at, a.result, a.detail};
    if (a.result.rfind("report:", 0) == 0) {
        const std::string status = a.result.substr(7);
        return attempt_view{a.at, "delivery_report", a.detail.empty() ? status : status + " : " + a.detail};
    }
    return std::nullopt;
}

bool allowed_role_field(const staff_info& who, staff_action a, const account& acc) {
    return decide(who, a, target_of(acc)) == permission::allowed;
}

}  // namespace

flow_diagnostic diagnose(const recovery_flow& f, const std::vector<outbox_message>& messages,
                         std::optional<std::uint64_t> account_epoch, timestamp now) {
    flow_diagnostic d;
    d.reference = f.reference;
    d.kind = f.kind;
    d.created_at = f.created_at;
    d.ip = f.ip;
    d.user_agent = f.user_agent;
    d.ch = f.ch;
    d.destination = masked(f.destination);
    d.state = flow_state_of(f, account_epoch, now);
    d.outcome = f.outcome;
    d.detail = f.detail;
    d.failed_attempts = f.failed_attempts;
    d.identifier = f.identifier;
    d.asked = f.kind == flow_kind::password_reset ? f.asked : masked(f.asked);
    for (const auto& m : messages) {
        message_view v{m.id, m.ch, m.purpose, masked(m.to), m.status, {}};
        for (const auto& h : m.history)
            if (auto a = attempt_of(h)) v.attempts.push_back(std::move(*a));
        d.messages.push_back(std::move(v));
    }
    return d;
}

staff_service::staff_service(account_ports ports, flow_repository& flows, outbox_repository& outbox,
                             staff_directory& directory, account_service& accounts, recovery_service& recovery,
                             crypto& c, password_hasher& hasher)
    : ports_(ports), flows_(flows), outbox_(outbox), directory_(directory), accounts_(accounts), recovery_(recovery),
      crypto_(c), hasher_(hasher) {}

// ---- shared steps ----------------------------------------------------------

audit_entry staff_service::audit_line(const staff_caller& who, staff_action action, std::string target,
                                      std::string detail, const account* about, timestamp now) const {
    audit_entry e;
    e.at = now;
    e.actor = who.acc.identifier;
    e.role = to_string(who.info().role);
    e.action = to_string(action);
    e.target = std::move(target);
    e.ip = who.client.ip;
    e.detail = std::move(detail);
    if (about) {
        e.establishment = about->establishment;
        e.academie = target_of(*about)->academie;
    }
    return e;
}

void staff_service::record(audit_entry e) {
    changes out;
    out.synced = false;  // a read leaves no state a user relies on
    out.audit.push_back(std::move(e));
    ports_.sink.apply(out);
}

domain_error staff_service::refused(const staff_caller& who, staff_action action, permission verdict, std::string target,
                                    timestamp now) {
    record(audit_line(who, action, std::move(target),
                      verdict == permission::forbidden ? "Refusé : action non permise à ce rôle."
                                                   : "Refusé : compte introuvable dans le périmètre.",
                      nullptr, now));
    if (verdict == permission::forbidden)
        return make_error(errc::forbidden, "Votre rôle ne permet pas cette action sur ce compte.");
    return make_error(errc::not_found, "Aucun compte de votre périmètre ne porte cet identifiant.");
}

result<account> staff_service::target(const staff_caller& who, staff_action action, std::string_view identifier,
                                      timestamp now, std::optional<staff_action> audited_as) {
    const std::string id = normalize_login(identifier);
    const staff_action logged = audited_as.value_or(action);
    std::optional<account> acc;
    if (!id.empty() && id.size() <= 128) acc = ports_.accounts.find_account(id);
    if (!acc || acc->staff) return refused(who, logged, permission::not_found, id.substr(0, 128), now);
    if (const permission verdict = decide(who.info(), action, target_of(*acc)); verdict != permission::allowed)
        return refused(who, logged, verdict, id, now);
    return std::move(*acc);
}

journal_entry staff_service::journal_line(const staff_caller& who, const char* type, std::string detail,
                                          timestamp now) const {
    return make_journal_entry(now, type, who.client, who.acc.identifier, std::move(detail));
}

account_record staff_service::record_of(account acc, timestamp now) {
    account_record r;
    r.lock = lockout_status(acc.lockout, accounts_.policy().lockout, now);
    for (const auto& f : flows_.flows_of(acc.identifier, flows_in_record, now)) {
        std::vector<outbox_message> messages;
        for (const auto& id : f.message_ids)
            if (auto m = outbox_.find_message(id)) messages.push_back(std::move(*m));
        const std::optional<std::uint64_t> epoch =
            f.identifier == acc.identifier ? std::optional<std::uint64_t>(acc.recovery_epoch) : std::nullopt;
        r.flows.push_back(diagnose(f, messages, epoch, now));
    }
    r.acc = std::move(acc);
    return r;
}

// ---- search and read -------------------------------------------------------

result<account_page> staff_service::search(const staff_caller& who, const search_input& in, timestamp now) {
    if (in.limit < 1 || in.limit > 100) return invalid_field("limit", "« limit » doit être un entier entre 1 et 100.");
    if (in.q.size() > max_query_bytes) return invalid_field("q", "La recherche est trop longue.");
    const staff_info& info = who.info();
    std::string establishment;
    if (!in.establishment.empty()) {
        auto uai = normalize_uai(in.establishment);
        if (!uai) return invalid_field("establishment", "UAI invalide (7 chiffres et une lettre).");
        establishment = *uai;
    }
    auto keep = [&](std::string_view uai, profile p) {
        if (p == profile::staff) return false;
        if (in.prof && p != *in.prof) return false;
        if (!establishment.empty() && uai != establishment) return false;
        return in_scope(info, uai, academie_for_uai(uai));
    };

    // Candidates: sorted identifiers past the cursor, at most limit + 1.
    std::vector<std::string> ids;
    auto from_accounts = [&](const std::vector<std::string>& found) {
        std::set<std::string> sorted;
        for (const auto& id : found) {
            if (id <= in.cursor) continue;
            auto acc = ports_.accounts.find_account(id);
            if (acc && !acc->staff && keep(acc->establishment, acc->prof)) sorted.insert(id);
        }
        ids.assign(sorted.begin(), sorted.end());
        if (ids.size() > in.limit + 1) ids.resize(in.limit + 1);
    };
    const std::string query(in.q);
    std::string kind;
    if (auto phone = normalize_french_mobile(query); phone && !query.empty() && (query[0] == '0' || query[0] == '+')) {
        kind = "téléphone";
        from_accounts(ports_.accounts.identifiers_by_phone(*phone));
    } else if (query.find('@') != std::string::npos) {
        auto email = normalize_email(query);
        if (!email) return invalid_field("q", "Adresse électronique invalide.");
        kind = "adresse";
        from_accounts(ports_.accounts.identifiers_by_email(*email));
    } else if (std::string key = name_search_key(query); !key.empty()) {
        kind = "nom ou identifiant";
        ids = directory_.search_names({key, in.cursor, in.limit, keep});
    } else {
        // No query: the accounts of one establishment, or of the caller's
        // establishments (school roles). A national or regional listing
        // needs a query.
        std::vector<std::string> establishments;
        if (!establishment.empty()) establishments.push_back(establishment);
        else if (info.role != staff_role::admin && info.role != staff_role::support) establishments = info.scope;
        if (establishments.empty())
            return invalid_field("q", "Indiquez un nom, un identifiant, un numéro de mobile ou une adresse électronique.");
        kind = "établissement";
        std::vector<std::string> found;
        for (const auto& uai : establishments) {
            auto part = directory_.identifiers_in(uai);
            found.insert(found.end(), part.begin(), part.end());
        }
        from_accounts(found);
    }

    account_page page;
    for (std::size_t i = 0; i < ids.size() && i < in.limit; ++i)
        if (auto acc = ports_.accounts.find_account(ids[i])) page.accounts.push_back(std::move(*acc));
    if (ids.size() > in.limit && !page.accounts.empty()) page.next = page.accounts.back().identifier;
    record(audit_line(who, staff_action::account_search, query.substr(0, 64),
                      "Recherche par " + kind + " : " + std::to_string(page.accounts.size()) + " résultat(s).", nullptr,
                      now));
    return page;
}

result<account_record> staff_service::read(const staff_caller& who, std::string_view identifier, timestamp now) {
    auto acc = target(who, staff_action::account_read, identifier, now);
    if (!acc) return acc.error();
    record(audit_line(who, staff_action::account_read, acc->identifier, "Fiche consultée.", &*acc, now));
    return record_of(std::move(*acc), now);
}

result<journal_page> staff_service::activity(const staff_caller& who, std::string_view identifier, std::size_t limit,
                                             std::string_view before, timestamp now) {
    auto acc = target(who, staff_action::account_activity, identifier, now);
    if (!acc) return acc.error();
    record(audit_line(who, staff_action::account_activity, acc->identifier, "Journal consulté.", &*acc, now));
    return ports_.journal.read_journal(acc->identifier, limit, before, now);
}

result<flow_diagnostic> staff_service::reference(const staff_caller& who, std::string_view reference, timestamp now) {
    // As typed or read out on the phone: any case, with or without the
    // "R-" and the dashes ("r7k3f92qx", "7K3F 92QX").
    std::string ref;
    for (char c : reference) {
        if (c == '-' || c == ' ') continue;
        ref.push_back(c >= 'a' && c <= 'z' ? char(c - 'a' + 'A') : c);
    }
    if (ref.size() == 9 && ref[0] == 'R') ref.erase(0, 1);
    if (ref.size() == 8) ref = "R-" + ref.substr(0, 4) + "-" + ref.substr(4);
    auto not_found = [&] {
        record(audit_line(who, staff_action::reference_read, ref.substr(0, 16), "Refusé : référence introuvable dans le périmètre.",
                          nullptr, now));
        return make_error(errc::not_found, "Aucune demande de votre périmètre ne porte cette référence.");
    };
    if (ref.size() != 11 || ref.rfind("R-", 0) != 0) return not_found();
    auto f = flows_.find_flow_by_reference(ref, now);
    if (!f) return not_found();
    // The flow's account: its own, or the first parent an activation named.
    std::optional<account> acc;
    const std::string& owner = !f->identifier.empty() ? f->identifier
                                                      : (f->candidates.empty() ? std::string{} : f->candidates.front());
    if (!owner.empty()) acc = ports_.accounts.find_account(owner);
    if (acc && acc->staff) acc.reset();
    if (decide(who.info(), staff_action::reference_read, acc ? target_of(*acc) : std::nullopt) != permission::allowed)
        return not_found();
    std::vector<outbox_message> messages;
    for (const auto& id : f->message_ids)
        if (auto m = outbox_.find_message(id)) messages.push_back(std::move(*m));
    std::optional<std::uint64_t> epoch;
    if (acc && f->identifier == acc->identifier) epoch = acc->recovery_epoch;
    flow_diagnostic d = diagnose(*f, messages, epoch, now);
    if (acc) d.identifier = acc->identifier;
    record(audit_line(who, staff_action::reference_read, ref, "Demande consultée.", acc ? &*acc : nullptr, now));
    return d;
}

// ---- creation and import ---------------------------------------------------

result<created_account> staff_service::create(const staff_caller& who,
                                              const std::array<std::string, csv_column_count>& fields, timestamp now) {
    auto row = parse_fields(fields);
    if (!row) return row.error();
    account probe;
    probe.establishment = row->establishment;
    probe.academie = std::string(academie_for_uai(row->establishment));
    probe.prof = row->prof;
    if (const permission verdict = decide(who.info(), staff_action::account_create, target_of(probe));
        verdict != permission::allowed) {
        record(audit_line(who, staff_action::account_create, row->external_id,
                          "Refusé : établissement " + row->establishment + " hors du périmètre.", nullptr, now));
        return make_error(errc::forbidden, "Cet établissement n'est pas dans votre périmètre.");
    }
    std::lock_guard creating(creation_);
    if (ports_.accounts.identifier_by_external_id(row->establishment, row->external_id)) {
        domain_error e = make_error(errc::already_exists, "Un compte porte déjà cet identifiant externe dans cet établissement.");
        e.field = "external_id";
        return e;
    }
    auto taken = [&](std::string_view id) { return ports_.accounts.identifier_exists(id); };
    new_account fresh = make_account(*row, taken, crypto_, now);
    changes out;
    out.add_journal(fresh.acc.identifier,
                    journal_line(who, journal_type::account_created, "Compte créé par le personnel.", now));
    out.audit.push_back(audit_line(who, staff_action::account_create, fresh.acc.identifier,
                                   std::string("Compte ") + to_string(fresh.acc.prof) + " créé.", &fresh.acc, now));
    out.accounts.push_back(fresh.acc);
    ports_.sink.apply(out);
    return created_account{fresh.acc.identifier, fresh.activation_code};
}

result<import_report> staff_service::import(const staff_caller& who, std::string_view csv, timestamp now) {
    const staff_info& info = who.info();
    if (decide(info, staff_action::account_import, std::nullopt) != permission::allowed) {
        record(audit_line(who, staff_action::account_import, {}, "Refusé : action non permise à ce rôle.", nullptr, now));
        return make_error(errc::forbidden, "Votre rôle ne permet pas d'importer des comptes.");
    }
    std::set<std::string> establishments;
    import_options options;
    options.actor = who.acc.identifier;
    options.refuse = [&](const account_row& row) -> std::string {
        account probe;
        probe.establishment = row.establishment;
        probe.prof = row.prof;
        if (decide(info, staff_action::account_import, target_of(probe)) != permission::allowed)
            return "establishment : l'établissement " + row.establishment + " n'est pas dans votre périmètre";
        establishments.insert(row.establishment);
        return {};
    };
    std::lock_guard creating(creation_);
    import_report report = import_csv(csv, ports_.accounts, ports_.sink, crypto_, now, options);
    account about;
    if (establishments.size() == 1) about.establishment = *establishments.begin();
    record(audit_line(who, staff_action::account_import, about.establishment,
                      "Import : " + std::to_string(report.created) + " créé(s), " + std::to_string(report.updated) +
                          " mis à jour, " + std::to_string(report.errors.size()) + " erreur(s).",
                      establishments.size() == 1 ? &about : nullptr, now));
    return report;
}

// ---- changes to one account ------------------------------------------------

result<account_record> staff_service::update(const staff_caller& who, std::string_view identifier,
                                             const account_patch& patch, timestamp now) {
    // Visible first (404 like a missing account), audited as the update.
    auto seen = target(who, staff_action::account_read, identifier, now, staff_action::update_class);
    if (!seen) return seen.error();
    // Every field is checked before anything changes.
    std::vector<std::pair<staff_action, const char*>> asked;
    if (patch.phone) asked.emplace_back(staff_action::update_phone, "phone");
    if (patch.email) asked.emplace_back(staff_action::update_email, "email");
    if (patch.class_name) asked.emplace_back(staff_action::update_class, "class");
    for (const auto& [action, field] : asked) {
        if (!allowed_role_field(who.info(), action, *seen)) {
            domain_error e = refused(who, action, permission::forbidden, seen->identifier, now);
            e.message = std::string("Votre rôle ne permet pas de modifier « ") + field + " » sur ce compte.";
            e.field = field;
            return e;
        }
    }
    std::optional<std::string> new_phone;
    if (patch.phone && *patch.phone) {
        new_phone = normalize_french_mobile(**patch.phone);
        if (!new_phone) return invalid_field("phone", "Numéro de mobile invalide : un portable français (06 ou 07) est attendu.");
    }
    std::optional<std::string> new_email;
    if (patch.email && *patch.email) {
        new_email = normalize_email(**patch.email);
        if (!new_email) return invalid_field("email", "Adresse électronique invalide.");
    }
    if (patch.class_name && patch.class_name->size() > max_class_bytes)
        return invalid_field("class", "La classe est trop longue (50 caractères au plus).");

    auto guard = ports_.accounts.lock_account(seen->identifier);
    auto fresh = ports_.accounts.find_account(seen->identifier);
    if (!fresh) return make_error(errc::not_found);
    account& acc = *fresh;
    changes out;
    std::vector<std::string> done;
    bool contact_changed = false;

    if (patch.phone && acc.phone != (*patch.phone ? new_phone : std::nullopt)) {
        const std::optional<std::string> old = acc.phone;
        acc.phone = *patch.phone ? new_phone : std::nullopt;
        if (old) out.outbox.push_back(recovery_.contact_notice(acc, channel::sms, *old, "Le numéro de mobile", now));
        contact_changed = true;
        done.push_back(acc.phone ? "mobile remplacé par " + mask_phone(*acc.phone) : std::string("mobile retiré"));
    }
    if (patch.email) {
        if (new_email && *new_email != acc.email && *new_email != acc.pending_email) {
            // The new address receives recovery mail once its link is followed.
            recovery_.add_email_confirmation(acc, *new_email, who.client, who.acc.identifier, now, out);
            done.push_back("adresse " + mask_email(*new_email) + " en attente de confirmation");
        } else if (!new_email && (!acc.email.empty() || !acc.pending_email.empty())) {
            if (acc.email_validated && !acc.email.empty())
                out.outbox.push_back(recovery_.contact_notice(acc, channel::email, acc.email, "L'adresse e-mail", now));
            acc.email.clear();
            acc.email_validated = false;
            acc.pending_email.clear();
            contact_changed = true;
            done.push_back("adresse électronique retirée");
        }
    }
    if (patch.class_name && *patch.class_name != acc.class_name) {
        acc.class_name = *patch.class_name;
        done.push_back("classe « " + acc.class_name + " »");
    }
    if (done.empty()) {
        record(audit_line(who, staff_action::update_class, acc.identifier, "Aucun changement.", &acc, now));
        return record_of(std::move(acc), now);
    }
    if (contact_changed) ++acc.recovery_epoch;  // outstanding codes and links die at once
    acc.updated_at = now;
    std::string summary;
    for (const auto& d : done) summary += (summary.empty() ? "" : ", ") + d;
    out.add_journal(acc.identifier, journal_line(who, contact_changed ? journal_type::contact_changed
                                                                      : journal_type::account_updated,
                                                 "Modifié par le personnel : " + summary + ".", now));
    out.audit.push_back(audit_line(who, asked.front().first, acc.identifier, "Modification : " + summary + ".", &acc, now));
    out.accounts.push_back(acc);
    recovery_.commit(out);
    guard.unlock();
    return record_of(std::move(acc), now);
}

status staff_service::unlock(const staff_caller& who, std::string_view identifier, timestamp now) {
    auto seen = target(who, staff_action::account_unlock, identifier, now);
    if (!seen) return seen.error();
    auto guard = ports_.accounts.lock_account(seen->identifier);
    auto acc = ports_.accounts.find_account(seen->identifier);
    if (!acc) return make_error(errc::not_found);
    lift(acc->lockout);
    acc->updated_at = now;
    changes out;
    out.accounts.push_back(*acc);
    out.add_journal(acc->identifier, journal_line(who, journal_type::account_unlocked, "Compte déverrouillé par le personnel.", now));
    out.audit.push_back(audit_line(who, staff_action::account_unlock, acc->identifier, "Blocages levés.", &*acc, now));
    ports_.sink.apply(out);
    return ok_v;
}

result<std::string> staff_service::issue_activation_code(const staff_caller& who, std::string_view identifier,
                                                         timestamp now) {
    auto seen = target(who, staff_action::account_activation_code, identifier, now);
    if (!seen) return seen.error();
    auto guard = ports_.accounts.lock_account(seen->identifier);
    auto acc = ports_.accounts.find_account(seen->identifier);
    if (!acc) return make_error(errc::not_found);
    const std::string code = generate_activation_code(crypto_);
    // The old password stops working (kept in the history, so it cannot
    // come back); the code works once, as a password that must be changed.
    rotate_password(*acc, {}, accounts_.policy().password_history);
    acc->activation_digest = activation_digest(crypto_, code);
    acc->must_change_password = true;
    ++acc->recovery_epoch;
    acc->updated_at = now;
    changes out;
    out.accounts.push_back(*acc);
    accounts_.delete_sessions(acc->identifier, out, now);
    out.add_journal(acc->identifier,
                    journal_line(who, journal_type::activation_code_issued,
                                 "Nouveau code d'activation remis par le personnel ; " +
                                     std::to_string(out.sessions_deleted.size()) + " session(s) fermée(s).",
                                 now));
    out.audit.push_back(audit_line(who, staff_action::account_activation_code, acc->identifier,
                                   "Code d'activation généré ; sessions fermées.", &*acc, now));
    ports_.sink.apply(out);
    return code;
}

// ---- audit and staff management --------------------------------------------

result<audit_page> staff_service::audit(const staff_caller& who, std::size_t limit, std::string_view before,
                                        timestamp now) {
    const staff_info& info = who.info();
    if (decide(info, staff_action::audit_read, std::nullopt) != permission::allowed)
        return make_error(errc::forbidden, "Votre rôle ne donne pas accès au journal d'audit.");
    auto visible = [&](const audit_entry& e) {
        if (info.role == staff_role::admin) return true;
        if (e.establishment.empty() && e.academie.empty()) return false;  // about no account: admin only
        return in_scope(info, e.establishment, e.academie);
    };
    return directory_.read_audit(limit, before, visible, now);
}

result<staff_enrolment> staff_service::create_staff(const staff_caller& who, const staff_request& r, timestamp now) {
    if (decide(who.info(), staff_action::staff_manage, std::nullopt) != permission::allowed) {
        record(audit_line(who, staff_action::staff_manage, r.login.substr(0, 64), "Refusé : réservé aux administrateurs.",
                          nullptr, now));
        return make_error(errc::forbidden, "Seul un administrateur gère les comptes du personnel.");
    }
    std::lock_guard creating(creation_);
    auto taken = [&](std::string_view id) { return ports_.accounts.identifier_exists(id); };
    auto made = make_staff_account(r, taken, crypto_, hasher_, now);
    if (auto* no = std::get_if<staff_refusal>(&made)) {
        if (no->why == staff_refusal::reason::login_taken) {
            domain_error e = make_error(errc::already_exists, "Ce login existe déjà.");
            e.field = "login";
            return e;
        }
        // The CLI's messages name their option ("--scope : ..."): the
        // field is that option's name.
        std::string field = "login", message = no->message;
        if (message.rfind("--", 0) == 0) {
            const auto end = message.find_first_of(" :", 2);
            field = message.substr(2, end - 2);
            message = "« " + field + " »" + message.substr(end);
        }
        return invalid_field(field, message);
    }
    staff_enrolment e = std::get<staff_enrolment>(std::move(made));
    changes out;
    audit_entry line = audit_line(who, staff_action::staff_manage, e.acc.identifier,
                                  std::string("Compte du personnel créé (") + to_string(e.acc.staff->role) + ").", nullptr, now);
    line.action = "staff.create";
    out.audit.push_back(std::move(line));
    out.accounts.push_back(e.acc);
    ports_.sink.apply(out);
    return e;
}

result<std::vector<account>> staff_service::list_staff(const staff_caller& who, timestamp now) {
    audit_entry line = audit_line(who, staff_action::staff_manage, {}, "Liste du personnel consultée.", nullptr, now);
    line.action = "staff.list";
    if (decide(who.info(), staff_action::staff_manage, std::nullopt) != permission::allowed) {
        line.detail = "Refusé : réservé aux administrateurs.";
        record(std::move(line));
        return make_error(errc::forbidden, "Seul un administrateur gère les comptes du personnel.");
    }
    record(std::move(line));
    return directory_.staff_accounts();
}

status staff_service::delete_staff(const staff_caller& who, std::string_view login, timestamp now) {
    const std::string id = normalize_login(login);
    audit_entry line = audit_line(who, staff_action::staff_manage, id.substr(0, 64), {}, nullptr, now);
    line.action = "staff.delete";
    if (decide(who.info(), staff_action::staff_manage, std::nullopt) != permission::allowed) {
        line.detail = "Refusé : réservé aux administrateurs.";
        record(std::move(line));
        return make_error(errc::forbidden, "Seul un administrateur gère les comptes du personnel.");
    }
    if (id == who.acc.identifier) return make_error(errc::conflict, "Vous ne pouvez pas supprimer votre propre compte.");
    auto guard = ports_.accounts.lock_account(id);
    auto acc = id.empty() ? std::nullopt : ports_.accounts.find_account(id);
    if (!acc || !acc->staff) return make_error(errc::not_found, "Aucun compte du personnel ne porte ce login.");
    changes out;
    accounts_.delete_sessions(acc->identifier, out, now);  // its sessions end at once
    out.accounts_deleted.push_back(*acc);
    line.detail = "Compte du personnel supprimé ; " + std::to_string(out.sessions_deleted.size()) + " session(s) fermée(s).";
    out.audit.push_back(std::move(line));
    ports_.sink.apply(out);
    return ok_v;
}

}  // namespace sesame
