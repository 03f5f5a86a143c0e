// The first error tier: what a client can cause. Use cases return
// result<T>; net maps an errc to a status and JSON body in one place.
// Transport refusals (a wrong method, an oversized header...) are net's own
// (net/error_response.hpp), not domain errors.
// Infrastructure failures are exceptions (see store_error) instead.
// Depends on the standard library only.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/time.hpp"

namespace sesame {

enum class errc {
    invalid_request,           // 400, with field
    invalid_token,             // 400
    invalid_code,              // 400, with attempts_left
    birth_dates_mismatch,      // 400, with attempts_left
    unauthenticated,           // 401
    invalid_credentials,       // 401
    otp_required,              // 401
    forbidden,                 // 403
    password_change_required,  // 403
    not_found,                 // 404
    conflict,                  // 409
    already_exists,            // 409
    ambiguous_contact,         // 409
    token_expired,             // 410
    flow_expired,              // 410
    flow_closed,               // 410
    weak_password,             // 422, with reasons
    account_locked,            // 423, with locked_until
    rate_limited,              // 429, with retry_after
    overloaded,                // 503, with retry_after
};

// The stable wire name of an error code, e.g. "invalid_code".
const char* to_string(errc e);

struct domain_error {
    errc code;
    std::string message;  // French, for people; empty means the default text
    std::string field;    // invalid_request
    std::optional<int> attempts_left;
    std::optional<timestamp> locked_until;  // account_locked; nullopt = staff only
    std::optional<std::int64_t> retry_after_s;
    std::vector<std::string> reasons;  // weak_password
};

inline domain_error make_error(errc c, std::string message = {}) {
    domain_error e{};
    e.code = c;
    e.message = std::move(message);
    return e;
}

inline domain_error invalid_field(std::string field, std::string message = {}) {
    domain_error e = make_error(errc::invalid_request, std::move(message));
    e.field = std::move(field);
    return e;
}

inline domain_error rate_limited(duration retry_after) {
    domain_error e = make_error(errc::rate_limited);
    e.retry_after_s = std::max<std::int64_t>(1, ceil_seconds(retry_after));
    return e;
}

// A value or a domain_error. Small on purpose: C++20 has no std::expected.
template <class T>
class result {
public:
    result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    result(domain_error e) : v_(std::in_place_index<1>, std::move(e)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const domain_error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, domain_error> v_;
};

struct ok_t {};
inline constexpr ok_t ok_v{};
using status = result<ok_t>;

// Infrastructure failure (store, disk, corrupted record): an exception,
// caught at the session or worker boundary and answered with a generic 500.
class infrastructure_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The store cannot write right now (a full disk, an I/O error on a write):
// the request had no effect. Answered 503 `overloaded` at the HTTP boundary,
// never 500; the store recovers by itself once it can write again.
class unavailable_error : public infrastructure_error {
public:
    using infrastructure_error::infrastructure_error;
};

// What an exception caught at such a boundary says, for the log: what() of a
// std::exception, else "unknown exception". Never throws for a non-null `e`.
std::string what_of(std::exception_ptr e);

}  // namespace sesame
