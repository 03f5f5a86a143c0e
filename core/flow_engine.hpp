// The machinery every recovery flow kind shares (core/recovery_flows.md):
// ids, references and codes (HOTP values kept only as HMACs), the message
// caps, the commit, and the two use cases common to password reset and
// parent activation: resend and verify. The decisions are the pure steps
// of core/recovery_flow.hpp; this class reads and writes through the ports
// around them, under the flow lock. The flow kinds: core/password_reset.hpp,
// identifier_reminder.hpp, parent_activation.hpp, email_confirmation.hpp.
// Synchronous and blocking (ports). Depends on core only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/account.hpp"
#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"
#include "core/notifications.hpp"
#include "core/ports.hpp"
#include "core/recovery_flow.hpp"
#include "core/recovery_policy.hpp"

namespace sesame {

struct flow_started {
    std::string flow_id;
    std::string reference;
    channel ch = channel::sms;
    duration expires_in{};
};

struct verified_flow {
    std::string token;  // "<flow id>.<secret>": the reset or activation token
    duration expires_in{};
    std::size_t children = 0;  // activation: the matching parent's children (the largest)
};

class flow_engine {
public:
    flow_engine(account_ports ports, flow_repository& flows, crypto& c, recovery_policy policy,
                std::string server_secret);

    // The message of a fresh code for a flow being resent (its kind's): may
    // update the flow (a new e-mail link).
    using code_message = std::function<outbox_message(recovery_flow& f, const std::string& code,
                                                      const message_context& ctx)>;

    // A resend: 429 in the cooldown, 410 flow_closed. A decoy renews its
    // code and sends nothing.
    result<duration> resend(std::string_view flow_id, flow_kind kind, const client_info& client, timestamp now,
                            const code_message& message);
    // A verify by code or link token: 400 invalid_code (attempts counted),
    // 410, 429 (address or account window, checked before the code).
    // `finish` completes the answer from the verified flow (activation: the
    // children count).
    using on_verified = std::function<void(const recovery_flow& f, verified_flow& answer)>;
    result<verified_flow> verify(std::string_view flow_id, flow_kind kind, std::optional<std::string_view> code,
                                 std::optional<std::string_view> link_token, const client_info& client, timestamp now,
                                 const on_verified& finish = {});

    // ---- building blocks of the flow kinds ----
    // 429 when the address used up limits.recovery_per_ip (the request is counted).
    std::optional<domain_error> take_request_budget(const client_info& client, timestamp now);
    recovery_flow new_flow(flow_kind kind, const client_info& client, timestamp now);
    std::string new_code();
    std::string code_hmac(const recovery_flow& f, std::string_view code);
    // A fresh 256-bit secret for a link or token (base64url), and its digest.
    std::string new_secret();
    std::string digest(std::string_view secret);
    message_context context(const recovery_flow& f, const std::string& identifier, timestamp now);
    // The message joins `out`, or is kept as `refused` when a destination
    // cap stops it (the flow then says why).
    void queue_message(recovery_flow& f, outbox_message m, changes& out, timestamp now);
    // The account's epoch for single-account flows (a gone account: a dead
    // epoch); nullopt for decoys and multi-account flows.
    std::optional<std::uint64_t> current_epoch(const recovery_flow& f);
    // Commits `c` and hands its pending messages to the workers.
    void commit(const changes& c);

    account_ports& ports() { return ports_; }
    flow_repository& flows() { return flows_; }
    const recovery_policy& policy() const { return policy_; }
    // sesame_sends_refused_total{reason="destination_limit"|"sms_hourly_limit"};
    // `r` must outlive the engine.
    void set_metrics(metrics_registry& r);

private:
    // Destination and global SMS caps: false when the message must not go.
    bool admit_send(outbox_message& m, flow_outcome& refused_because, timestamp now);

    account_ports ports_;
    flow_repository& flows_;
    crypto& crypto_;
    recovery_policy policy_;
    std::string server_secret_;
    counter* refused_destination_ = nullptr;
    counter* refused_sms_hourly_ = nullptr;
};

}  // namespace sesame
