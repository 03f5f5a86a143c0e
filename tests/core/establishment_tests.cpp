#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

#include "core/establishment.hpp"

using namespace sesame;

namespace {
// "0071234A" for department 7.
std::string uai_of(int department) {
    std::string d = std::to_string(department);
    return std::string(3 - d.size(), '0') + d + "1234A";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(establishment)

BOOST_AUTO_TEST_CASE(uai_is_seven_digits_and_a_capital) {
    BOOST_TEST(is_valid_uai("0751234A"));
    BOOST_TEST(is_valid_uai("9741234Z"));
    BOOST_TEST(!is_valid_uai("0751234a"));
    BOOST_TEST(!is_valid_uai("075123"));
    BOOST_TEST(!is_valid_uai("07512345A"));
    BOOST_TEST(!is_valid_uai("075123AA"));
    BOOST_TEST(!is_valid_uai("0751234É"));
    BOOST_TEST(!is_valid_uai(""));
}

BOOST_AUTO_TEST_CASE(normalize_uai_trims_and_upper_cases) {
    BOOST_TEST(normalize_uai(" 0751234a ").value_or("<none>") == "0751234A");
    BOOST_TEST(normalize_uai("0751234A").value_or("<none>") == "0751234A");
    BOOST_TEST(!normalize_uai("07512341").has_value());
    BOOST_TEST(!normalize_uai("075 1234A").has_value());
}

BOOST_AUTO_TEST_CASE(academie_from_department) {
    BOOST_TEST(academie_for_uai("0751234A") == "Paris");
    BOOST_TEST(academie_for_uai("0691234A") == "Lyon");
    BOOST_TEST(academie_for_uai("0131234A") == "Aix-Marseille");
    BOOST_TEST(academie_for_uai("0931234A") == "Créteil");
    BOOST_TEST(academie_for_uai("0781234A") == "Versailles");
    BOOST_TEST(academie_for_uai("0311234A") == "Toulouse");
    BOOST_TEST(academie_for_uai("0591234A") == "Lille");
    BOOST_TEST(academie_for_uai("0331234A") == "Bordeaux");
    BOOST_TEST(academie_for_uai("0671234A") == "Strasbourg");
    BOOST_TEST(academie_for_uai("0141234A") == "Normandie");
    BOOST_TEST(academie_for_uai("0761234A") == "Normandie");
    BOOST_TEST(academie_for_uai("0571234A") == "Nancy-Metz");
    BOOST_TEST(academie_for_uai("0451234A") == "Orléans-Tours");
    BOOST_TEST(academie_for_uai("0901234A") == "Besançon");
    BOOST_TEST(academie_for_uai("0831234A") == "Nice");
    BOOST_TEST(academie_for_uai("6201234A") == "Corse");
    BOOST_TEST(academie_for_uai("7201234A") == "Corse");
    BOOST_TEST(academie_for_uai("9711234A") == "Guadeloupe");
    BOOST_TEST(academie_for_uai("9721234A") == "Martinique");
    BOOST_TEST(academie_for_uai("9731234A") == "Guyane");
    BOOST_TEST(academie_for_uai("9741234A") == "La Réunion");
    BOOST_TEST(academie_for_uai("9761234A") == "Mayotte");
}

BOOST_AUTO_TEST_CASE(unknown_departments_give_empty) {
    BOOST_TEST(academie_for_uai("0001234A").empty());
    BOOST_TEST(academie_for_uai("0961234A").empty());
    BOOST_TEST(academie_for_uai("9751234A").empty());
    BOOST_TEST(academie_for_uai("2A01234A").empty());
    BOOST_TEST(academie_for_uai("07").empty());
    BOOST_TEST(academie_for_uai("").empty());
}

BOOST_AUTO_TEST_CASE(every_metropolitan_department_has_a_listed_academie) {
    const auto all = all_academies();
    BOOST_TEST(std::is_sorted(all.begin(), all.end()));
    BOOST_TEST((std::adjacent_find(all.begin(), all.end()) == all.end()));
    for (int d = 1; d <= 95; ++d) {
        const auto a = academie_for_uai(uai_of(d));
        BOOST_TEST(!a.empty(), "department " << d);
        BOOST_TEST(std::binary_search(all.begin(), all.end(), a), "department " << d);
    }
    // And every listed académie is reachable.
    for (const auto a : all) {
        bool found = false;
        for (const char* dept : {"620", "971", "972", "973", "974", "976"})
            found = found || academie_for_uai(std::string(dept) + "1234A") == a;
        for (int d = 1; d <= 95 && !found; ++d) found = academie_for_uai(uai_of(d)) == a;
        BOOST_TEST(found, "académie " << a);
    }
}

BOOST_AUTO_TEST_SUITE_END()
