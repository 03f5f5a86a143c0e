#include "core/staff_access.hpp"

#include <algorithm>

#include "core/identifier.hpp"

namespace sesame {

const char* to_string(staff_action a) {
    switch (a) {
        case staff_action::account_search: return "account.search";
        case staff_action::account_read: return "account.read";
        case staff_action::account_create: return "account.create";
        case staff_action::account_import: return "account.import";
        case staff_action::update_phone:
        case staff_action::update_email:
        case staff_action::update_class: return "account.update";
        case staff_action::account_unlock: return "account.unlock";
        case staff_action::account_activation_code: return "account.activation_code";
        case staff_action::account_activity: return "account.activity";
        case staff_action::reference_read: return "reference.read";
        case staff_action::audit_read: return "audit.read";
        case staff_action::staff_manage: return "staff.manage";
    }
    return "unknown";
}

const char* to_string(permission a) {
    switch (a) {
        case permission::allowed: return "allowed";
        case permission::forbidden: return "forbidden";
        case permission::not_found: return "not_found";
    }
    return "unknown";
}

bool in_scope(const staff_info& caller, std::string_view establishment, std::string_view academie) {
    switch (caller.role) {
        case staff_role::admin: return true;
        case staff_role::support: {
            if (academie.empty()) return false;
            const std::string folded = fold_to_ascii_lower(academie);
            return std::any_of(caller.scope.begin(), caller.scope.end(),
                               [&](const std::string& a) { return fold_to_ascii_lower(a) == folded; });
        }
        case staff_role::secretariat:
        case staff_role::vie_scolaire:
        case staff_role::direction:
            return !establishment.empty() &&
                   std::find(caller.scope.begin(), caller.scope.end(), establishment) != caller.scope.end();
    }
    return false;
}

namespace {

// What the role may do on an account it sees (API.md's tables).
bool role_may(staff_role role, staff_action action, profile prof) {
    using r = staff_role;
    switch (action) {
        case staff_action::account_search:
        case staff_action::account_read:
        case staff_action::account_unlock:
        case staff_action::account_activity:
        case staff_action::reference_read: return true;
        case staff_action::account_create:
        case staff_action::account_import:
        case staff_action::update_phone: return role == r::secretariat || role == r::direction || role == r::admin;
        case staff_action::update_email: return role == r::vie_scolaire || role == r::direction || role == r::admin;
        case staff_action::update_class: return role != r::support;
        case staff_action::account_activation_code:
            return role == r::direction || role == r::admin || (role == r::secretariat && prof == profile::parent) ||
                   (role == r::vie_scolaire && prof == profile::eleve);
        case staff_action::audit_read: return role == r::direction || role == r::support || role == r::admin;
        case staff_action::staff_manage: return role == r::admin;
    }
    return false;
}

}  // namespace

permission decide(const staff_info& caller, staff_action action, const std::optional<staff_target>& target) {
    if (!target) {
        if (action == staff_action::reference_read)
            return caller.role == staff_role::support || caller.role == staff_role::admin ? permission::allowed
                                                                                          : permission::not_found;
        const bool about_no_account = action == staff_action::account_search || action == staff_action::audit_read ||
                                      action == staff_action::staff_manage || action == staff_action::account_import;
        if (!about_no_account) return permission::not_found;
        return role_may(caller.role, action, profile::eleve) ? permission::allowed : permission::forbidden;
    }
    const bool creating = action == staff_action::account_create || action == staff_action::account_import;
    if (!in_scope(caller, target->establishment, target->academie)) {
        if (creating) return permission::forbidden;
        // Staff management and the audit log are about no account; their
        // role rule alone applies.
        if (action != staff_action::staff_manage && action != staff_action::audit_read) return permission::not_found;
    }
    return role_may(caller.role, action, target->prof) ? permission::allowed : permission::forbidden;
}

}  // namespace sesame
