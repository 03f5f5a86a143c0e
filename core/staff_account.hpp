// Staff accounts as `sesame staff add` creates them: the login, role and
// scope checked, a provisional password that must be changed at first login
// (stored as an Argon2id hash), and a TOTP secret (RFC 6238, 160 bits) to
// enrol in an authenticator app. Pure decisions; randomness and hashing come
// through core's ports. Depends on core only.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/account.hpp"
#include "core/crypto.hpp"

namespace sesame {

struct staff_request {
    std::string login;  // as typed; stored lower-cased
    std::string role;   // secretariat, vie_scolaire, direction, support, admin
    std::string scope;  // comma-separated UAI (school roles) or académies (support); empty for admin
};

struct staff_enrolment {
    account acc;                       // to store; holds the hash and the raw TOTP secret
    std::string provisional_password;  // shown once, never stored in clear
    std::string totp_uri;              // otpauth://totp/... for the authenticator app
};

// A staff login: 2 to 64 characters among a-z, 0-9, '.', '-', '_', starting
// with a letter (after lower-casing).
bool is_valid_staff_login(std::string_view login);

// The scope of `role` from a comma-separated list: UAI normalised for the
// school roles, académie names as all_academies() spells them (without case
// or accents) for support; empty for admin. A French sentence when it is
// not acceptable (empty for a scoped role, unknown entries, a scope given to
// admin).
std::variant<std::vector<std::string>, std::string> parse_staff_scope(staff_role role, std::string_view scope);

// Why a request was refused, with a French sentence naming the option.
struct staff_refusal {
    enum class reason { bad_option, login_taken } why;
    std::string message;
};

// Checks the request and builds the account; `taken` says whether an
// identifier is in use (asked only once the options are valid).
std::variant<staff_enrolment, staff_refusal> make_staff_account(const staff_request& r,
                                                              const std::function<bool(std::string_view)>& taken,
                                                              crypto& c, password_hasher& hasher, timestamp now);

// RFC 4648 base32, upper case, no padding (as authenticator apps read it).
std::string base32(std::string_view bytes);

// otpauth://totp/ISSUER:LOGIN?secret=...&issuer=ISSUER&algorithm=SHA1&digits=6&period=30,
// with the label and issuer percent-encoded.
std::string totp_uri(std::string_view issuer, std::string_view login, std::string_view secret);

}  // namespace sesame
