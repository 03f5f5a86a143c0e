#include "core/establishment.hpp"

#include <algorithm>
#include <array>

namespace sesame {

namespace {

// Index = metropolitan department number (1-95); 20 is Corsica's old number.
constexpr std::array<std::string_view, 96> metropolitan = {
    "",                  // 00
    "Lyon",              // 01 Ain
    "Amiens",            // 02 Aisne
    "Clermont-Ferrand",  // 03 Allier
    "Aix-Marseille",     // 04 Alpes-de-Haute-Provence
    "Aix-Marseille",     // 05 Hautes-Alpes
    "Nice",              // 06 Alpes-Maritimes
    "Grenoble",          // 07 Ardèche
    "Reims",             // 08 Ardennes
    "Toulouse",          // 09 Ariège
    "Reims",             // 10 Aube
    "Montpellier",       // 11 Aude
    "Toulouse",          // 12 Aveyron
    "Aix-Marseille",     // 13 Bouches-du-Rhône
    "Normandie",         // 14 Calvados
    "Clermont-Ferrand",  // 15 Cantal
    "Poitiers",          // 16 Charente
    "Poitiers",          // 17 Charente-Maritime
    "Orléans-Tours",     // 18 Cher
    "Limoges",           // 19 Corrèze
    "Corse",             // 20 Corse (before 2A/2B)
    "Dijon",             // 21 Côte-d'Or
    "Rennes",            // 22 Côtes-d'Armor
    "Limoges",           // 23 Creuse
    "Bordeaux",          // 24 Dordogne
    "Besançon",          // 25 Doubs
    "Grenoble",          // 26 Drôme
    "Normandie",         // 27 Eure
    "Orléans-Tours",     // 28 Eure-et-Loir
    "Rennes",            // 29 Finistère
    "Montpellier",       // 30 Gard
    "Toulouse",          // 31 Haute-Garonne
    "Toulouse",          // 32 Gers
    "Bordeaux",          // 33 Gironde
    "Montpellier",       // 34 Hérault
    "Rennes",            // 35 Ille-et-Vilaine
    "Orléans-Tours",     // 36 Indre
    "Orléans-Tours",     // 37 Indre-et-Loire
    "Grenoble",          // 38 Isère
    "Besançon",          // 39 Jura
    "Bordeaux",          // 40 Landes
    "Orléans-Tours",     // 41 Loir-et-Cher
    "Lyon",              // 42 Loire
    "Clermont-Ferrand",  // 43 Haute-Loire
    "Nantes",            // 44 Loire-Atlantique
    "Orléans-Tours",     // 45 Loiret
    "Toulouse",          // 46 Lot
    "Bordeaux",          // 47 Lot-et-Garonne
    "Montpellier",       // 48 Lozère
    "Nantes",            // 49 Maine-et-Loire
    "Normandie",         // 50 Manche
    "Reims",             // 51 Marne
    "Reims",             // 52 Haute-Marne
    "Nantes",            // 53 Mayenne
    "Nancy-Metz",        // 54 Meurthe-et-Moselle
    "Nancy-Metz",        // 55 Meuse
    "Rennes",            // 56 Morbihan
    "Nancy-Metz",        // 57 Moselle
    "Dijon",             // 58 Nièvre
    "Lille",             // 59 Nord
    "Amiens",            // 60 Oise
    "Normandie",         // 61 Orne
    "Lille",             // 62 Pas-de-Calais
    "Clermont-Ferrand",  // 63 Puy-de-Dôme
    "Bordeaux",          // 64 Pyrénées-Atlantiques
    "Toulouse",          // 65 Hautes-Pyrénées
    "Montpellier",       // 66 Pyrénées-Orientales
    "Strasbourg",        // 67 Bas-Rhin
    "Strasbourg",        // 68 Haut-Rhin
    "Lyon",              // 69 Rhône
    "Besançon",          // 70 Haute-Saône
    "Dijon",             // 71 Saône-et-Loire
    "Nantes",            // 72 Sarthe
    "Grenoble",          // 73 Savoie
    "Grenoble",          // 74 Haute-Savoie
    "Paris",             // 75 Paris
    "Normandie",         // 76 Seine-Maritime
    "Créteil",           // 77 Seine-et-Marne
    "Versailles",        // 78 Yvelines
    "Poitiers",          // 79 Deux-Sèvres
    "Amiens",            // 80 Somme
    "Toulouse",          // 81 Tarn
    "Toulouse",          // 82 Tarn-et-Garonne
    "Nice",              // 83 Var
    "Aix-Marseille",     // 84 Vaucluse
    "Nantes",            // 85 Vendée
    "Poitiers",          // 86 Vienne
    "Limoges",           // 87 Haute-Vienne
    "Nancy-Metz",        // 88 Vosges
    "Dijon",             // 89 Yonne
    "Besançon",          // 90 Territoire de Belfort
    "Versailles",        // 91 Essonne
    "Versailles",        // 92 Hauts-de-Seine
    "Créteil",           // 93 Seine-Saint-Denis
    "Créteil",           // 94 Val-de-Marne
    "Versailles",        // 95 Val-d'Oise
};

struct special_department {
    std::string_view code;
    std::string_view academie;
};
constexpr std::array<special_department, 7> special = {{
    {"620", "Corse"},       // Corse-du-Sud (2A)
    {"720", "Corse"},       // Haute-Corse (2B)
    {"971", "Guadeloupe"},
    {"972", "Martinique"},
    {"973", "Guyane"},
    {"974", "La Réunion"},
    {"976", "Mayotte"},
}};

// Sorted by byte order, as std::ranges::sort would leave them.
constexpr std::array<std::string_view, 30> academies = {
    "Aix-Marseille", "Amiens",   "Besançon",   "Bordeaux", "Clermont-Ferrand", "Corse",
    "Créteil",       "Dijon",    "Grenoble",   "Guadeloupe", "Guyane",         "La Réunion",
    "Lille",         "Limoges",  "Lyon",       "Martinique", "Mayotte",        "Montpellier",
    "Nancy-Metz",    "Nantes",   "Nice",       "Normandie",  "Orléans-Tours",  "Paris",
    "Poitiers",      "Reims",    "Rennes",     "Strasbourg", "Toulouse",       "Versailles",
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool is_valid_uai(std::string_view uai) {
    if (uai.size() != 8) return false;
    for (std::size_t i = 0; i < 7; ++i)
        if (!is_digit(uai[i])) return false;
    return uai[7] >= 'A' && uai[7] <= 'Z';
}

std::optional<std::string> normalize_uai(std::string_view uai) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!uai.empty() && space(uai.front())) uai.remove_prefix(1);
    while (!uai.empty() && space(uai.back())) uai.remove_suffix(1);
    std::string out(uai);
    if (out.size() == 8 && out[7] >= 'a' && out[7] <= 'z') out[7] = static_cast<char>(out[7] - 'a' + 'A');
    if (!is_valid_uai(out)) return std::nullopt;
    return out;
}

std::string_view academie_for_uai(std::string_view uai) {
    if (uai.size() < 3) return {};
    const std::string_view dept = uai.substr(0, 3);
    for (const auto& s : special)
        if (s.code == dept) return s.academie;
    if (dept[0] != '0' || !is_digit(dept[1]) || !is_digit(dept[2])) return {};
    const int n = (dept[1] - '0') * 10 + (dept[2] - '0');
    return n < static_cast<int>(metropolitan.size()) ? metropolitan[n] : std::string_view{};
}

std::span<const std::string_view> all_academies() { return academies; }

}  // namespace sesame
