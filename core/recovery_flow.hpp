// A recovery flow: one forgotten-password, parent-activation,
// forgotten-identifier or e-mail-confirmation request, from its code to its
// end. Plain data plus the pure decision functions of its state machine
// (drawn in core/recovery_flows.md). Depends on core only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/outbox.hpp"
#include "core/time.hpp"

namespace sesame {

enum class flow_kind { password_reset, activation, identifier_reminder, email_confirmation };
const char* to_string(flow_kind k);

// open: a code (or link) is out; verified: the code was right, a reset or
// activation token is out; closed: nothing about it can succeed anymore.
enum class flow_state { open, verified, closed };
const char* to_string(flow_state s);

// Why a message was or was not sent (API.md's flow diagnostic `outcome`).
enum class flow_outcome {
    sent,
    unknown_identifier,
    wrong_profile,
    not_activated,
    no_contact,
    email_not_validated,
    unknown_contact,
    destination_limit,
    sms_hourly_limit,
};
const char* to_string(flow_outcome o);

struct recovery_flow {
    std::string id;         // public flow_id: 128 random bits, base64url
    flow_kind kind = flow_kind::password_reset;
    std::string reference;  // "R-7K3F-92QX", shown to the user
    std::string identifier; // the account (password reset, e-mail confirmation); empty for decoys
    std::vector<std::string> candidates;  // activation: parents not yet activated with that mobile
    bool decoy = false;     // looks the same from outside, can never succeed, sends nothing
    channel ch = channel::sms;
    std::string destination;      // phone or e-mail the messages go to (empty for decoys)
    std::string limit_key;        // account-wide wrong-code window key (account, or phone, or the decoy's name)
    std::uint64_t account_epoch = 0;  // account.recovery_epoch when made (single-account flows)
    std::string code_hmac;        // HMAC(server secret, id || code) of the live code; never the code
    std::string link_digest;      // SHA-256 of the e-mail link token (password reset by e-mail, e-mail confirmation)
    std::string pending_email;    // e-mail confirmation: the address being confirmed
    timestamp created_at{};
    timestamp code_expires_at{};
    timestamp last_sent_at{};
    std::uint32_t failed_attempts = 0;
    std::uint32_t sends = 0;
    flow_state state = flow_state::open;
    std::string closed_reason;    // "used", "replaced", "out_of_tries", "birth_dates", ...
    std::string token_digest;     // SHA-256 of the reset/activation token once verified
    timestamp token_expires_at{};
    std::uint32_t birth_date_attempts = 0;
    std::string ip;
    std::string detail;           // for staff diagnostics: what happened, in French
    std::vector<std::string> message_ids;
    flow_outcome outcome = flow_outcome::sent;  // why a message was or was not sent
    std::string asked;            // what the user typed: identifier, phone (E.164) or e-mail
    std::string user_agent;

    // Kept past its code's life so late verifies answer flow_expired, and
    // staff can still read what happened.
    timestamp keep_until() const;
};

// Why a verify of this flow cannot proceed, or nullopt when it can.
// `account_epoch` is the account's current epoch (nullopt for decoys and
// multi-account flows); `max_attempts` from recovery.max_attempts.
std::optional<errc> verify_blocker(const recovery_flow& f, std::optional<std::uint64_t> account_epoch,
                                   std::uint32_t max_attempts, timestamp now);

// ---- the shared steps of the state machine: pure, `now` given --------------

// Why a resend of this flow cannot proceed (410 flow_closed, 429 in the
// cooldown), or nullopt when it can.
std::optional<domain_error> resend_blocker(const recovery_flow& f, std::optional<std::uint64_t> account_epoch,
                                           std::uint32_t max_attempts, duration cooldown, timestamp now);

// A new code replaces the live one, which dies: its HMAC, a fresh expiry,
// one more send.
void renew_code(recovery_flow& f, std::string code_hmac, duration code_ttl, timestamp now);

// What a verify that passed the blockers does to the flow, which it updates
// to what must be stored: a right code consumes the code (open → verified,
// the token's digest kept); a wrong one counts an attempt, and the last
// allowed closes the flow.
struct code_verdict {
    bool verified = false;
    std::uint32_t attempts_left = 0;  // after a wrong code
    std::string journal_detail;       // after a wrong code: the line for the flow's accounts
};
// `right`: the code or link token matched (never true for a decoy);
// `token_digest`: SHA-256 of the new token's secret, kept when right.
code_verdict decide_code(recovery_flow& f, bool right, std::string token_digest, std::uint32_t max_attempts,
                         duration token_ttl, timestamp now);

// Whether the token of a verified flow (SHA-256 of its secret:
// `secret_digest`) still completes a flow of `kind`.
bool token_usable(const recovery_flow& f, flow_kind kind, std::string_view secret_digest, timestamp now);

// The accounts a flow is about (its identifier, then its candidates): those
// whose journal tells of its codes.
std::vector<std::string> flow_accounts(const recovery_flow& f);

// Splits "<flow id>.<secret>" tokens (reset, activation, link, confirmation).
struct split_token {
    std::string flow_id;
    std::string secret;
};
std::optional<split_token> parse_flow_token(std::string_view token);
std::string make_flow_token(const std::string& flow_id, const std::string& secret);

}  // namespace sesame
