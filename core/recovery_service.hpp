// The recovery use cases as net and the staff console call them (SPEC §2):
// one entry point over the four flow kinds, each in its own file over the
// shared flow engine (core/flow_engine.hpp): core/password_reset.hpp, identifier_reminder.hpp, parent_activation.hpp,
// email_confirmation.hpp. This class only owns them and routes the calls;
// the state machines are drawn in core/recovery_flows.md.
// Synchronous and blocking (ports): net runs these on the blocking pool, or
// on the hashing pool for those that hash a password. Depends on core only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/account_service.hpp"
#include "core/email_confirmation.hpp"
#include "core/flow_engine.hpp"
#include "core/identifier_reminder.hpp"
#include "core/metrics.hpp"
#include "core/parent_activation.hpp"
#include "core/password_reset.hpp"
#include "core/recovery_policy.hpp"

namespace sesame {

class recovery_service {
public:
    recovery_service(account_ports ports, flow_repository& flows, account_service& accounts, crypto& c,
                     password_hasher& hasher, recovery_policy policy, std::string server_secret);

    // POST /recovery/password: 429 (address, identifier, cooldown).
    result<flow_started> request_password_reset(std::string_view identifier, profile prof, const client_info& client,
                                                timestamp now) {
        return password_reset_.request(identifier, prof, client, now);
    }
    // POST /recovery/password/{id}/resend and /activation resends: 429 in
    // the cooldown, 410 flow_closed.
    result<duration> resend(std::string_view flow_id, flow_kind kind, const client_info& client, timestamp now);
    // POST /recovery/password/{id}/verify (code or link token) and
    // /activation/{id}/verify: 400 invalid_code, 410, 429.
    result<verified_flow> verify(std::string_view flow_id, flow_kind kind, std::optional<std::string_view> code,
                                 std::optional<std::string_view> link_token, const client_info& client, timestamp now);
    // POST /recovery/password/reset (Argon2: run on the hashing pool).
    status reset_password(std::string_view reset_token, std::string_view new_password, const client_info& client,
                          timestamp now) {
        return password_reset_.reset(reset_token, new_password, client, now);
    }

    // POST /recovery/identifier: always the same answer.
    result<identifier_request_result> request_identifier(profile prof, std::string_view contact,
                                                         const client_info& client, timestamp now) {
        return identifier_reminder_.request(prof, contact, client, now);
    }

    // POST /activation.
    result<flow_started> request_activation(std::string_view phone, const client_info& client, timestamp now) {
        return activation_.request(phone, client, now);
    }
    // POST /activation/complete (Argon2: run on the hashing pool).
    result<login_success> complete_activation(const activation_input& in, timestamp now) {
        return activation_.complete(in, now);
    }

    // POST /me/email: a confirmation link to the new address.
    status request_email_change(const authenticated& who, std::string_view email, const client_info& client,
                                timestamp now) {
        return email_confirmation_.request_change(who, email, client, now);
    }
    // POST /email/confirm: the confirmed address.
    result<std::string> confirm_email(std::string_view token, const client_info& client, timestamp now) {
        return email_confirmation_.confirm(token, client, now);
    }

    // Shared with the staff console: see email_confirmation_service.
    void add_email_confirmation(account& acc, const std::string& email, const client_info& client,
                                const std::string& actor, timestamp now, changes& out) {
        email_confirmation_.add_confirmation(acc, email, client, actor, now, out);
    }
    // The notice to a previous phone or e-mail after a contact change
    // (`what`: "Le numéro de mobile", "L'adresse e-mail").
    outbox_message contact_notice(const account& acc, channel ch, const std::string& to, const std::string& what,
                                  timestamp now);
    // Commits `c` and hands its pending messages to the workers.
    void commit(const changes& c) { engine_.commit(c); }

    const recovery_policy& policy() const { return engine_.policy(); }

    // Counts the messages the destination caps stopped (SMS pumping made
    // visible): sesame_sends_refused_total{reason="destination_limit"|
    // "sms_hourly_limit"}. Optional; `r` must outlive the service.
    void set_metrics(metrics_registry& r) { engine_.set_metrics(r); }

private:
    flow_engine engine_;
    password_reset_service password_reset_;
    identifier_reminder_service identifier_reminder_;
    parent_activation_service activation_;
    email_confirmation_service email_confirmation_;
};

}  // namespace sesame
