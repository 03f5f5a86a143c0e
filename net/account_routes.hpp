// Public account routes of API.md: session (login, logout), me, password,
// sessions, activity. Handlers parse, call one account_service use case off
// the network thread, and serialise. Depends on net/api_support.hpp.
#pragma once

#include "net/api_support.hpp"
#include "net/router.hpp"

namespace sesame::net {

// `ctx` must outlive the router.
void add_account_routes(router& r, api_context& ctx);

}  // namespace sesame::net
