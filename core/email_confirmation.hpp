// E-mail confirmation (SPEC §2): a link to a new address, set by the user
// (POST /me/email) or by staff; following it validates the address, moves
// the epoch (outstanding recovery codes die) and tells the previous
// validated address. A newer request supersedes it. Over the shared flow
// engine (core/flow_engine.hpp); the decisions are the pure functions
// below. Depends on core only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/account_service.hpp"
#include "core/flow_engine.hpp"

namespace sesame {

// ---- pure steps ----

// Why a confirmation token (SHA-256 of its secret: `secret_digest`) cannot
// confirm the stored flow `f`: invalid_token, or token_expired (expired or
// used); nullopt when it can. A newer request for the account supersedes
// it too (its pending address differs: token_expired).
std::optional<errc> confirmation_blocker(const std::optional<recovery_flow>& f, std::string_view secret_digest,
                                         timestamp now);
// The confirmation itself: the address validated, the epoch moved, the
// flow closed as used. Returns the previous validated address to tell, or
// an empty string.
std::string confirm_address(account& acc, recovery_flow& f, timestamp now);

// ---- use cases ----

class email_confirmation_service {
public:
    explicit email_confirmation_service(flow_engine& engine);

    // POST /me/email: a confirmation link to the new address.
    status request_change(const authenticated& who, std::string_view email, const client_info& client, timestamp now);
    // POST /email/confirm: the confirmed address.
    result<std::string> confirm(std::string_view token, const client_info& client, timestamp now);

    // Shared with the staff console (a new e-mail set by staff): a
    // confirmation flow for `email`, its message and journal line added to
    // `out`; `acc.pending_email` set. The caller holds the account's lock
    // and commits `out` with `acc`.
    void add_confirmation(account& acc, const std::string& email, const client_info& client, const std::string& actor,
                          timestamp now, changes& out);

private:
    flow_engine& engine_;
};

}  // namespace sesame
