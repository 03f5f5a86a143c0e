#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "core/password_policy.hpp"

using namespace sesame;

namespace {

const password_context marie{"m.dupont", "Marie", "Dupont", 12};

const std::string too_easy =
    "Ce mot de passe est trop facile à deviner : ajoutez des mots peu courants ou allongez-le.";
const std::string too_short = "Le mot de passe doit contenir au moins 12 caractères.";

bool has(const std::vector<std::string>& reasons, const std::string& needle) {
    return std::any_of(reasons.begin(), reasons.end(),
                       [&](const std::string& r) { return r.find(needle) != std::string::npos; });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(password_policy)

BOOST_AUTO_TEST_CASE(reference_examples) {
    const auto motdepasse = password_weaknesses("Motdepasse123", marie);
    BOOST_TEST(has(motdepasse, too_easy));
    BOOST_TEST(has(motdepasse, "mots de passe courants"));

    const auto azerty = password_weaknesses("azertyuiop123", marie);
    BOOST_TEST(has(azerty, too_easy));
    BOOST_TEST(has(azerty, "touches du clavier"));

    BOOST_TEST(password_weaknesses("cheval-lune-piano-92", marie).empty());
    BOOST_TEST(password_weaknesses("Tr0ub4dor&3xyz!", marie).empty());
    BOOST_TEST(password_weaknesses("correct horse battery staple", marie).empty());
}

BOOST_AUTO_TEST_CASE(length_counts_code_points_not_bytes) {
    BOOST_TEST(!has(password_weaknesses("éééééééééééé", marie), "au moins"));  // 12 characters, 24 bytes
    const auto eleven = password_weaknesses("ééééééééééé", marie);
    BOOST_TEST(has(eleven, too_short));
    BOOST_TEST(has(password_weaknesses("xK9#q", marie), too_short));

    password_context longer = marie;
    longer.min_length = 16;
    BOOST_TEST(has(password_weaknesses("cheval-lune-92", longer), "au moins 16 caractères"));

    const std::string max(128, 'x');
    BOOST_TEST(!has(password_weaknesses(max, marie), "dépasser"));
    const auto too_long = password_weaknesses(max + "x", marie);
    BOOST_TEST(has(too_long, "Le mot de passe ne doit pas dépasser 128 caractères."));
    std::string accented;
    for (int i = 0; i < 128; ++i) accented += "é";  // 256 bytes, 128 characters
    BOOST_TEST(!has(password_weaknesses(accented, marie), "dépasser"));
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_refused) {
    BOOST_TEST(has(password_weaknesses("cheval-lune-\xC3-piano", marie), "caractères non valides"));
    BOOST_TEST(has(password_weaknesses(std::string("cheval-lune\0piano-92", 20), marie), "caractères non valides"));
}

BOOST_AUTO_TEST_CASE(identifier_and_names_are_refused_without_case_or_accents) {
    const auto last = password_weaknesses("DUPONT-cheval-lune-92", marie);
    BOOST_TEST(has(last, "Le mot de passe ne doit pas contenir votre nom."));
    BOOST_TEST(!has(last, "prénom"));

    const auto first = password_weaknesses("cheval-MARIE-lune-92", marie);
    BOOST_TEST(has(first, "Le mot de passe ne doit pas contenir votre prénom."));

    const auto id = password_weaknesses("x-M.Dupont-cheval-lune", marie);
    BOOST_TEST(has(id, "Le mot de passe ne doit pas contenir votre identifiant."));

    const password_context eloise{"e.leboeufmartin2", "Éloïse", "Le Bœuf-Martin", 12};
    BOOST_TEST(has(password_weaknesses("ELOISE-cheval-lune-92", eloise), "votre prénom."));
    BOOST_TEST(has(password_weaknesses("Éloïse-cheval-lune-92", eloise), "votre prénom."));
    BOOST_TEST(has(password_weaknesses("cheval-lune-BOEUF-92", eloise), "votre nom."));  // part of a compound name
    BOOST_TEST(has(password_weaknesses("cheval-martin-lune-92", eloise), "votre nom."));
    BOOST_TEST(has(password_weaknesses("cheval-e.leboeufmartin-92", eloise), "votre identifiant."));
    // "Le" has fewer than 3 letters: not a reason on its own.
    BOOST_TEST(!has(password_weaknesses("cheval-le-piano-lune-92", eloise), "votre nom."));

    const password_context li{"a.li", "Al", "Li", 12};
    BOOST_TEST(password_weaknesses("lili-cheval-lune-piano", li).empty());
}

BOOST_AUTO_TEST_CASE(weak_patterns_get_precise_hints) {
    const auto repeat = password_weaknesses("aaaaaaaaaaaaaa", marie);
    BOOST_TEST(has(repeat, too_easy));
    BOOST_TEST(has(repeat, "répétitions"));

    const auto sequence = password_weaknesses("abcdefghijkl", marie);
    BOOST_TEST(has(sequence, "suites comme"));
    BOOST_TEST(has(password_weaknesses("123456789012", marie), "suites comme"));

    BOOST_TEST(has(password_weaknesses("qsdfghjklm12", marie), "touches du clavier"));
    BOOST_TEST(has(password_weaknesses("01/02/2010abcd", marie), "dates"));

    const auto leet = password_weaknesses("P@ssw0rd2024", marie);
    BOOST_TEST(has(leet, too_easy));
    BOOST_TEST(has(leet, "« @ » pour « a »"));

    const auto disguised = password_weaknesses("M4r1e2024!!!", marie);
    BOOST_TEST(has(disguised, "même déguisés"));
    BOOST_TEST(!has(disguised, "votre prénom."));  // not literally there

    BOOST_TEST(has(password_weaknesses("Bonjour2024!", marie), "mots de passe courants"));
}

BOOST_AUTO_TEST_CASE(strong_passwords_pass_and_results_are_deterministic) {
    for (const char* pw : {"Xk9#mQ2$vL7p", "velo rouge sous la pluie", "7 girafes mangent du brocoli"}) {
        const auto reasons = password_weaknesses(pw, marie);
        BOOST_TEST(reasons.empty(), pw << ": " << (reasons.empty() ? "" : reasons.front()));
    }
    const auto a = password_weaknesses("Motdepasse123", marie);
    const auto b = password_weaknesses("Motdepasse123", marie);
    BOOST_TEST(a == b, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(works_without_an_identifier) {
    const password_context unknown{"", "", "", 12};
    BOOST_TEST(password_weaknesses("cheval-lune-piano-92", unknown).empty());
    BOOST_TEST(has(password_weaknesses("Motdepasse123", unknown), too_easy));
}

BOOST_AUTO_TEST_SUITE_END()
