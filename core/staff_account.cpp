#include "core/staff_account.hpp"

#include <algorithm>

#include "core/activation_code.hpp"
#include "core/establishment.hpp"
#include "core/identifier.hpp"

namespace sesame {

namespace {

constexpr std::size_t totp_secret_bytes = 20;  // RFC 4226 §4: 160 bits
constexpr std::size_t max_scope_entries = 200;

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split_commas(std::string_view s) {
    std::vector<std::string_view> out;
    while (true) {
        const auto comma = s.find(',');
        const auto part = trim(s.substr(0, comma));
        if (!part.empty()) out.push_back(part);
        if (comma == std::string_view::npos) return out;
        s.remove_prefix(comma + 1);
    }
}

// Unreserved characters of RFC 3986 stay; everything else is %XX.
std::string percent_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// A value quoted in a message, cut (on a UTF-8 character boundary) so a
// pasted file cannot flood the terminal.
std::string quoted(std::string_view v) {
    std::size_t cut = std::min<std::size_t>(v.size(), 40);
    while (cut < v.size() && cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
    return "« " + std::string(v.substr(0, cut)) + (cut < v.size() ? "…" : "") + " »";
}

}  // namespace

bool is_valid_staff_login(std::string_view login) {
    if (login.size() < 2 || login.size() > 64) return false;
    if (login.front() < 'a' || login.front() > 'z') return false;
    return std::all_of(login.begin(), login.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    });
}

std::variant<std::vector<std::string>, std::string> parse_staff_scope(staff_role role, std::string_view scope) {
    const auto parts = split_commas(scope);
    if (role == staff_role::admin) {
        if (!parts.empty()) return std::string("--scope : le rôle admin n'a pas de portée (il voit tout)");
        return std::vector<std::string>{};
    }
    if (parts.empty()) {
        return std::string(role == staff_role::support
                               ? "--scope : indiquez les académies de ce compte (ex. « Créteil,Paris »)"
                               : "--scope : indiquez les établissements (UAI) de ce compte (ex. « 0751234A »)");
    }
    if (parts.size() > max_scope_entries) return std::string("--scope : trop d'entrées (200 au plus)");
    std::vector<std::string> out;
    for (auto part : parts) {
        std::string value;
        if (role == staff_role::support) {
            const auto folded = fold_to_ascii_lower(part);
            const auto academies = all_academies();
            const auto it = std::find_if(academies.begin(), academies.end(),
                                         [&](std::string_view a) { return fold_to_ascii_lower(a) == folded; });
            if (it == academies.end()) return "--scope : académie inconnue " + quoted(part);
            value = std::string(*it);
        } else {
            auto uai = normalize_uai(part);
            if (!uai) return "--scope : " + quoted(part) + " n'est pas un UAI (7 chiffres et une lettre)";
            value = std::move(*uai);
        }
        if (std::find(out.begin(), out.end(), value) == out.end()) out.push_back(std::move(value));
    }
    return out;
}

std::variant<staff_enrolment, staff_refusal> make_staff_account(const staff_request& r,
                                                                const std::function<bool(std::string_view)>& taken,
                                                                crypto& c, password_hasher& hasher, timestamp now) {
    using reason = staff_refusal::reason;
    const std::string login = normalize_login(r.login);
    if (login.empty()) return staff_refusal{reason::bad_option, "--login est obligatoire"};
    if (!is_valid_staff_login(login))
        return staff_refusal{reason::bad_option,
                             "--login : " + quoted(r.login) +
                                 " ne convient pas (2 à 64 caractères parmi a-z, 0-9, « . », « - », « _ », "
                                 "en commençant par une lettre)"};
    const auto role = parse_staff_role(trim(r.role));
    if (!role)
        return staff_refusal{reason::bad_option, "--role : " + quoted(r.role) +
                                                     " inconnu (secretariat, vie_scolaire, direction, support ou admin)"};
    auto scope = parse_staff_scope(*role, r.scope);
    if (auto* err = std::get_if<std::string>(&scope)) return staff_refusal{reason::bad_option, std::move(*err)};
    if (taken(login)) return staff_refusal{reason::login_taken, "l'identifiant « " + login + " » existe déjà"};

    staff_enrolment e;
    e.provisional_password = generate_activation_code(c);
    account& a = e.acc;
    a.identifier = login;
    a.prof = profile::staff;
    a.status = account_status::active;
    a.password_hash = hasher.hash(e.provisional_password);
    a.must_change_password = true;
    a.created_at = a.updated_at = now;
    a.staff = staff_info{*role, std::move(std::get<std::vector<std::string>>(scope)), c.random_bytes(totp_secret_bytes), 0};
    e.totp_uri = totp_uri("Sésame", login, a.staff->totp_secret);
    return e;
}

std::string base32(std::string_view bytes) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char b : bytes) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= 5) {
            out += alphabet[(buffer >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0) out += alphabet[(buffer << (5 - bits)) & 31];
    return out;
}

std::string totp_uri(std::string_view issuer, std::string_view login, std::string_view secret) {
    const std::string enc_issuer = percent_encode(issuer);
    return "otpauth://totp/" + enc_issuer + ":" + percent_encode(login) + "?secret=" + base32(secret) +
           "&issuer=" + enc_issuer + "&algorithm=SHA1&digits=6&period=30";
}

}  // namespace sesame
