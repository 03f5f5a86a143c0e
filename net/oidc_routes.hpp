// The OpenID Connect provider's routes (API.md "Single sign-on"):
// discovery, JWKS, authorize, token, userinfo, logout, the account's
// services (GET /api/v1/me/services) and the admins' client routes under
// /api/v1/admin/oidc/clients (behind the staff authentication step).
// Handlers parse (net/oidc_request.hpp), run one oidc_service use case on
// the blocking pool, and write JSON, a redirect or a French page.
// Depends on net/api_support.hpp, net/staff_routes.hpp, core/oidc_service.hpp.
#pragma once

#include <string>

#include "core/oidc_service.hpp"
#include "net/api_support.hpp"
#include "net/router.hpp"
#include "net/staff_routes.hpp"

namespace sesame::net {

struct oidc_context {
    api_context& api;
    staff_context& staff;
    oidc_service& oidc;
};

// `ctx` must outlive the router.
void add_oidc_routes(router& r, oidc_context& ctx);

}  // namespace sesame::net
