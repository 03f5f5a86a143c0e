// Public recovery routes of API.md: forgotten identifier, forgotten
// password (request, resend, verify, reset), parent activation, e-mail
// change and confirmation. Depends on net/api_support.hpp.
#pragma once

#include "core/recovery_service.hpp"
#include "net/api_support.hpp"
#include "net/router.hpp"

namespace sesame::net {

struct recovery_context {
    api_context& api;
    recovery_service& recovery;
};

// `ctx` must outlive the router.
void add_recovery_routes(router& r, recovery_context& ctx);

}  // namespace sesame::net
