// Who may do what among staff (API.md "Staff routes" and "Staff routes, in
// detail"): one pure decision, role x action x the target account's
// establishment and académie against the caller's scope. Depends on core
// (account.hpp for staff_role and staff_info) only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/account.hpp"

namespace sesame {

// Every staff action, named as in the audit log (API.md).
enum class staff_action {
    account_search,           // account.search
    account_read,             // account.read
    account_create,           // account.create
    account_import,           // account.import
    update_phone,             // account.update (phone)
    update_email,             // account.update (email)
    update_class,             // account.update (class)
    account_unlock,           // account.unlock
    account_activation_code,  // account.activation_code
    account_activity,         // account.activity
    reference_read,           // reference.read
    audit_read,               // audit.read (never audited itself)
    staff_manage,             // staff.create, staff.list, staff.delete
};
inline constexpr staff_action all_staff_actions[] = {
    staff_action::account_search,  staff_action::account_read,           staff_action::account_create,
    staff_action::account_import,  staff_action::update_phone,           staff_action::update_email,
    staff_action::update_class,    staff_action::account_unlock,         staff_action::account_activation_code,
    staff_action::account_activity, staff_action::reference_read,        staff_action::audit_read,
    staff_action::staff_manage};
const char* to_string(staff_action a);

// What an action is about: an account (its establishment, académie and
// profile), or nothing (search, audit, staff management, a reference whose
// flow has no account).
struct staff_target {
    std::string establishment;  // UAI
    std::string academie;
    profile prof = profile::eleve;
};

enum class permission {
    allowed,
    forbidden,  // 403: the caller sees the account but its role may not do this
    not_found,  // 404: the account is outside the caller's scope (as if absent)
};
const char* to_string(permission a);

// Whether an account of `establishment` / `academie` is within the scope:
// school roles by UAI, support by académie (without case or accents),
// admin everything.
bool in_scope(const staff_info& caller, std::string_view establishment, std::string_view academie);

// The decision. An account outside the scope is not_found, except for
// account_create and account_import, where the establishment is the
// caller's choice and an establishment outside the scope is forbidden.
// Actions about no account (target nullopt): search, audit_read and
// staff_manage go by role; a reference without an account is visible to
// support and admin only (not_found for the others).
permission decide(const staff_info& caller, staff_action action, const std::optional<staff_target>& target);

}  // namespace sesame
