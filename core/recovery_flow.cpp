#include "core/recovery_flow.hpp"

#include <algorithm>

#include "core/crypto.hpp"

namespace sesame {

const char* to_string(flow_kind k) {
    switch (k) {
        case flow_kind::password_reset: return "password_reset";
        case flow_kind::activation: return "activation";
        case flow_kind::identifier_reminder: return "identifier_reminder";
        case flow_kind::email_confirmation: return "email_confirmation";
    }
    return "password_reset";
}

const char* to_string(flow_state s) {
    switch (s) {
        case flow_state::open: return "open";
        case flow_state::verified: return "verified";
        case flow_state::closed: return "closed";
    }
    return "open";
}

const char* to_string(flow_outcome o) {
    switch (o) {
        case flow_outcome::sent: return "sent";
        case flow_outcome::unknown_identifier: return "unknown_identifier";
        case flow_outcome::wrong_profile: return "wrong_profile";
        case flow_outcome::not_activated: return "not_activated";
        case flow_outcome::no_contact: return "no_contact";
        case flow_outcome::email_not_validated: return "email_not_validated";
        case flow_outcome::unknown_contact: return "unknown_contact";
        case flow_outcome::destination_limit: return "destination_limit";
        case flow_outcome::sms_hourly_limit: return "sms_hourly_limit";
    }
    return "sent";
}

timestamp recovery_flow::keep_until() const {
    // A week past its last use: families call the school office days later,
    // and staff must still read what happened (diagnostics by reference).
    return std::max(code_expires_at, token_expires_at) + std::chrono::days(7);
}

std::optional<errc> verify_blocker(const recovery_flow& f, std::optional<std::uint64_t> account_epoch,
                                   std::uint32_t max_attempts, timestamp now) {
    if (f.state != flow_state::open) return errc::flow_closed;
    if (f.failed_attempts >= max_attempts) return errc::flow_closed;
    if (account_epoch && *account_epoch != f.account_epoch) return errc::flow_closed;  // replaced or killed
    if (now >= f.code_expires_at) return errc::flow_expired;
    return std::nullopt;
}

std::optional<domain_error> resend_blocker(const recovery_flow& f, std::optional<std::uint64_t> account_epoch,
                                           std::uint32_t max_attempts, duration cooldown, timestamp now) {
    if (f.state != flow_state::open || f.failed_attempts >= max_attempts) return make_error(errc::flow_closed);
    if (account_epoch && *account_epoch != f.account_epoch) return make_error(errc::flow_closed);
    if (now - f.last_sent_at < cooldown) return rate_limited(cooldown - (now - f.last_sent_at));
    return std::nullopt;
}

void renew_code(recovery_flow& f, std::string code_hmac, duration code_ttl, timestamp now) {
    f.last_sent_at = now;
    f.code_expires_at = now + code_ttl;
    ++f.sends;
    f.code_hmac = std::move(code_hmac);
}

code_verdict decide_code(recovery_flow& f, bool right, std::string token_digest, std::uint32_t max_attempts,
                         duration token_ttl, timestamp now) {
    code_verdict v;
    if (right) {
        // Consumed once: the flow leaves `open` (under its lock, in the caller).
        f.state = flow_state::verified;
        f.token_digest = std::move(token_digest);
        f.token_expires_at = now + token_ttl;
        f.detail = "Code vérifié.";
        v.verified = true;
        return v;
    }
    ++f.failed_attempts;
    const int left = std::max(int(max_attempts) - int(f.failed_attempts), 0);
    if (left == 0) {
        f.state = flow_state::closed;
        f.closed_reason = "out_of_tries";
        f.detail = "Fermée après " + std::to_string(max_attempts) + " codes erronés.";
    }
    v.attempts_left = std::uint32_t(left);
    v.journal_detail =
        "Code erroné pour la demande " + f.reference + " (" + std::to_string(left) + " essai(s) restant(s)).";
    return v;
}

bool token_usable(const recovery_flow& f, flow_kind kind, std::string_view secret_digest, timestamp now) {
    return f.kind == kind && f.state == flow_state::verified && !f.decoy && now < f.token_expires_at &&
           constant_time_equal(secret_digest, f.token_digest);
}

std::vector<std::string> flow_accounts(const recovery_flow& f) {
    std::vector<std::string> out;
    if (!f.identifier.empty()) out.push_back(f.identifier);
    out.insert(out.end(), f.candidates.begin(), f.candidates.end());
    return out;
}

std::optional<split_token> parse_flow_token(std::string_view token) {
    const auto dot = token.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 >= token.size() || token.size() > 200) return std::nullopt;
    for (char c : token)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return std::nullopt;
    return split_token{std::string(token.substr(0, dot)), std::string(token.substr(dot + 1))};
}

std::string make_flow_token(const std::string& flow_id, const std::string& secret) { return flow_id + "." + secret; }

}  // namespace sesame
