#include "core/password_policy.hpp"

#include <zxcvbn.h>

#include <algorithm>
#include <array>
#include <memory>

#include "core/identifier.hpp"

namespace sesame {

namespace {

// Runs of keys on a French AZERTY keyboard: zxcvbn only knows QWERTY and
// Dvorak, so they are given as dictionary words.
constexpr std::array<std::string_view, 20> azerty_runs = {
    "azertyuiop", "qsdfghjklm", "wxcvbn", "azerty", "qsdfgh", "qsdf", "azer", "wxcv",
    "poiuytreza", "mlkjhgfdsq", "nbvcxw", "ytreza", "aqwzsxedc", "aqwzsx", "azeqsdwxc", "azeqsd",
    "aqwxsz", "qsdfghjk", "azertyui", "wxcvbnqsdf",
};

// Common French passwords and the words they are made of, most common first
// (French leaks, school vocabulary). zxcvbn's own dictionary is English.
constexpr std::array<std::string_view, 180> french_words = {
    "motdepasse", "doudou", "loulou", "soleil", "chouchou", "marseille", "bonjour", "jetaime", "coucou",
    "nicolas", "camille", "chocolat", "princesse", "football", "julien", "thomas", "isabelle", "nathalie",
    "caroline", "celine", "sandrine", "stephanie", "amandine", "vanessa", "anthony", "jeremy", "maxime",
    "alexandre", "mathieu", "sebastien", "guillaume", "pauline", "melanie", "laurence", "elodie", "aurelie",
    "virginie", "valerie", "sophie", "olivier", "bisous", "amour", "mamour", "cherie", "maman", "papa",
    "famille", "enfant", "enfants", "bebe", "tigrou", "titou", "toutou", "nounours", "bisounours",
    "doudoune", "minouche", "poupette", "pupuce", "choupette", "choupinette", "caramel", "cannelle",
    "vanille", "fraise", "pomme", "banane", "cerise", "papillon", "dauphin", "tigre", "chaton", "chien",
    "chat", "lapin", "cheval", "poney", "licorne", "pompier", "vacances", "plage", "montagne", "bretagne",
    "paris", "france", "lyon", "toulouse", "bordeaux", "nantes", "lille", "allezlom", "olympique",
    "parisien", "liberte", "egalite", "fraternite", "bienvenue", "merci", "salut", "bonsoir", "secret",
    "admin", "administrateur", "utilisateur", "connexion", "sesame", "educonnect", "pronote", "monlycee",
    "ecole", "college", "lycee", "classe", "eleve", "parent", "professeur", "maitresse", "bulletin",
    "devoirs", "cahier", "cartable", "rentree", "noel", "janvier", "fevrier", "mars", "avril", "juin",
    "juillet", "aout", "septembre", "octobre", "novembre", "decembre", "lundi", "mardi", "mercredi",
    "jeudi", "vendredi", "samedi", "dimanche", "printemps", "automne", "hiver", "anniversaire",
    "naissance", "toto", "titi", "tata", "zizou", "zidane", "mbappe", "mickey", "pokemon", "dragon",
    "naruto", "minecraft", "fortnite", "roblox", "tiktok", "instagram", "facebook", "snapchat",
    "youtube", "orange", "bouygues", "wanadoo", "laposte", "hotmail", "gmail", "bonheur", "chance",
    "jesus", "marie", "louise", "emma", "lucas", "hugo", "nathan", "enzo",
};

// Is `c` (lower-cased) `w` or a common look-alike of it?
bool leet_of(char c, char w) {
    if (c == w) return true;
    switch (w) {
    case 'a': return c == '4' || c == '@';
    case 'b': return c == '8';
    case 'c': return c == '(' || c == '{' || c == '[' || c == '<';
    case 'e': return c == '3';
    case 'g': return c == '6' || c == '9';
    case 'i': return c == '1' || c == '!' || c == '|';
    case 'l': return c == '1' || c == '|' || c == '7';
    case 'o': return c == '0';
    case 's': return c == '$' || c == '5';
    case 't': return c == '+' || c == '7';
    case 'x': return c == '%';
    case 'z': return c == '2';
    default: return false;
    }
}

bool looks_like(std::string_view s, std::string_view word) {
    if (s.size() != word.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (!leet_of(c, word[i])) return false;
    }
    return true;
}

// The folded forms of a name worth looking for: the whole name and each
// part of a compound one, 3 letters or more.
std::vector<std::string> name_forms(std::string_view name) {
    std::vector<std::string> forms;
    auto add = [&](std::string f) {
        if (f.size() >= 3 && std::find(forms.begin(), forms.end(), f) == forms.end()) forms.push_back(std::move(f));
    };
    add(fold_to_ascii_lower(name));
    std::size_t start = 0;
    for (std::size_t i = 0; i <= name.size(); ++i) {
        const bool end = i == name.size();
        const bool delimiter = !end && (name[i] == ' ' || name[i] == '-' || name[i] == '\'' || name[i] == '.' ||
                                        name.substr(i).starts_with("\xE2\x80\x99"));  // ’
        if (end || delimiter) {
            add(fold_to_ascii_lower(name.substr(start, i - start)));
            start = i + 1;
        }
    }
    return forms;
}

std::vector<std::string> identifier_forms(std::string_view identifier) {
    std::vector<std::string> forms;
    std::string folded = fold_to_ascii_lower(identifier);
    if (folded.size() >= 3) forms.push_back(folded);
    while (!folded.empty() && folded.back() >= '0' && folded.back() <= '9') folded.pop_back();
    if (folded.size() >= 3 && (forms.empty() || forms.front() != folded)) forms.push_back(folded);
    return forms;
}

bool contains_any(std::string_view haystack, const std::vector<std::string>& needles) {
    return std::any_of(needles.begin(), needles.end(),
                       [&](const std::string& n) { return haystack.find(n) != std::string_view::npos; });
}

struct info_deleter {
    void operator()(ZxcMatch_t* p) const { ZxcvbnFreeInfo(p); }
};

struct hints {
    bool personal = false, repeat = false, sequence = false, keyboard = false, date = false, common = false, leet = false;
};

void classify_user_match(std::string_view part, bool leet, const std::vector<std::string>& personal, hints& h) {
    for (const auto& w : personal)
        if (looks_like(part, w)) {
            h.personal = true;
            return;
        }
    for (const auto w : azerty_runs)
        if (looks_like(part, w)) {
            h.keyboard = true;
            return;
        }
    h.common = true;
    h.leet = h.leet || leet;
}

}  // namespace

std::vector<std::string> password_weaknesses(std::string_view password, const password_context& ctx) {
    std::vector<std::string> reasons;
    const auto length = utf8_length(password);
    if (!length || password.find('\0') != std::string_view::npos) {
        reasons.emplace_back("Le mot de passe contient des caractères non valides.");
        return reasons;
    }
    if (*length < ctx.min_length)
        reasons.push_back("Le mot de passe doit contenir au moins " + std::to_string(ctx.min_length) + " caractères.");
    if (*length > max_password_length) {
        reasons.push_back("Le mot de passe ne doit pas dépasser " + std::to_string(max_password_length) + " caractères.");
        return reasons;  // not worth estimating
    }

    const std::string folded = fold_to_ascii_lower(password);
    const auto id_forms = identifier_forms(ctx.identifier);
    const auto first_forms = name_forms(ctx.first_name);
    const auto last_forms = name_forms(ctx.last_name);
    const bool has_id = contains_any(folded, id_forms);
    const bool has_first = contains_any(folded, first_forms);
    const bool has_last = contains_any(folded, last_forms);
    if (has_id) reasons.emplace_back("Le mot de passe ne doit pas contenir votre identifiant.");
    if (has_first) reasons.emplace_back("Le mot de passe ne doit pas contenir votre prénom.");
    if (has_last) reasons.emplace_back("Le mot de passe ne doit pas contenir votre nom.");

    // Personal words first, then the French list, as zxcvbn's user dictionary.
    std::vector<std::string> personal;
    auto add_personal = [&](const std::string& w) {
        if (!w.empty() && std::find(personal.begin(), personal.end(), w) == personal.end()) personal.push_back(w);
    };
    for (const auto& f : id_forms) add_personal(f);
    if (const std::string login = normalize_login(ctx.identifier); login.size() >= 3) add_personal(login);
    for (const auto& f : first_forms) add_personal(f);
    for (const auto& f : last_forms) add_personal(f);
    std::vector<const char*> dictionary;
    dictionary.reserve(personal.size() + french_words.size() + azerty_runs.size() + 1);
    for (const auto& w : personal) dictionary.push_back(w.c_str());
    for (const auto w : french_words) dictionary.push_back(w.data());  // literals: NUL-terminated
    for (const auto w : azerty_runs) dictionary.push_back(w.data());
    dictionary.push_back(nullptr);

    const std::string pw(password);
    ZxcMatch_t* raw_info = nullptr;
    const double bits = ZxcvbnMatch(pw.c_str(), dictionary.data(), &raw_info);
    const std::unique_ptr<ZxcMatch_t, info_deleter> info(raw_info);
    if (bits >= min_password_entropy_bits) return reasons;

    reasons.emplace_back("Ce mot de passe est trop facile à deviner : ajoutez des mots peu courants ou allongez-le.");
    hints h;
    for (const ZxcMatch_t* m = info.get(); m; m = m->Next) {
        if (m->Type & MULTIPLE_MATCH) {  // a part repeated ("abcabc", "!!!"): that is the weakness
            h.repeat = true;
            continue;
        }
        const int type = m->Type;
        if (m->Begin < 0 || m->Length <= 0 || static_cast<std::size_t>(m->Begin + m->Length) > pw.size()) continue;
        const std::string_view part = std::string_view(pw).substr(m->Begin, m->Length);
        switch (type) {
        case REPEATS_MATCH: h.repeat = true; break;
        case SEQUENCE_MATCH: h.sequence = true; break;
        case SPATIAL_MATCH: h.keyboard = true; break;
        case DATE_MATCH:
        case YEAR_MATCH: h.date = true; break;
        case DICTIONARY_MATCH: h.common = h.common || m->Length >= 4; break;
        case DICT_LEET_MATCH:  // short ones ("!" for i) are noise
            if (m->Length >= 4) h.common = h.leet = true;
            break;
        case USER_MATCH: classify_user_match(part, false, personal, h); break;
        case USER_LEET_MATCH: classify_user_match(part, true, personal, h); break;
        default: break;
        }
    }
    if (h.personal && !(has_id || has_first || has_last))
        reasons.emplace_back("Évitez d'y mettre votre nom, votre prénom ou votre identifiant, même déguisés.");
    if (h.repeat) reasons.emplace_back("Évitez les répétitions comme « aaaa » ou « abcabc ».");
    if (h.sequence) reasons.emplace_back("Évitez les suites comme « abcd » ou « 1234 ».");
    if (h.keyboard) reasons.emplace_back("Évitez les suites de touches du clavier comme « azerty ».");
    if (h.date) reasons.emplace_back("Évitez les dates et les années, faciles à deviner.");
    if (h.common) reasons.emplace_back("Évitez les mots et mots de passe courants comme « motdepasse » ou « soleil ».");
    if (h.leet)
        reasons.emplace_back(
            "Remplacer des lettres par des chiffres ou des symboles (« @ » pour « a », « 0 » pour « o ») ne trompe "
            "personne.");
    return reasons;
}

}  // namespace sesame
