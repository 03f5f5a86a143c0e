#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

#include "core/contact.hpp"

using namespace sesame;

namespace {
std::string or_none(const std::optional<std::string>& v) { return v.value_or("<none>"); }
}  // namespace

BOOST_AUTO_TEST_SUITE(contact)

BOOST_AUTO_TEST_CASE(french_mobiles_normalise_to_e164) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"06 12 34 56 78", "+33612345678"},
        {"0612345678", "+33612345678"},
        {"+33 6 12 34 56 78", "+33612345678"},
        {"+33612345678", "+33612345678"},
        {"0033612345678", "+33612345678"},
        {"06.12.34.56.78", "+33612345678"},
        {"06-12-34-56-78", "+33612345678"},
        {"  07 98 76 54 32 ", "+33798765432"},
        {"+33 (0)6 12 34 56 78", "+33612345678"},
        {"06\xC2\xA0" "12\xC2\xA0" "34\xC2\xA0" "56\xC2\xA0" "78", "+33612345678"},  // no-break spaces
        {"0690 12 34 56", "+590690123456"},   // Guadeloupe
        {"0694123456", "+594694123456"},      // Guyane
        {"0696123456", "+596696123456"},      // Martinique
        {"0692 12 34 56", "+262692123456"},   // La Réunion
        {"0639 12 34 56", "+262639123456"},   // Mayotte
        {"+262 692 12 34 56", "+262692123456"},
        {"+590 690 12 34 56", "+590690123456"},
    };
    for (const auto& [in, out] : cases) BOOST_TEST(or_none(normalize_french_mobile(in)) == out, "input " << in);
}

BOOST_AUTO_TEST_CASE(everything_else_is_refused) {
    const std::vector<std::string> refused = {
        "01 23 45 67 89", "0234567890", "0345678901", "0456789012", "0567890123",  // landlines
        "0912345678", "0800123456",                                                 // box, free numbers
        "+33 1 23 45 67 89", "061234567", "06123456789", "612345678", "33612345678",
        "06 12 34 56 7a", "zéro six", "", "+", "+44 7911 123456", "+33612345678+",
        "06+12345678", "+262 262 12 34 56", "+590 612 34 56 78", "0612345678 poste 2",
    };
    for (const auto& in : refused) BOOST_TEST(!normalize_french_mobile(in).has_value(), "input " << in);
}

BOOST_AUTO_TEST_CASE(phones_are_masked_but_the_last_two_digits) {
    BOOST_TEST(mask_phone("+33612345678") == "+33 6 •• •• •• 78");
    BOOST_TEST(mask_phone("+33798765432") == "+33 7 •• •• •• 32");
    BOOST_TEST(mask_phone("+262692123456") == "+262 6 •• •• •• 56");
    BOOST_TEST(mask_phone("12345") == "•••45");
    BOOST_TEST(mask_phone("") == "");
}

BOOST_AUTO_TEST_CASE(emails_are_trimmed_and_domain_lower_cased) {
    BOOST_TEST(or_none(normalize_email("  Marie.Dupont@Exemple.FR ")) == "Marie.Dupont@exemple.fr");
    BOOST_TEST(or_none(normalize_email("a+tag@sub.example.org")) == "a+tag@sub.example.org");
    BOOST_TEST(or_none(normalize_email("élève@académie.fr")) == "élève@académie.fr");
}

BOOST_AUTO_TEST_CASE(bad_emails_are_refused) {
    const std::vector<std::string> refused = {
        "", "marie", "marie@", "@exemple.fr", "marie@exemple", "ma rie@exemple.fr", "marie@exem ple.fr",
        "a@b@exemple.fr", "marie@.exemple.fr", "marie@exemple..fr", "marie@exemple.fr.", "marie@-x.fr",
        ".marie@exemple.fr", "marie..d@exemple.fr", "marie@exemple.f", "marie@1.2", "<marie>@exemple.fr",
        std::string(250, 'a') + "@b.fr", std::string(65, 'a') + "@exemple.fr", "marie@exemple.fr\xC3",
    };
    for (const auto& in : refused) BOOST_TEST(!normalize_email(in).has_value(), "input " << in);
    BOOST_TEST(normalize_email(std::string(64, 'a') + "@exemple.fr").has_value());
}

BOOST_AUTO_TEST_CASE(emails_are_masked_to_first_character) {
    BOOST_TEST(mask_email("marie.dupont@exemple.fr") == "m•••••@exemple.fr");
    BOOST_TEST(mask_email("a@b.fr") == "a•••••@b.fr");
    BOOST_TEST(mask_email("élodie@exemple.fr") == "é•••••@exemple.fr");
    BOOST_TEST(mask_email("nope") == "•••••");
}

BOOST_AUTO_TEST_SUITE_END()
