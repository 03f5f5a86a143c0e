// The OpenID Connect endpoints' inputs, taken from the wire: form bodies and
// query strings (application/x-www-form-urlencoded, with the duplicate
// parameters RFC 6749 §3.1 and §3.2 forbid), HTTP Basic client credentials
// (§2.3.1: each part form-encoded), Bearer tokens (RFC 6750 §2.1). Pure;
// separately fuzzed (tests/fuzz/fuzz_oidc_request.cpp). Depends on
// net/http.hpp and core/oidc.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/oidc.hpp"
#include "net/http.hpp"

namespace sesame::net {

using form_params = std::vector<std::pair<std::string, std::string>>;

// Name/value pairs, percent-decoded ('+' as space). nullopt when a name
// appears twice (RFC 6749 §3.1: "MUST NOT be included more than once"),
// when there are more than 64 pairs, or a name or value over 4096 bytes.
std::optional<form_params> parse_form(std::string_view text);
// The value of `name`, or nullopt.
std::optional<std::string> form_value(const form_params& p, std::string_view name);

authorization_request authorization_request_from(const form_params& p);

// The form fields and the Authorization header of a token request.
// nullopt for a malformed Basic header (not base64, no ':').
std::optional<token_request> token_request_from(const form_params& p, std::string_view authorization);

// The token of "Authorization: Bearer <token>" (scheme without case), or
// nullopt.
std::optional<std::string> bearer_token(std::string_view authorization);

// The query of an authorization request sent back after the login page:
// the same parameters, prompt=login and any previous auth_after removed,
// auth_after set when given.
std::string login_return_query(const form_params& p, std::optional<std::int64_t> auth_after);

}  // namespace sesame::net
