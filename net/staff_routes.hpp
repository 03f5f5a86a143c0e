// The staff console's routes (API.md "Staff routes" and "Staff routes, in
// detail"), kept in their own table behind one staff authentication step: a
// session of a staff account (TOTP done at login) that needs no password
// change. Handlers parse, call one staff_service use case off the network
// thread, and serialise. Public routes never reach these handlers.
// Depends on net/api_support.hpp and core/staff_service.hpp.
#pragma once

#include <cstddef>

#include "core/staff_service.hpp"
#include "net/api_support.hpp"
#include "net/router.hpp"

namespace sesame::net {

struct staff_context {
    api_context& api;
    staff_service& staff;
    std::size_t max_import_bytes = 64u << 20;  // http.max_import_bytes
};

// `ctx` must outlive the router.
void add_staff_routes(router& r, staff_context& ctx);

// The one staff authentication step: a live session (401), of an account
// that need not change its password first (403 password_change_required),
// that is a staff account (403 forbidden). Completes on the caller's executor.
boost::asio::awaitable<result<staff_caller>> require_staff(staff_context& ctx, const request& req);

}  // namespace sesame::net
