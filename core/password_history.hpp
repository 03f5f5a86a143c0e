// The one rule for a new password (SPEC §2): it passes the policy
// (core/password_policy.hpp) and is none of the account's last `history`
// passwords (account_policy::password_history), the current one included; a
// change moves the current hash into the history. Used by the password
// change, the reset by a recovery flow and the staff's activation codes.
// Depends on core only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/account.hpp"
#include "core/crypto.hpp"

namespace sesame {

// Why `password` cannot be the account's new one, in French (empty: it
// can). The reuse check runs only when the policy passes, and costs up to
// `history` Argon2 verifies: run it on the hashing pool, without locks.
std::vector<std::string> new_password_problems(const account& acc, std::string_view password,
                                               std::uint32_t min_length, std::size_t history,
                                               password_hasher& hasher);

// Makes `new_hash` the account's password hash (empty: none, an activation
// code stands in), the previous hash, if any, first in the history, which
// keeps the `history - 1` newest.
void rotate_password(account& acc, std::string new_hash, std::size_t history);

}  // namespace sesame
