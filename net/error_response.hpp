// The one mapping from domain errors (core/error.hpp) to HTTP status codes
// and JSON error bodies: {"error", "message", ...extras}. Depends on core.
#pragma once

#include "core/error.hpp"
#include "net/http.hpp"

namespace sesame::net {

unsigned status_of(errc e);
// The French text shown to people when the error carries none.
const char* default_message(errc e);
response error_response(const domain_error& e);
inline response error_response(errc e) { return error_response(make_error(e)); }
// The generic answer to an infrastructure failure: leaks nothing.
response internal_error_response();

}  // namespace sesame::net
