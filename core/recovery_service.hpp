// Recovery use cases (SPEC §2.2–2.4): forgotten identifier, forgotten
// password (SMS code or e-mail link + code), parent activation, e-mail
// confirmation. Each request gets a reference; unknown identifiers and
// contacts get decoy flows that look the same from outside and can never
// succeed; codes are HOTP values stored only as HMACs; wrong codes are
// counted per flow, per account and per address; a right code is consumed
// once. The state machines are drawn in core/recovery_flows.md.
// Synchronous and blocking (ports): net runs these on the blocking pool, or
// on the hashing pool for those that hash a password. Depends on core only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/account_service.hpp"
#include "core/metrics.hpp"
#include "core/notifications.hpp"
#include "core/recovery_flow.hpp"

namespace sesame {

struct recovery_policy {
    duration code_ttl = std::chrono::minutes(30);
    duration resend_cooldown = std::chrono::seconds(60);
    duration token_ttl = std::chrono::minutes(15);  // reset and activation tokens
    duration email_confirm_ttl = std::chrono::hours(24);
    std::uint32_t max_attempts = 5;
    std::uint32_t max_birth_date_attempts = 3;
    rate_limit recovery_per_ip{30, std::chrono::hours(1)};
    rate_limit recovery_per_identifier{5, std::chrono::hours(1)};
    rate_limit sends_per_destination{5, std::chrono::hours(1)};
    rate_limit sms_per_hour{10000, std::chrono::hours(1)};
    rate_limit code_failures_per_account{20, std::chrono::hours(24)};
    rate_limit code_failures_per_ip{50, std::chrono::hours(1)};
    std::string public_url = "http://127.0.0.1:8080";  // no trailing slash
    std::string public_host = "127.0.0.1:8080";
};

struct flow_started {
    std::string flow_id;
    std::string reference;
    channel ch = channel::sms;
    duration expires_in{};
};

struct identifier_request_result {
    std::string reference;
};

struct verified_flow {
    std::string token;  // "<flow id>.<secret>": the reset or activation token
    duration expires_in{};
    std::size_t children = 0;  // activation: the matching parent's children (the largest)
};

struct activation_input {
    std::string token;
    std::vector<std::chrono::year_month_day> birth_dates;
    std::string new_password;
    std::optional<std::string> first_name;
    client_info client;
};

class recovery_service {
public:
    recovery_service(account_ports ports, flow_repository& flows, account_service& accounts, crypto& c,
                     password_hasher& hasher, recovery_policy policy, std::string server_secret);

    // POST /recovery/password: 429 (address, identifier, cooldown).
    result<flow_started> request_password_reset(std::string_view identifier, profile prof, const client_info& client,
                                                timestamp now);
    // POST /recovery/password/{id}/resend and /activation resends: 429 in
    // the cooldown, 410 flow_closed.
    result<duration> resend(std::string_view flow_id, flow_kind kind, const client_info& client, timestamp now);
    // POST /recovery/password/{id}/verify (code or link token) and
    // /activation/{id}/verify: 400 invalid_code, 410, 429.
    result<verified_flow> verify(std::string_view flow_id, flow_kind kind, std::optional<std::string_view> code,
                                 std::optional<std::string_view> link_token, const client_info& client, timestamp now);
    // POST /recovery/password/reset (Argon2: run on the hashing pool).
    status reset_password(std::string_view reset_token, std::string_view new_password, const client_info& client,
                          timestamp now);

    // POST /recovery/identifier: always the same answer.
    result<identifier_request_result> request_identifier(profile prof, std::string_view contact,
                                                         const client_info& client, timestamp now);

    // POST /activation.
    result<flow_started> request_activation(std::string_view phone, const client_info& client, timestamp now);
    // POST /activation/complete (Argon2: run on the hashing pool).
    result<login_success> complete_activation(const activation_input& in, timestamp now);

    // POST /me/email: a confirmation link to the new address.
    status request_email_change(const authenticated& who, std::string_view email, const client_info& client,
                                timestamp now);
    // POST /email/confirm: the confirmed address.
    result<std::string> confirm_email(std::string_view token, const client_info& client, timestamp now);

    // Shared with the staff console (a new e-mail set by staff): a
    // confirmation flow for `email`, its message and journal line added to
    // `out`; `acc.pending_email` set. The caller holds the account's lock
    // and commits `out` with `acc`.
    void add_email_confirmation(account& acc, const std::string& email, const client_info& client,
                                const std::string& actor, timestamp now, changes& out);
    // The notice to a previous phone or e-mail after a contact change
    // (`what`: "Le numéro de mobile", "L'adresse e-mail").
    outbox_message contact_notice(const account& acc, channel ch, const std::string& to, const std::string& what,
                                  timestamp now);
    // Commits `c` and hands its pending messages to the workers.
    void commit(const changes& c);

    const recovery_policy& policy() const { return policy_; }

    // Counts the messages the destination caps stopped (SMS pumping made
    // visible): sesame_sends_refused_total{reason="destination_limit"|
    // "sms_hourly_limit"}. Optional; `r` must outlive the service.
    void set_metrics(metrics_registry& r);

private:
    recovery_flow new_flow(flow_kind kind, const client_info& client, timestamp now);
    std::string new_id();
    std::string new_reference();
    std::string code_hmac(const recovery_flow& f, std::string_view code);
    std::string new_code();
    // Destination and global SMS caps: false when the message must not go
    // (it is then kept as `refused`, for the staff diagnostics).
    bool admit_send(outbox_message& m, flow_outcome& refused_because, timestamp now);
    void queue_message(recovery_flow& f, outbox_message m, changes& out, timestamp now);
    message_context context(const recovery_flow& f, const std::string& identifier, timestamp now);
    std::optional<std::uint64_t> current_epoch(const recovery_flow& f);
    std::size_t children_of(const std::vector<std::string>& candidates);
    bool birth_dates_match(const account& parent, std::vector<std::chrono::year_month_day> given);

    account_ports ports_;
    flow_repository& flows_;
    account_service& accounts_;
    crypto& crypto_;
    password_hasher& hasher_;
    recovery_policy policy_;
    std::string server_secret_;
    counter* refused_destination_ = nullptr;
    counter* refused_sms_hourly_ = nullptr;
};

}  // namespace sesame
