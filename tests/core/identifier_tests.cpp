#include <boost/test/unit_test.hpp>

#include <set>
#include <string>
#include <vector>

#include "core/identifier.hpp"

using namespace sesame;

BOOST_AUTO_TEST_SUITE(identifier)

BOOST_AUTO_TEST_CASE(folds_accents_ligatures_and_punctuation) {
    BOOST_TEST(fold_to_ascii_lower("Éloïse") == "eloise");
    BOOST_TEST(fold_to_ascii_lower("François") == "francois");
    BOOST_TEST(fold_to_ascii_lower("Le Bœuf-Martin") == "leboeufmartin");
    BOOST_TEST(fold_to_ascii_lower("LÆTITIA") == "laetitia");
    BOOST_TEST(fold_to_ascii_lower("Straße") == "strasse");
    BOOST_TEST(fold_to_ascii_lower("d'Artagnan") == "dartagnan");
    BOOST_TEST(fold_to_ascii_lower("N\xE2\x80\x99" "Diaye") == "ndiaye");  // typographic apostrophe
    BOOST_TEST(fold_to_ascii_lower("Łukasz Wałęsa") == "lukaszwalesa");
    BOOST_TEST(fold_to_ascii_lower("Ștefan Țăranu") == "stefantaranu");
    BOOST_TEST(fold_to_ascii_lower("Ÿvette ÀÂÄ ÇÈÉÊË ÎÏ ÔÖ ÙÛÜ") == "yvetteaaaceeeeiioouuu");
    BOOST_TEST(fold_to_ascii_lower("Ĳssel Œdipe") == "ijsseloedipe");
    BOOST_TEST(fold_to_ascii_lower("Jose\xCC\x81") == "jose");  // combining acute accent (NFD)
    BOOST_TEST(fold_to_ascii_lower("Дмитрий") == "");
    BOOST_TEST(fold_to_ascii_lower("") == "");
    BOOST_TEST(fold_to_ascii_lower("a\xFF\xC3" "b") == "ab");  // invalid bytes dropped
    BOOST_TEST(fold_to_ascii_lower("Louis 14") == "louis14");
}

BOOST_AUTO_TEST_CASE(base_identifier_is_initial_dot_last_name) {
    BOOST_TEST(base_identifier("Marie", "Dupont") == "m.dupont");
    BOOST_TEST(base_identifier("Éloïse", "Le Bœuf-Martin") == "e.leboeufmartin");
    BOOST_TEST(base_identifier("Jean-Pierre", "N'Guyen") == "j.nguyen");
    BOOST_TEST(base_identifier("  Ophélie ", "  d'Œillet  ") == "o.doeillet");
    BOOST_TEST(base_identifier("Œdipe", "Roi") == "o.roi");
}

BOOST_AUTO_TEST_CASE(base_identifier_falls_back_to_x) {
    BOOST_TEST(base_identifier("", "Dupont") == "x.dupont");
    BOOST_TEST(base_identifier("Marie", "") == "m.x");
    BOOST_TEST(base_identifier("Дмитрий", "Иванов") == "x.x");
    BOOST_TEST(base_identifier("---", "'") == "x.x");
    BOOST_TEST(base_identifier("2Marie", "Dupont 3") == "m.dupont");  // digits are left for uniqueness
}

BOOST_AUTO_TEST_CASE(next_free_identifier_takes_the_smallest_free_number) {
    std::set<std::string, std::less<>> taken;
    std::vector<std::string> asked;
    auto is_taken = [&](std::string_view id) {
        asked.emplace_back(id);
        return taken.find(id) != taken.end();
    };
    BOOST_TEST(next_free_identifier("m.dupont", is_taken) == "m.dupont");
    BOOST_TEST(asked.size() == 1u);

    for (int i = 0; i < 3; ++i) taken.insert(next_free_identifier("m.dupont", is_taken));
    BOOST_TEST(taken.count("m.dupont") == 1u);
    BOOST_TEST(taken.count("m.dupont1") == 1u);
    BOOST_TEST(taken.count("m.dupont2") == 1u);

    asked.clear();
    BOOST_TEST(next_free_identifier("m.dupont", is_taken) == "m.dupont3");
    const std::vector<std::string> expected = {"m.dupont", "m.dupont1", "m.dupont2", "m.dupont3"};
    BOOST_TEST(asked == expected, boost::test_tools::per_element());

    taken.erase("m.dupont1");  // a freed number is reused first
    BOOST_TEST(next_free_identifier("m.dupont", is_taken) == "m.dupont1");
}

BOOST_AUTO_TEST_CASE(normalize_login_trims_and_lower_cases) {
    BOOST_TEST(normalize_login("  M.Dupont2\t") == "m.dupont2");
    BOOST_TEST(normalize_login("m.dupont") == "m.dupont");
    BOOST_TEST(normalize_login("   ") == "");
}

BOOST_AUTO_TEST_CASE(utf8_length_counts_code_points) {
    BOOST_TEST(utf8_length("éèà").value_or(99) == 3u);
    BOOST_TEST(utf8_length("a€😀").value_or(99) == 3u);
    BOOST_TEST(!utf8_length("\xC3").has_value());       // truncated
    BOOST_TEST(!utf8_length("\xC0\xAF").has_value());   // overlong '/'
    BOOST_TEST(!utf8_length("\xED\xA0\x80").has_value());  // surrogate
}

BOOST_AUTO_TEST_SUITE_END()
