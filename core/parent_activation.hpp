// Parent activation by SMS (SPEC §2): a code to a mobile carried by
// parents not yet activated, then the children's birth dates (and, when
// several parents match, a first name) and a password; the account is
// activated and logged in. A mobile on no such parent gets a decoy. Over
// the shared flow engine (core/flow_engine.hpp); the decisions are the pure
// functions below. Depends on core only.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/account_service.hpp"
#include "core/flow_engine.hpp"

namespace sesame {

struct activation_input {
    std::string token;
    std::vector<std::chrono::year_month_day> birth_dates;
    std::string new_password;
    std::optional<std::string> first_name;
    client_info client;
};

// ---- pure steps ----

// A parent a code to its mobile may activate.
bool awaits_activation(const account& acc);
// The children's birth dates given match the known ones (any order);
// `known` nullopt when a child or its birth date is missing.
bool same_birth_dates(std::optional<std::vector<std::chrono::year_month_day>> known,
                      std::vector<std::chrono::year_month_day> given);
// A wrong set of birth dates on a verified flow: counted, the last allowed
// closes the flow. Returns the attempts left.
std::uint32_t count_birth_date_failure(recovery_flow& f, std::uint32_t max_attempts);
// The activation itself: the password set, the account active, the epoch
// moved, the flow closed as used.
void complete_activation(account& acc, recovery_flow& f, std::string new_hash, timestamp now);

// ---- use cases ----

class parent_activation_service {
public:
    parent_activation_service(flow_engine& engine, account_service& accounts, password_hasher& hasher);

    // POST /activation.
    result<flow_started> request(std::string_view phone, const client_info& client, timestamp now);
    // POST /activation/{id}/resend: 429 in the cooldown, 410.
    result<duration> resend(std::string_view flow_id, const client_info& client, timestamp now);
    // POST /activation/{id}/verify: 400 invalid_code, 410, 429; the answer
    // tells how many birth dates to ask.
    result<verified_flow> verify(std::string_view flow_id, std::optional<std::string_view> code,
                                 const client_info& client, timestamp now);
    // POST /activation/complete (Argon2: run on the hashing pool): 400
    // birth_dates_mismatch, 409 ambiguous_contact, 422, 410 token_expired.
    result<login_success> complete(const activation_input& in, timestamp now);

private:
    std::size_t children_of(const std::vector<std::string>& candidates);
    std::optional<std::vector<std::chrono::year_month_day>> birth_dates_of_children(const account& parent);
    // The candidates of a verified flow the input designates.
    std::vector<account> matching_parents(const recovery_flow& f, const activation_input& in);

    flow_engine& engine_;
    account_service& accounts_;
    password_hasher& hasher_;
};

}  // namespace sesame
