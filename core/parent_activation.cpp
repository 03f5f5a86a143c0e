#include "core/parent_activation.hpp"

#include <algorithm>

#include "core/contact.hpp"
#include "core/identifier.hpp"
#include "core/journal_entry.hpp"
#include "core/password_policy.hpp"

namespace sesame {

namespace {
constexpr std::size_t max_password_bytes = 1024;
}  // namespace

bool awaits_activation(const account& acc) {
    return !acc.staff && acc.prof == profile::parent && acc.status == account_status::pending;
}

bool same_birth_dates(std::optional<std::vector<std::chrono::year_month_day>> known,
                      std::vector<std::chrono::year_month_day> given) {
    if (!known || known->size() != given.size()) return false;
    auto less = [](const auto& a, const auto& b) { return std::chrono::sys_days(a) < std::chrono::sys_days(b); };
    std::sort(known->begin(), known->end(), less);
    std::sort(given.begin(), given.end(), less);
    return *known == given;
}

std::uint32_t count_birth_date_failure(recovery_flow& f, std::uint32_t max_attempts) {
    ++f.birth_date_attempts;
    const int left = std::max(int(max_attempts) - int(f.birth_date_attempts), 0);
    if (left == 0) {
        f.state = flow_state::closed;
        f.closed_reason = "birth_dates";
        f.detail = "Fermée après " + std::to_string(max_attempts) + " essais de dates de naissance.";
    }
    return std::uint32_t(left);
}

void complete_activation(account& acc, recovery_flow& f, std::string new_hash, timestamp now) {
    acc.password_hash = std::move(new_hash);
    acc.status = account_status::active;
    acc.must_change_password = false;
    acc.activation_digest.clear();
    acc.password_changed_at = now;
    acc.updated_at = now;
    ++acc.recovery_epoch;
    f.state = flow_state::closed;
    f.closed_reason = "used";
    f.identifier = acc.identifier;
    f.detail = "Compte " + acc.identifier + " activé.";
}

parent_activation_service::parent_activation_service(flow_engine& engine, account_service& accounts,
                                                     password_hasher& hasher)
    : engine_(engine), accounts_(accounts), hasher_(hasher) {}

result<flow_started> parent_activation_service::request(std::string_view phone, const client_info& client,
                                                        timestamp now) {
    if (auto refused = engine_.take_request_budget(client, now)) return *refused;
    const auto mobile = normalize_french_mobile(phone);
    if (!mobile) return invalid_field("phone", "Numéro de mobile invalide (06 ou 07).");
    const recovery_policy& policy = engine_.policy();
    if (auto d = engine_.ports().limits.take("activation_cooldown:" + *mobile, {1, policy.resend_cooldown}, now);
        !d.allowed)
        return rate_limited(d.retry_after);

    recovery_flow f = engine_.new_flow(flow_kind::activation, client, now);
    f.ch = channel::sms;
    f.limit_key = "phone:" + *mobile;
    f.asked = *mobile;
    const flow_started started{f.id, f.reference, f.ch, policy.code_ttl};
    for (const auto& id : engine_.ports().accounts.identifiers_by_phone(*mobile))
        if (auto acc = engine_.ports().accounts.find_account(id); acc && awaits_activation(*acc))
            f.candidates.push_back(acc->identifier);
    const std::string code = engine_.new_code();
    f.code_hmac = engine_.code_hmac(f, code);
    changes out;
    if (f.candidates.empty()) {
        f.decoy = true;
        f.outcome = flow_outcome::unknown_contact;
        f.detail = "Aucun parent à activer avec ce mobile : aucun SMS envoyé.";
        out.flows_put.push_back(f);
        engine_.commit(out);
        return started;
    }
    f.destination = *mobile;
    engine_.queue_message(
        f, activation_code_sms(engine_.context(f, f.candidates.front(), now), f.destination, code, policy.code_ttl),
        out, now);
    f.sends = 1;
    if (f.detail.empty()) f.detail = "Code d'activation envoyé.";
    for (const auto& c : f.candidates)
        out.add_journal(c, make_journal_entry(now, journal_type::code_sent, client, "system",
                                              "Code d'activation envoyé au " + mask_phone(f.destination) +
                                                  " (demande " + f.reference + ")."));
    out.flows_put.push_back(f);
    engine_.commit(out);
    return started;
}

result<duration> parent_activation_service::resend(std::string_view flow_id, const client_info& client,
                                                   timestamp now) {
    auto message = [this](recovery_flow& f, const std::string& code, const message_context& ctx) {
        return activation_code_sms(ctx, f.destination, code, engine_.policy().code_ttl);
    };
    return engine_.resend(flow_id, flow_kind::activation, client, now, message);
}

result<verified_flow> parent_activation_service::verify(std::string_view flow_id,
                                                        std::optional<std::string_view> code,
                                                        const client_info& client, timestamp now) {
    auto finish = [this](const recovery_flow& f, verified_flow& answer) { answer.children = children_of(f.candidates); };
    return engine_.verify(flow_id, flow_kind::activation, code, std::nullopt, client, now, finish);
}

std::size_t parent_activation_service::children_of(const std::vector<std::string>& candidates) {
    std::size_t most = 0;
    for (const auto& id : candidates)
        if (auto acc = engine_.ports().accounts.find_account(id)) most = std::max(most, acc->children.size());
    return most;
}

std::optional<std::vector<std::chrono::year_month_day>> parent_activation_service::birth_dates_of_children(
    const account& parent) {
    account_repository& accounts = engine_.ports().accounts;
    std::vector<std::chrono::year_month_day> known;
    for (const auto& ext : parent.children) {
        auto id = accounts.identifier_by_external_id(parent.establishment, ext);
        if (!id) return std::nullopt;
        auto child = accounts.find_account(*id);
        if (!child || !child->birth_date) return std::nullopt;
        known.push_back(*child->birth_date);
    }
    return known;
}

std::vector<account> parent_activation_service::matching_parents(const recovery_flow& f, const activation_input& in) {
    std::vector<account> matches;
    for (const auto& id : f.candidates) {
        auto acc = engine_.ports().accounts.find_account(id);
        if (!acc || acc->status != account_status::pending) continue;
        if (acc->children.size() != in.birth_dates.size() ||
            !same_birth_dates(birth_dates_of_children(*acc), in.birth_dates))
            continue;
        if (in.first_name && fold_to_ascii_lower(*in.first_name) != fold_to_ascii_lower(acc->first_name)) continue;
        matches.push_back(std::move(*acc));
    }
    return matches;
}

result<login_success> parent_activation_service::complete(const activation_input& in, timestamp now) {
    if (in.new_password.size() > max_password_bytes) return invalid_field("new_password", "Le mot de passe est trop long.");
    const auto parsed = parse_flow_token(in.token);
    if (!parsed) return make_error(errc::token_expired);
    const std::string secret_digest = engine_.digest(parsed->secret);
    flow_repository& flows = engine_.flows();
    account chosen;
    {
        auto flow_guard = flows.lock_flow(parsed->flow_id);
        auto f = flows.find_flow(parsed->flow_id, now);
        if (!f || !token_usable(*f, flow_kind::activation, secret_digest, now)) return make_error(errc::token_expired);
        std::vector<account> matches = matching_parents(*f, in);
        if (matches.empty()) {
            const std::uint32_t left = count_birth_date_failure(*f, engine_.policy().max_birth_date_attempts);
            changes out;
            out.flows_put.push_back(*f);
            engine_.commit(out);
            domain_error e = make_error(errc::birth_dates_mismatch);
            e.attempts_left = int(left);
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

    const password_context ctx{chosen.identifier, chosen.first_name, chosen.last_name,
                               accounts_.policy().min_password_length};
    if (auto reasons = password_weaknesses(in.new_password, ctx); !reasons.empty()) {
        domain_error e = make_error(errc::weak_password);
        e.reasons = std::move(reasons);
        return e;
    }
    const std::string new_hash = hasher_.hash(in.new_password);

    auto flow_guard = flows.lock_flow(parsed->flow_id);
    auto account_guard = engine_.ports().accounts.lock_account(chosen.identifier);
    auto f = flows.find_flow(parsed->flow_id, now);
    auto acc = engine_.ports().accounts.find_account(chosen.identifier);
    if (!f || !token_usable(*f, flow_kind::activation, secret_digest, now) || !acc ||
        acc->status != account_status::pending)
        return make_error(errc::token_expired);
    complete_activation(*acc, *f, new_hash, now);
    changes out;
    out.accounts.push_back(*acc);
    out.add_journal(acc->identifier, make_journal_entry(now, journal_type::activation_completed, in.client, "self",
                                                        "Compte activé par SMS (demande " + f->reference + ")."));
    out.flows_put.push_back(*f);
    login_success ok = accounts_.open_session(*acc, in.client, now, out);
    engine_.commit(out);
    return ok;
}

}  // namespace sesame
