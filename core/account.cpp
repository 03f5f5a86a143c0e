#include "core/account.hpp"

#include "core/crypto.hpp"

namespace sesame {

const char* to_string(account_status s) { return s == account_status::active ? "active" : "pending"; }

const char* to_string(staff_role r) {
    switch (r) {
        case staff_role::secretariat: return "secretariat";
        case staff_role::vie_scolaire: return "vie_scolaire";
        case staff_role::direction: return "direction";
        case staff_role::support: return "support";
        case staff_role::admin: return "admin";
    }
    return "secretariat";
}

std::optional<staff_role> parse_staff_role(std::string_view s) {
    for (auto r : {staff_role::secretariat, staff_role::vie_scolaire, staff_role::direction, staff_role::support,
                   staff_role::admin})
        if (s == to_string(r)) return r;
    return std::nullopt;
}

std::string session_record::public_id() const { return to_hex(std::string_view(digest).substr(0, 8)); }

}  // namespace sesame
