#include "core/error.hpp"

namespace sesame {

const char* to_string(errc e) {
    switch (e) {
        case errc::invalid_request: return "invalid_request";
        case errc::invalid_token: return "invalid_token";
        case errc::invalid_code: return "invalid_code";
        case errc::birth_dates_mismatch: return "birth_dates_mismatch";
        case errc::unauthenticated: return "unauthenticated";
        case errc::invalid_credentials: return "invalid_credentials";
        case errc::otp_required: return "otp_required";
        case errc::forbidden: return "forbidden";
        case errc::password_change_required: return "password_change_required";
        case errc::not_found: return "not_found";
        case errc::conflict: return "conflict";
        case errc::already_exists: return "already_exists";
        case errc::ambiguous_contact: return "ambiguous_contact";
        case errc::token_expired: return "token_expired";
        case errc::flow_expired: return "flow_expired";
        case errc::flow_closed: return "flow_closed";
        case errc::weak_password: return "weak_password";
        case errc::account_locked: return "account_locked";
        case errc::rate_limited: return "rate_limited";
        case errc::overloaded: return "overloaded";
    }
    return "internal_error";
}

std::string what_of(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (...) {
        return "unknown exception";
    }
}

}  // namespace sesame
