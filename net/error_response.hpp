// The one mapping from errors to HTTP status codes and JSON error bodies:
// {"error", "message", ...extras}. Two kinds of errors reach it: the domain
// errors a use case returns (core/error.hpp), and the transport errors the
// HTTP layer raises itself before any use case runs (http_errc, below).
// Depends on core.
#pragma once

#include "core/error.hpp"
#include "net/http.hpp"

namespace sesame::net {

// What the HTTP layer refuses by itself: the method, the Origin, the
// message's sizes and media type. No use case returns these.
enum class http_errc {
    bad_origin,              // 403
    method_not_allowed,      // 405 (the caller adds Allow)
    body_too_large,          // 413, closes the connection
    unsupported_media_type,  // 415
    header_too_large,        // 431, closes the connection
};

// The stable wire names ("method_not_allowed"...).
const char* to_string(http_errc e);

unsigned status_of(errc e);
unsigned status_of(http_errc e);
// The French text shown to people when the error carries none.
const char* default_message(errc e);
const char* default_message(http_errc e);
response error_response(const domain_error& e);
inline response error_response(errc e) { return error_response(make_error(e)); }
response error_response(http_errc e);
// The generic answer to an infrastructure failure: leaks nothing.
response internal_error_response();

}  // namespace sesame::net
