// French mobiles in E.164 and e-mail addresses: validation and masked
// display. Depends on the standard library and core/identifier.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sesame {

// A French mobile number in E.164, or nullopt. Accepted forms: national
// "06 12 34 56 78" / "0712345678", international "+33 6 12 34 56 78",
// "0033612345678", "+33 (0)6 12 34 56 78"; spaces (also non-breaking),
// dots, dashes and parentheses are ignored. Only mobiles: 06 and 07
// (+336, +337). Overseas mobiles written nationally get their own country
// code, as the SMS gateway needs it: 0690/0691 -> +590 (Guadeloupe, Saint-
// Martin, Saint-Barthélemy), 0694 -> +594 (Guyane), 0696/0697 -> +596
// (Martinique), 0692/0693/0639 -> +262 (La Réunion, Mayotte); the same
// numbers written with their own prefix (+590 690..., +262 692...) are
// accepted too. Landlines (01-05, 09), 08 numbers, short or long numbers and
// letters are refused.
std::optional<std::string> normalize_french_mobile(std::string_view input);

// Display form keeping the country code, the first national digit and the
// last two digits: "+33612345678" -> "+33 6 •• •• •• 78". Anything that is not
// one of our E.164 forms is masked but for its last two characters.
std::string mask_phone(std::string_view e164);

// A syntactically plausible address, trimmed, with the domain lower-cased
// (the local part keeps its case), or nullopt: exactly one '@', a local part
// of 1-64 bytes without spaces, controls or "<>()[],;:\", a domain of
// dot-separated non-empty labels (letters, digits, '-', or UTF-8) with at
// least one dot and a last label of 2+ characters, 254 bytes at most.
std::optional<std::string> normalize_email(std::string_view input);

// "marie.dupont@exemple.fr" -> "m•••••@exemple.fr": the first character of
// the local part, five bullets whatever its length, then the domain.
std::string mask_email(std::string_view email);

}  // namespace sesame
