// core/staff_access.hpp: the whole permission table of API.md, written out
// here as data (5 roles x every action x in or out of scope x the account's
// profile) and compared with decide(), plus the scope rules themselves.
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/staff_access.hpp"

using namespace sesame;

namespace {

using a = staff_action;

staff_info caller(staff_role role) {
    staff_info s;
    s.role = role;
    if (role == staff_role::support) s.scope = {"Créteil"};
    else if (role != staff_role::admin) s.scope = {"0931234X", "0941234A"};
    return s;
}

// An account inside every scoped caller's scope (Créteil: 93), one outside (Paris: 75).
staff_target in_scope_account(profile p) { return {"0931234X", "Créteil", p}; }
staff_target out_of_scope_account(profile p) { return {"0751234A", "Paris", p}; }

// API.md's tables, action by action: which roles may act on an account they see.
const std::map<staff_role, std::set<staff_action>> allowed_on_parents = {
    {staff_role::secretariat,
     {a::account_search, a::account_read, a::account_create, a::account_import, a::update_phone, a::update_class,
      a::account_unlock, a::account_activation_code, a::account_activity, a::reference_read}},
    {staff_role::vie_scolaire,
     {a::account_search, a::account_read, a::update_email, a::update_class, a::account_unlock, a::account_activity,
      a::reference_read}},
    {staff_role::direction,
     {a::account_search, a::account_read, a::account_create, a::account_import, a::update_phone, a::update_email,
      a::update_class, a::account_unlock, a::account_activation_code, a::account_activity, a::reference_read,
      a::audit_read}},
    {staff_role::support,
     {a::account_search, a::account_read, a::account_unlock, a::account_activity, a::reference_read, a::audit_read}},
    {staff_role::admin,
     {a::account_search, a::account_read, a::account_create, a::account_import, a::update_phone, a::update_email,
      a::update_class, a::account_unlock, a::account_activation_code, a::account_activity, a::reference_read,
      a::audit_read, a::staff_manage}},
};

// Activation codes: secretariat for parents, vie scolaire for pupils.
std::set<staff_action> allowed_on_pupils(staff_role r) {
    auto s = allowed_on_parents.at(r);
    if (r == staff_role::secretariat) s.erase(a::account_activation_code);
    if (r == staff_role::vie_scolaire) s.insert(a::account_activation_code);
    return s;
}

const staff_role roles[] = {staff_role::secretariat, staff_role::vie_scolaire, staff_role::direction,
                            staff_role::support, staff_role::admin};

}  // namespace

BOOST_AUTO_TEST_SUITE(staff_access)

BOOST_AUTO_TEST_CASE(every_role_action_and_scope) {
    std::size_t cases = 0;
    for (const auto role : roles) {
        const staff_info who = caller(role);
        for (const auto action : all_staff_actions) {
            for (const profile p : {profile::parent, profile::eleve}) {
                const auto& allowed = p == profile::parent ? allowed_on_parents.at(role) : allowed_on_pupils(role);
                const bool may = allowed.count(action) > 0;
                // In scope: the role decides.
                const permission in = decide(who, action, in_scope_account(p));
                BOOST_TEST((in == (may ? permission::allowed : permission::forbidden)),
                           to_string(role) << " " << to_string(action) << " " << to_string(p) << " in scope: "
                                           << to_string(in));
                // Out of scope: as if absent (404), except for creation, where the
                // establishment is the caller's choice (403); admin sees everything.
                const permission out = decide(who, action, out_of_scope_account(p));
                permission expected;
                if (role == staff_role::admin) expected = may ? permission::allowed : permission::forbidden;
                else if (action == a::account_create || action == a::account_import) expected = permission::forbidden;
                else if (action == a::staff_manage || action == a::audit_read)
                    expected = may ? permission::allowed : permission::forbidden;  // about no account
                else expected = permission::not_found;
                BOOST_TEST((out == expected), to_string(role) << " " << to_string(action) << " " << to_string(p)
                                                              << " out of scope: " << to_string(out));
                cases += 2;
            }
        }
    }
    BOOST_TEST(cases == 5u * std::size(all_staff_actions) * 2u * 2u);
}

BOOST_AUTO_TEST_CASE(actions_about_no_account) {
    for (const auto role : roles) {
        const staff_info who = caller(role);
        const auto& allowed = allowed_on_parents.at(role);
        for (const auto action : {a::account_search, a::audit_read, a::staff_manage, a::account_import}) {
            const permission got = decide(who, action, std::nullopt);
            BOOST_TEST((got == (allowed.count(action) ? permission::allowed : permission::forbidden)),
                       to_string(role) << " " << to_string(action));
        }
        // A reference with no account (a decoy): support and admin only.
        const bool sees = role == staff_role::support || role == staff_role::admin;
        BOOST_TEST((decide(who, a::reference_read, std::nullopt) == (sees ? permission::allowed : permission::not_found)));
        // Account actions need an account.
        BOOST_TEST((decide(who, a::account_read, std::nullopt) == permission::not_found));
    }
}

BOOST_AUTO_TEST_CASE(scope_compares_uai_exactly_and_academies_without_case_or_accents) {
    staff_info support = caller(staff_role::support);
    BOOST_TEST(in_scope(support, "0931234X", "CRETEIL"));
    BOOST_TEST(in_scope(support, "0931234X", "créteil"));
    BOOST_TEST(!in_scope(support, "0931234X", "Versailles"));
    BOOST_TEST(!in_scope(support, "0931234X", ""));
    staff_info school = caller(staff_role::secretariat);
    BOOST_TEST(in_scope(school, "0941234A", "Créteil"));
    BOOST_TEST(!in_scope(school, "0941234B", "Créteil"));  // same académie, other school
    BOOST_TEST(!in_scope(school, "", ""));
    BOOST_TEST(in_scope(caller(staff_role::admin), "", ""));
}

BOOST_AUTO_TEST_CASE(audit_action_names) {
    BOOST_TEST(std::string(to_string(a::update_phone)) == "account.update");
    BOOST_TEST(std::string(to_string(a::update_email)) == "account.update");
    BOOST_TEST(std::string(to_string(a::account_activation_code)) == "account.activation_code");
    BOOST_TEST(std::string(to_string(a::reference_read)) == "reference.read");
}

BOOST_AUTO_TEST_SUITE_END()
