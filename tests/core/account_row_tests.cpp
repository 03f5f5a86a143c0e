#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "core/account_row.hpp"

using namespace sesame;
using namespace std::chrono;

namespace {

csv_record record(std::vector<std::string> fields, std::size_t line = 2) {
    csv_record r;
    r.line = line;
    r.fields = std::move(fields);
    return r;
}

// Columns deliberately out of the documented order, plus an unknown one.
const csv_header_map& header() {
    static const csv_header_map map = [] {
        auto m = csv_header_map::from_header(record(
            {" Last_Name", "first_name", "PROFILE", "external_id", "establishment", "remarque", "class", "birth_date",
             "phone", "email", "children"},
            1));
        BOOST_REQUIRE(m.ok());
        return *m;
    }();
    return map;
}

// A valid pupil row, then one field changed.
std::vector<std::string> pupil() {
    return {"Dupont", "Marie", "eleve", "123456789AB", "0751234A", "", "6e B", "2012-03-04", "", "", ""};
}
std::vector<std::string> parent() {
    return {"Dupont", "Paul", "parent", "P-42", "0751234A", "", "", "", "06 12 34 56 78", "paul@Exemple.FR",
            "123456789AB| 987654321CD ||123456789AB"};
}

std::string error_of(std::vector<std::string> fields) {
    const auto r = parse_row(header(), record(std::move(fields)));
    return r.ok() ? std::string("<ok>") : r.error().message;
}
std::string field_of(std::vector<std::string> fields) {
    const auto r = parse_row(header(), record(std::move(fields)));
    return r.ok() ? std::string("<ok>") : r.error().field;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(account_row)

BOOST_AUTO_TEST_CASE(profile_strings) {
    BOOST_TEST(std::string(to_string(profile::parent)) == "parent");
    BOOST_TEST(std::string(to_string(profile::eleve)) == "eleve");
    BOOST_TEST(std::string(to_string(profile::staff)) == "staff");
    BOOST_TEST((parse_profile("parent") == profile::parent));
    BOOST_TEST((parse_profile("eleve") == profile::eleve));
    BOOST_TEST(!parse_profile("staff").has_value());
    BOOST_TEST(!parse_profile("Parent").has_value());
}

BOOST_AUTO_TEST_CASE(header_map_finds_columns_in_any_order) {
    const auto& h = header();
    BOOST_TEST(h.index(csv_column::last_name).value_or(99) == 0u);
    BOOST_TEST(h.index(csv_column::profile).value_or(99) == 2u);
    BOOST_TEST(h.index(csv_column::class_name).value_or(99) == 6u);
    BOOST_TEST(h.index(csv_column::children).value_or(99) == 10u);
    BOOST_TEST(h.width() == 11u);
}

BOOST_AUTO_TEST_CASE(header_map_names_missing_columns) {
    auto m = csv_header_map::from_header(record({"profile", "external_id", "last_name", "first_name"}, 1));
    BOOST_REQUIRE(!m.ok());
    BOOST_TEST(m.error().message == "colonne obligatoire manquante : « establishment »");
    BOOST_TEST(m.error().field == "establishment");

    m = csv_header_map::from_header(record({"profile", "last_name"}, 1));
    BOOST_REQUIRE(!m.ok());
    BOOST_TEST(m.error().message ==
               "colonnes obligatoires manquantes : « external_id », « first_name », « establishment »");

    m = csv_header_map::from_header(record({"profile", "external_id", "last_name", "first_name", "establishment", "Phone", "phone"}, 1));
    BOOST_REQUIRE(!m.ok());
    BOOST_TEST(m.error().message.find("deux fois") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(good_pupil_row) {
    const auto r = parse_row(header(), record(pupil()));
    BOOST_REQUIRE(r.ok());
    BOOST_TEST((r->prof == profile::eleve));
    BOOST_TEST(r->external_id == "123456789AB");
    BOOST_TEST(r->last_name == "Dupont");
    BOOST_TEST(r->first_name == "Marie");
    BOOST_TEST(r->establishment == "0751234A");
    BOOST_TEST(r->class_name == "6e B");
    BOOST_REQUIRE(r->birth_date.has_value());
    BOOST_TEST((*r->birth_date == year_month_day{year{2012}, month{3}, day{4}}));
    BOOST_TEST(!r->phone.has_value());
    BOOST_TEST(r->email.empty());
    BOOST_TEST(r->children.empty());
}

BOOST_AUTO_TEST_CASE(good_parent_row_normalises_values) {
    auto fields = parent();
    fields[0] = "  Le Bœuf-Martin ";
    fields[2] = " Parent ";
    fields[4] = "0751234a";
    const auto r = parse_row(header(), record(fields));
    BOOST_REQUIRE(r.ok());
    BOOST_TEST((r->prof == profile::parent));
    BOOST_TEST(r->last_name == "Le Bœuf-Martin");
    BOOST_TEST(r->establishment == "0751234A");
    BOOST_TEST(r->phone.value_or("") == "+33612345678");
    BOOST_TEST(r->email == "paul@exemple.fr");
    const std::vector<std::string> children = {"123456789AB", "987654321CD"};
    BOOST_TEST(r->children == children, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(accented_profile_is_accepted) {
    auto f = pupil();
    f[2] = "Élève";
    BOOST_TEST(error_of(f) == "<ok>");
}

BOOST_AUTO_TEST_CASE(short_records_read_as_empty_trailing_values) {
    auto f = pupil();
    f.resize(5);
    BOOST_TEST(error_of(f) == "<ok>");
    f = parent();
    f.resize(5);
    BOOST_TEST(error_of(f) == "téléphone obligatoire pour un parent");
}

BOOST_AUTO_TEST_CASE(each_error_message) {
    auto with = [](std::vector<std::string> f, std::size_t i, std::string v) {
        f[i] = std::move(v);
        return f;
    };
    BOOST_TEST(error_of(with(pupil(), 2, "prof")) == "profil inconnu « prof » (attendu parent ou eleve)");
    BOOST_TEST(field_of(with(pupil(), 2, "prof")) == "profile");
    BOOST_TEST(error_of(with(pupil(), 2, "")) == "profil manquant (attendu parent ou eleve)");
    BOOST_TEST(error_of(with(pupil(), 3, " ")) == "identifiant externe manquant");
    BOOST_TEST(error_of(with(pupil(), 3, "A|B")) == "identifiant externe invalide « A|B »");
    BOOST_TEST(error_of(with(pupil(), 0, "  ")) == "nom manquant");
    BOOST_TEST(field_of(with(pupil(), 0, "")) == "last_name");
    BOOST_TEST(error_of(with(pupil(), 0, std::string(101, 'a'))) == "nom trop long (100 octets au plus)");
    BOOST_TEST(error_of(with(pupil(), 0, std::string(100, 'a'))) == "<ok>");
    BOOST_TEST(error_of(with(pupil(), 0, "Du\x01pont")) == "nom invalide (caractères non permis)");
    BOOST_TEST(error_of(with(pupil(), 1, "")) == "prénom manquant");
    BOOST_TEST(error_of(with(pupil(), 4, "075123")) == "UAI invalide « 075123 »");
    BOOST_TEST(field_of(with(pupil(), 4, "075123")) == "establishment");
    BOOST_TEST(error_of(with(pupil(), 4, "")) == "UAI manquant");
    BOOST_TEST(error_of(with(pupil(), 7, "2012-02-30")) == "date de naissance invalide « 2012-02-30 » (attendu AAAA-MM-JJ)");
    BOOST_TEST(error_of(with(pupil(), 7, "04/03/2012")) == "date de naissance invalide « 04/03/2012 » (attendu AAAA-MM-JJ)");
    BOOST_TEST(error_of(with(pupil(), 8, "01 23 45 67 89")) == "téléphone mobile invalide (06 ou 07 attendu)");
    BOOST_TEST(error_of(with(parent(), 8, "")) == "téléphone obligatoire pour un parent");
    BOOST_TEST(field_of(with(parent(), 8, "")) == "phone");
    BOOST_TEST(error_of(with(parent(), 8, "0512345678")) == "téléphone mobile invalide (06 ou 07 attendu)");
    BOOST_TEST(error_of(with(parent(), 9, "paul@exemple")) == "e-mail invalide");
    BOOST_TEST(field_of(with(parent(), 9, "paul@exemple")) == "email");
    BOOST_TEST(error_of(with(pupil(), 10, "X1")) == "des enfants ne sont indiqués que pour un parent");
    BOOST_TEST(error_of(with(pupil(), 6, std::string(51, 'c'))) == "classe trop longue (50 octets au plus)");
    auto longer = pupil();
    longer.push_back("en trop");
    BOOST_TEST(error_of(longer) == "la ligne a 12 colonnes, l'en-tête 11");
    longer.back() = " ";
    BOOST_TEST(error_of(longer) == "<ok>");  // empty extra values are tolerated
}

BOOST_AUTO_TEST_CASE(unterminated_quote_record_is_refused) {
    auto r = record(pupil());
    r.error = csv_error::unterminated_quote;
    const auto row = parse_row(header(), r);
    BOOST_REQUIRE(!row.ok());
    BOOST_TEST(row.error().message.find("guillemet") != std::string::npos);
    BOOST_TEST((row.error().code == errc::invalid_request));
}

BOOST_AUTO_TEST_CASE(long_values_are_cut_in_messages) {
    const auto msg = error_of([] { auto f = pupil(); f[2] = std::string(200, 'z'); return f; }());
    BOOST_TEST(msg.size() < 120u);
    BOOST_TEST(msg.find("…") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(iso_dates) {
    BOOST_TEST((parse_iso_date("2012-02-29") == year_month_day{year{2012}, month{2}, day{29}}));
    BOOST_TEST(!parse_iso_date("2011-02-29").has_value());
    BOOST_TEST(!parse_iso_date("2012-13-01").has_value());
    BOOST_TEST(!parse_iso_date("2012-00-10").has_value());
    BOOST_TEST(!parse_iso_date("2012-1-01").has_value());
    BOOST_TEST(!parse_iso_date("2012-01-01T00:00").has_value());
    BOOST_TEST(!parse_iso_date("1899-12-31").has_value());
    BOOST_TEST(!parse_iso_date("+012-01-01").has_value());
    BOOST_TEST(!parse_iso_date("").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
