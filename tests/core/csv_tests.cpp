#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "core/csv.hpp"

using namespace sesame;

namespace {

struct read_result {
    char separator;
    std::vector<csv_record> records;
};

read_result read_all(std::string_view text) {
    csv_reader reader(text);
    read_result out{reader.separator(), {}};
    csv_record rec;
    while (reader.next(rec)) out.records.push_back(rec);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(csv)

BOOST_AUTO_TEST_CASE(strips_bom_and_detects_semicolon) {
    const auto r = read_all("\xEF\xBB\xBFprofile;last_name;first_name\nparent;Dupont;Marie\n");
    BOOST_TEST(r.separator == ';');
    BOOST_REQUIRE(r.records.size() == 2u);
    BOOST_TEST(r.records[0].fields[0] == "profile");  // no BOM left in the first name
    BOOST_TEST(r.records[1].fields[2] == "Marie");
    BOOST_TEST(r.records[1].line == 2u);
}

BOOST_AUTO_TEST_CASE(detects_comma_and_counts_outside_quotes) {
    BOOST_TEST(read_all("a,b,c\n1,2,3\n").separator == ',');
    // Two ';' inside quotes, one ',' outside: comma.
    BOOST_TEST(read_all("\"a;b;c\",d\n").separator == ',');
    // More ';' than ',': semicolon, even with commas in names.
    BOOST_TEST(read_all("a;b,c;d\n").separator == ';');
    const auto r = read_all("nom;prenom\n\"Dupont, Jr\";Marie\n");
    BOOST_TEST(r.separator == ';');
    BOOST_REQUIRE(r.records.size() == 2u);
    BOOST_TEST(r.records[1].fields[0] == "Dupont, Jr");
}

BOOST_AUTO_TEST_CASE(quoted_separators_and_doubled_quotes) {
    const auto r = read_all("a,b,c\n\"x,y\",\"il a dit \"\"oui\"\"\",\"\"\n");
    BOOST_REQUIRE(r.records.size() == 2u);
    const auto& f = r.records[1].fields;
    BOOST_REQUIRE(f.size() == 3u);
    BOOST_TEST(f[0] == "x,y");
    BOOST_TEST(f[1] == "il a dit \"oui\"");
    BOOST_TEST(f[2] == "");
}

BOOST_AUTO_TEST_CASE(embedded_newline_keeps_physical_line_numbers) {
    const auto r = read_all("a;b\n1;\"deux\nlignes\"\n3;\"trois\r\nlignes\r\nencore\"\n4;quatre\n");
    BOOST_REQUIRE(r.records.size() == 4u);
    BOOST_TEST(r.records[1].line == 2u);
    BOOST_TEST(r.records[1].fields[1] == "deux\nlignes");
    BOOST_TEST(r.records[2].line == 4u);
    BOOST_TEST(r.records[2].fields[1] == "trois\r\nlignes\r\nencore");
    BOOST_TEST(r.records[3].line == 7u);
    BOOST_TEST(r.records[3].fields[1] == "quatre");
}

BOOST_AUTO_TEST_CASE(crlf_and_missing_final_newline) {
    const auto r = read_all("a,b\r\n1,2\r\n3,4");
    BOOST_REQUIRE(r.records.size() == 3u);
    BOOST_TEST(r.records[1].fields[1] == "2");  // no '\r' left behind
    BOOST_TEST(r.records[2].fields[1] == "4");
    BOOST_TEST(r.records[2].line == 3u);
}

BOOST_AUTO_TEST_CASE(empty_lines_are_skipped_but_counted) {
    const auto r = read_all("a;b\n\n1;2\r\n\r\n;\n   \n3;4\n\n");
    BOOST_REQUIRE(r.records.size() == 4u);
    BOOST_TEST(r.records[1].line == 3u);
    BOOST_TEST(r.records[2].line == 6u);  // "   " is not empty: a record of one blank field
    BOOST_TEST(r.records[2].fields[0] == "   ");
    BOOST_TEST(r.records[3].line == 7u);
    BOOST_TEST(r.records[3].fields[0] == "3");
}

BOOST_AUTO_TEST_CASE(trailing_separator_gives_an_empty_last_field) {
    const auto r = read_all("a;b;\n1;2;");
    BOOST_REQUIRE(r.records.size() == 2u);
    BOOST_TEST(r.records[0].fields.size() == 3u);
    BOOST_TEST(r.records[1].fields.size() == 3u);
}

BOOST_AUTO_TEST_CASE(unterminated_quote_is_reported_and_stops) {
    const auto r = read_all("a;b\n1;2\n3;\"pas fini\n4;5\n6;7\n");
    BOOST_REQUIRE(r.records.size() == 3u);
    BOOST_TEST((r.records[1].error == csv_error::none));
    BOOST_TEST((r.records[2].error == csv_error::unterminated_quote));
    BOOST_TEST(r.records[2].line == 3u);
    BOOST_TEST(std::string(describe(csv_error::unterminated_quote)).find("guillemet") != std::string::npos);
    // A reader stays stopped.
    csv_reader reader("\"x\n");
    csv_record rec;
    BOOST_TEST(reader.next(rec));
    BOOST_TEST((rec.error == csv_error::unterminated_quote));
    BOOST_TEST(!reader.next(rec));
}

BOOST_AUTO_TEST_CASE(record_is_reused_and_shrinks) {
    csv_reader reader("a,b,c,d\n1,2\n");
    csv_record rec;
    BOOST_REQUIRE(reader.next(rec));
    BOOST_TEST(rec.fields.size() == 4u);
    BOOST_REQUIRE(reader.next(rec));
    BOOST_TEST(rec.fields.size() == 2u);
    BOOST_TEST(rec.fields[1] == "2");
    BOOST_TEST(!reader.next(rec));
    BOOST_TEST(reader.position() == reader.size());
}

BOOST_AUTO_TEST_CASE(a_million_rows_in_one_pass) {
    std::string text = "profile;external_id;last_name;first_name;establishment;class;birth_date;phone;email;children\n";
    const std::string row =
        "eleve;123456789AB;\"Le Bœuf-Martin\";Éloïse;0751234A;6e B;2012-03-04;;eloise.leboeuf@exemple.fr;\n";
    constexpr std::size_t rows = 1'000'000;
    text.reserve(text.size() + rows * (row.size() + 8));
    for (std::size_t i = 0; i < rows; ++i) text += row;
    BOOST_TEST(text.size() > 60u * 1024 * 1024);

    const auto start = std::chrono::steady_clock::now();
    csv_reader reader(text);
    csv_record rec;
    std::size_t count = 0, bad = 0;
    while (reader.next(rec)) {
        ++count;
        if (rec.fields.size() != 10 || rec.error != csv_error::none) ++bad;
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    BOOST_TEST_MESSAGE("parsed " << text.size() / (1024 * 1024) << " MiB, " << count << " records in " << ms.count() << " ms");
    BOOST_TEST(count == rows + 1);
    BOOST_TEST(bad == 0u);
    BOOST_TEST(rec.line == rows + 1);
    BOOST_TEST(rec.fields[2] == "Le Bœuf-Martin");
}

BOOST_AUTO_TEST_SUITE_END()
