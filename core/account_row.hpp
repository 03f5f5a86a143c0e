// The CSV import row: profiles, header map and row validation with French
// messages. Depends on std and core (error, csv, contact, establishment).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/csv.hpp"
#include "core/error.hpp"

namespace sesame {

enum class profile { parent, eleve, staff };

// "parent", "eleve", "staff".
const char* to_string(profile p);
// The public profiles only, exactly "parent" or "eleve" (as in API bodies);
// staff is never parsed from user input.
std::optional<profile> parse_profile(std::string_view s);

struct account_row {
    profile prof = profile::eleve;
    std::string external_id;
    std::string last_name;
    std::string first_name;
    std::string establishment;  // UAI, normalised ("0751234A")
    std::string class_name;     // may be empty
    std::string email;          // normalised, unvalidated; may be empty
    std::optional<std::chrono::year_month_day> birth_date;
    std::optional<std::string> phone;  // E.164
    std::vector<std::string> children;  // external_ids, trimmed, no empties, no duplicates
};

// The import columns, as named in the header row.
enum class csv_column { profile, external_id, last_name, first_name, establishment,
                        class_name, birth_date, phone, email, children };
inline constexpr std::size_t csv_column_count = 10;
// The header name of a column: "profile", ..., "class", ...
std::string_view column_name(csv_column c);

// Where each known column sits in the records. Header names are trimmed and
// lower-cased; unknown columns are ignored.
class csv_header_map {
public:
    // Errors (invalid_request, field = the column): a required column missing
    // ("colonne obligatoire manquante : « establishment »"), a column present
    // twice, or an unterminated quote in the header.
    static result<csv_header_map> from_header(const csv_record& header);

    std::optional<std::size_t> index(csv_column c) const { return index_[static_cast<std::size_t>(c)]; }
    std::size_t width() const { return width_; }  // fields in the header

private:
    std::array<std::optional<std::size_t>, csv_column_count> index_{};
    std::size_t width_ = 0;
};

// Longest accepted values, in bytes.
inline constexpr std::size_t max_name_bytes = 100;
inline constexpr std::size_t max_external_id_bytes = 64;
inline constexpr std::size_t max_class_bytes = 50;
inline constexpr std::size_t max_children = 30;

// Validates one data record. Values are trimmed; a record shorter than the
// header reads as empty trailing values, one with extra non-empty values is
// refused. The first problem found is returned as invalid_field(column,
// French message), e.g. "profil inconnu « prof » (attendu parent ou eleve)",
// "UAI invalide « 075123 »", "date de naissance invalide « 2010-02-30 »
// (attendu AAAA-MM-JJ)", "téléphone mobile invalide (06 ou 07 attendu)",
// "téléphone obligatoire pour un parent", "e-mail invalide", "nom manquant".
// The profile is matched without case or accents ("Élève" is eleve).
// Contacts are never echoed in messages.
result<account_row> parse_row(const csv_header_map& header, const csv_record& record);

// The same validation for one account given column by column (the staff
// console's JSON body): values indexed by csv_column, children already
// joined with '|'. Errors name the column as parse_row's do.
result<account_row> parse_fields(const std::array<std::string, csv_column_count>& values);

// Exactly "YYYY-MM-DD", a real calendar date, years 1900-2100.
std::optional<std::chrono::year_month_day> parse_iso_date(std::string_view s);

}  // namespace sesame
