// Forgotten password (SPEC §2): a code by SMS (parent) or a link and code
// by e-mail (pupil), then a new password with the reset token. Unknown
// identifiers, staff, a wrong profile, an account not activated or without
// a usable contact get a decoy: stored like a real flow, answered the same,
// never sent, never verified. Over the shared flow engine
// (core/flow_engine.hpp); the decisions are the pure functions below.
// Depends on core only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/account_service.hpp"
#include "core/flow_engine.hpp"

namespace sesame {

// ---- pure steps ----

// Why a reset request for `acc` (nullopt: unknown) with profile `prof`
// gets a decoy, or nullopt when the code may be sent.
struct reset_refusal {
    flow_outcome outcome;
    std::string why;  // for the staff diagnostics, in French
};
std::optional<reset_refusal> refuse_reset(const std::optional<account>& acc, profile prof);

// The reset itself, on the stored account and flow: the new hash (the old
// one into the history), the account active, every lock lifted, the epoch
// moved (outstanding codes die), the flow closed as used.
void complete_reset(account& acc, recovery_flow& f, std::string new_hash, std::size_t password_history,
                    timestamp now);

// ---- use cases ----

class password_reset_service {
public:
    password_reset_service(flow_engine& engine, account_service& accounts, password_hasher& hasher);

    // POST /recovery/password: 429 (address, identifier, cooldown).
    result<flow_started> request(std::string_view identifier, profile prof, const client_info& client,
                                 timestamp now);
    // POST /recovery/password/{id}/resend: 429 in the cooldown, 410.
    result<duration> resend(std::string_view flow_id, const client_info& client, timestamp now);
    // POST /recovery/password/{id}/verify (code or link token): 400
    // invalid_code, 410, 429.
    result<verified_flow> verify(std::string_view flow_id, std::optional<std::string_view> code,
                                 std::optional<std::string_view> link_token, const client_info& client, timestamp now);
    // POST /recovery/password/reset (Argon2: run on the hashing pool). A
    // refused password leaves the token usable.
    status reset(std::string_view reset_token, std::string_view new_password, const client_info& client,
                 timestamp now);

private:
    // The reset message: an SMS code, or an e-mail with a fresh link.
    outbox_message code_message(recovery_flow& f, const std::string& first_name, const std::string& code,
                                const message_context& ctx);

    flow_engine& engine_;
    account_service& accounts_;
    password_hasher& hasher_;
};

}  // namespace sesame
