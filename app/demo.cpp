#include "app/demo.hpp"

#include "core/account_import.hpp"
#include "core/activation_code.hpp"
#include "core/staff_account.hpp"

namespace sesame::app {

namespace {

constexpr const char* demo_password = "Sesame-demo-2026!";
constexpr const char* demo_activation_code = "ESSA-YEZM-2345-6789";
// The demo staff's TOTP secret (20 bytes): fixed, so a newcomer can compute
// codes with oathtool. Only ever used with demo.seed.
constexpr std::string_view demo_totp_secret = "sesame-demo-totp-key";

account_row row(profile p, const char* ext, const char* first, const char* last, const char* phone, const char* email,
                const char* class_name, std::optional<std::chrono::year_month_day> birth,
                std::vector<std::string> children) {
    account_row r;
    r.prof = p;
    r.external_id = ext;
    r.first_name = first;
    r.last_name = last;
    r.establishment = "0751234A";
    if (phone) r.phone = phone;
    if (email) r.email = email;
    r.class_name = class_name ? class_name : "";
    r.birth_date = birth;
    r.children = std::move(children);
    return r;
}

}  // namespace

bool seed_demo_accounts(account_repository& accounts, change_sink& sink, crypto& c, password_hasher& hasher,
                        timestamp now) {
    using namespace std::chrono;
    if (accounts.identifier_by_external_id("0751234A", "DEMO-P1")) return false;
    auto taken = [&](std::string_view id) { return accounts.identifier_exists(id); };
    changes out;
    auto add_active = [&](const account_row& r, bool email_validated) {
        new_account n = make_account(r, taken, c, now);
        n.acc.status = account_status::active;
        n.acc.must_change_password = false;
        n.acc.activation_digest.clear();
        n.acc.password_hash = hasher.hash(demo_password);
        n.acc.password_changed_at = now;
        n.acc.email_validated = email_validated;
        out.accounts.push_back(n.acc);
        // Written now so the next make_account sees the identifier as taken.
        sink.apply(out);
        out = changes{};
    };
    add_active(row(profile::parent, "DEMO-P1", "Marie", "Dupont", "+33612345678", "marie.dupont@example.fr", nullptr,
                   std::nullopt, {"DEMO-E1"}),
               true);
    add_active(row(profile::eleve, "DEMO-E1", "Lucas", "Dupont", nullptr, "lucas.dupont@example.fr", "4e B",
                   year{2012} / March / 14, {}),
               true);
    // A pupil who has not activated yet: the school handed out the code.
    new_account pupil = make_account(row(profile::eleve, "DEMO-E2", "Emma", "Martin", nullptr, nullptr, "6e A",
                                         year{2014} / September / 2, {}),
                                     taken, c, now);
    pupil.acc.activation_digest = activation_digest(c, demo_activation_code);
    out.accounts.push_back(pupil.acc);
    sink.apply(out);
    out = changes{};
    // A parent who has not activated yet (activation by SMS).
    new_account parent = make_account(row(profile::parent, "DEMO-P2", "Karim", "Benali", "+33698765432", nullptr,
                                          nullptr, std::nullopt, {"DEMO-E2"}),
                                      taken, c, now);
    out.accounts.push_back(parent.acc);
    sink.apply(out);
    return true;
}

bool seed_demo_staff(account_repository& accounts, change_sink& sink, password_hasher& hasher, timestamp now) {
    changes out;
    auto add = [&](const char* login, staff_role role, std::vector<std::string> scope) {
        if (accounts.identifier_exists(login)) return;
        account a;
        a.identifier = login;
        a.prof = profile::staff;
        a.status = account_status::active;
        a.password_hash = hasher.hash(demo_password);
        a.password_changed_at = now;
        a.created_at = a.updated_at = now;
        a.staff = staff_info{role, std::move(scope), std::string(demo_totp_secret), 0};
        out.accounts.push_back(a);
    };
    add("admin", staff_role::admin, {});
    add("secretariat", staff_role::secretariat, {"0751234A"});
    if (out.accounts.empty()) return false;
    sink.apply(out);
    return true;
}

std::string demo_banner() {
    const std::string secret = base32(demo_totp_secret);
    return std::string(
               "Comptes de démonstration (établissement 0751234A) :\n"
               "  parent  m.dupont  mot de passe Sesame-demo-2026!   (mobile +33 6 12 34 56 78)\n"
               "  élève   l.dupont  mot de passe Sesame-demo-2026!   (e-mail validé lucas.dupont@example.fr)\n"
               "  élève   e.martin  code d'activation ESSA-YEZM-2345-6789 (première connexion)\n"
               "  parent  k.benali  non activé, mobile +33 6 98 76 54 32 (activation par SMS)\n"
               "Personnel de démonstration (mot de passe Sesame-demo-2026! et code TOTP) :\n"
               "  admin        administrateur national\n"
               "  secretariat  secrétariat de l'établissement 0751234A\n"
               "  secret TOTP commun : ") +
           secret + "\n  " + totp_uri("Sésame (démo)", "secretariat", demo_totp_secret) +
           "\n  code du moment : oathtool --totp -b " + secret + "\n";
}

}  // namespace sesame::app
