#include "core/account_row.hpp"

#include <algorithm>

#include "core/contact.hpp"
#include "core/establishment.hpp"
#include "core/identifier.hpp"

namespace sesame {

namespace {

constexpr std::array<std::string_view, csv_column_count> column_names = {
    "profile", "external_id", "last_name", "first_name", "establishment",
    "class", "birth_date", "phone", "email", "children",
};
constexpr std::array<csv_column, 5> required_columns = {
    csv_column::profile, csv_column::external_id, csv_column::last_name,
    csv_column::first_name, csv_column::establishment,
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    // A no-break space at either end (spreadsheets love them).
    while (s.starts_with("\xC2\xA0")) s.remove_prefix(2);
    while (s.ends_with("\xC2\xA0")) s.remove_suffix(2);
    return s;
}

std::string quoted(std::string_view s) {
    constexpr std::size_t shown = 40;  // do not echo a whole line back
    std::string out = "« ";
    if (s.size() > shown) {
        std::size_t cut = shown;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
        out += s.substr(0, cut);
        out += "…";
    } else {
        out += s;
    }
    out += " »";
    return out;
}

bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7F;
    });
}

// Checks a name; empty string when it is fine, else the French problem.
std::string check_name(std::string_view value, std::string_view what_missing, std::string_view what) {
    if (value.empty()) return std::string(what_missing);
    if (value.size() > max_name_bytes)
        return std::string(what) + " trop long (" + std::to_string(max_name_bytes) + " octets au plus)";
    if (!utf8_length(value) || has_control(value)) return std::string(what) + " invalide (caractères non permis)";
    return {};
}

std::string check_external_id(std::string_view value, std::string_view what) {
    if (value.empty()) return std::string(what) + " manquant";
    if (value.size() > max_external_id_bytes)
        return std::string(what) + " trop long (" + std::to_string(max_external_id_bytes) + " octets au plus)";
    if (!utf8_length(value) || has_control(value) || value.find('|') != std::string_view::npos)
        return std::string(what) + " invalide " + quoted(value);
    return {};
}

}  // namespace

const char* to_string(profile p) {
    switch (p) {
    case profile::parent: return "parent";
    case profile::eleve: return "eleve";
    case profile::staff: return "staff";
    }
    return "";
}

std::optional<profile> parse_profile(std::string_view s) {
    if (s == "parent") return profile::parent;
    if (s == "eleve") return profile::eleve;
    return std::nullopt;
}

std::string_view column_name(csv_column c) { return column_names[static_cast<std::size_t>(c)]; }

result<csv_header_map> csv_header_map::from_header(const csv_record& header) {
    if (header.error != csv_error::none) return invalid_field("header", std::string("en-tête illisible : ") + describe(header.error));
    csv_header_map map;
    map.width_ = header.fields.size();
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
        std::string name(trim(header.fields[i]));
        for (char& c : name)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        for (std::size_t k = 0; k < csv_column_count; ++k) {
            if (column_names[k] != name) continue;
            if (map.index_[k]) return invalid_field(name, "colonne « " + name + " » présente deux fois");
            map.index_[k] = i;
        }
    }
    std::vector<std::string_view> missing;
    for (const csv_column c : required_columns)
        if (!map.index(c)) missing.push_back(column_name(c));
    if (!missing.empty()) {
        std::string msg = missing.size() == 1 ? "colonne obligatoire manquante : " : "colonnes obligatoires manquantes : ";
        for (std::size_t i = 0; i < missing.size(); ++i) {
            if (i) msg += ", ";
            msg += "« " + std::string(missing[i]) + " »";
        }
        return invalid_field(std::string(missing.front()), std::move(msg));
    }
    return map;
}

std::optional<std::chrono::year_month_day> parse_iso_date(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    int parts[3] = {0, 0, 0};
    const std::size_t starts[3] = {0, 5, 8};
    const std::size_t lengths[3] = {4, 2, 2};
    for (int p = 0; p < 3; ++p) {
        for (std::size_t i = starts[p]; i < starts[p] + lengths[p]; ++i) {
            if (s[i] < '0' || s[i] > '9') return std::nullopt;
            parts[p] = parts[p] * 10 + (s[i] - '0');
        }
    }
    if (parts[0] < 1900 || parts[0] > 2100) return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year{parts[0]},
                                          std::chrono::month{static_cast<unsigned>(parts[1])},
                                          std::chrono::day{static_cast<unsigned>(parts[2])}};
    if (!ymd.ok()) return std::nullopt;
    return ymd;
}

result<account_row> parse_row(const csv_header_map& header, const csv_record& record) {
    if (record.error != csv_error::none) return invalid_field("csv", describe(record.error));

    for (std::size_t i = header.width(); i < record.fields.size(); ++i) {
        if (!trim(record.fields[i]).empty())
            return invalid_field("csv", "la ligne a " + std::to_string(record.fields.size()) + " colonnes, l'en-tête " +
                                            std::to_string(header.width()));
    }
    auto get = [&](csv_column c) -> std::string_view {
        const auto i = header.index(c);
        if (!i || *i >= record.fields.size()) return {};
        return trim(record.fields[*i]);
    };
    auto fail = [](csv_column c, std::string message) {
        return invalid_field(std::string(column_name(c)), std::move(message));
    };

    account_row row;

    const std::string_view prof = get(csv_column::profile);
    if (prof.empty()) return fail(csv_column::profile, "profil manquant (attendu parent ou eleve)");
    const auto p = parse_profile(fold_to_ascii_lower(prof));
    if (!p) return fail(csv_column::profile, "profil inconnu " + quoted(prof) + " (attendu parent ou eleve)");
    row.prof = *p;

    const std::string_view external_id = get(csv_column::external_id);
    if (auto problem = check_external_id(external_id, "identifiant externe"); !problem.empty())
        return fail(csv_column::external_id, std::move(problem));
    row.external_id = external_id;

    const std::string_view last_name = get(csv_column::last_name);
    if (auto problem = check_name(last_name, "nom manquant", "nom"); !problem.empty())
        return fail(csv_column::last_name, std::move(problem));
    row.last_name = last_name;

    const std::string_view first_name = get(csv_column::first_name);
    if (auto problem = check_name(first_name, "prénom manquant", "prénom"); !problem.empty())
        return fail(csv_column::first_name, std::move(problem));
    row.first_name = first_name;

    const std::string_view uai = get(csv_column::establishment);
    if (uai.empty()) return fail(csv_column::establishment, "UAI manquant");
    auto normalized_uai = normalize_uai(uai);
    if (!normalized_uai) return fail(csv_column::establishment, "UAI invalide " + quoted(uai));
    row.establishment = std::move(*normalized_uai);

    const std::string_view class_name = get(csv_column::class_name);
    if (class_name.size() > max_class_bytes)
        return fail(csv_column::class_name, "classe trop longue (" + std::to_string(max_class_bytes) + " octets au plus)");
    if (!utf8_length(class_name) || has_control(class_name)) return fail(csv_column::class_name, "classe invalide");
    row.class_name = class_name;

    if (const std::string_view birth = get(csv_column::birth_date); !birth.empty()) {
        row.birth_date = parse_iso_date(birth);
        if (!row.birth_date)
            return fail(csv_column::birth_date, "date de naissance invalide " + quoted(birth) + " (attendu AAAA-MM-JJ)");
    }

    if (const std::string_view phone = get(csv_column::phone); !phone.empty()) {
        row.phone = normalize_french_mobile(phone);
        if (!row.phone) return fail(csv_column::phone, "téléphone mobile invalide (06 ou 07 attendu)");
    } else if (row.prof == profile::parent) {
        return fail(csv_column::phone, "téléphone obligatoire pour un parent");
    }

    if (const std::string_view email = get(csv_column::email); !email.empty()) {
        auto normalized = normalize_email(email);
        if (!normalized) return fail(csv_column::email, "e-mail invalide");
        row.email = std::move(*normalized);
    }

    std::string_view children = get(csv_column::children);
    while (!children.empty()) {
        const std::size_t bar = children.find('|');
        const std::string_view child = trim(children.substr(0, bar));
        children = bar == std::string_view::npos ? std::string_view{} : children.substr(bar + 1);
        if (child.empty()) continue;
        if (auto problem = check_external_id(child, "identifiant d'enfant"); !problem.empty())
            return fail(csv_column::children, std::move(problem));
        if (std::find(row.children.begin(), row.children.end(), child) != row.children.end()) continue;
        if (row.children.size() == max_children)
            return fail(csv_column::children, "trop d'enfants (" + std::to_string(max_children) + " au plus)");
        row.children.emplace_back(child);
    }
    if (!row.children.empty() && row.prof != profile::parent)
        return fail(csv_column::children, "des enfants ne sont indiqués que pour un parent");

    return row;
}

result<account_row> parse_fields(const std::array<std::string, csv_column_count>& values) {
    csv_record header, record;
    for (std::size_t k = 0; k < csv_column_count; ++k) {
        header.fields.emplace_back(column_name(static_cast<csv_column>(k)));
        record.fields.push_back(values[k]);
    }
    auto map = csv_header_map::from_header(header);
    if (!map) return map.error();
    return parse_row(*map, record);
}

}  // namespace sesame
