// The SMS gateway's delivery-report callback of API.md: GET (Kannel's
// dlr-url, numeric status) and POST (JSON) /api/v1/hooks/sms-status?secret=S.
// Depends on net/api_support.hpp, net/router.hpp and core/delivery_report.hpp.
#pragma once

#include <optional>
#include <string>

#include "core/ports.hpp"
#include "net/api_support.hpp"
#include "net/router.hpp"

namespace sesame::net {

struct hook_context {
    api_context& api;                            // blocking pool, clock
    outbox_repository& outbox;                   // the messages reports are about
    std::optional<std::string> callback_secret;  // sms.callback_secret; unset: every report is refused
};

// Registers both methods of /api/v1/hooks/sms-status. Answers:
//   401 unauthenticated  `secret` missing, wrong (compared in constant time)
//                        or no callback_secret configured; nothing is read;
//   400 invalid_request  field message_id (missing, > 64 bytes, not
//                        [A-Za-z0-9_-]), status (GET: not one of Kannel's
//                        1, 2, 4, 8, 16; POST: not delivered/failed/
//                        buffered), detail (POST: not a string) or body;
//   404 not_found        no outbox message has that id;
//   204                  the report was applied (or was a repeat).
// GET reads query parameters message_id, status and optionally detail or
// answer; POST a JSON body {message_id, status, detail?}. The store calls
// run on api.blocking. The server's request log names the route pattern
// only, so the secret in the query is never logged. `ctx` must outlive the
// router.
void add_hook_routes(router& r, hook_context& ctx);

}  // namespace sesame::net
