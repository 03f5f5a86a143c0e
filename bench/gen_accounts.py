#!/usr/bin/env python3
"""Generate a realistic account import file (API.md "CSV import format").

    bench/gen_accounts.py N OUT.csv [--seed S]        (OUT "-" for stdout)

N rows, `;`-separated, header
profile;external_id;last_name;first_name;establishment;class;birth_date;phone;email;children.
Deterministic for a given N, seed and Python 3 minor version; standard library only;
about 3 µs per row (1,000,000 rows in about 3 s).

What it looks like, family by family (children first, then their parents):
- about 60 % pupils (`eleve`) and 40 % parents; a family has 1-3 children in one
  establishment and 1-2 parents, each listing all of them in `children`;
- establishments: écoles, collèges, lycées with valid UAI codes (3-digit
  département incl. Corsica 620/720 and overseas 971-976, 4 digits, the mod-23
  check letter) across every département, big ones weighted up;
- French names: accents, particles and compound names (Le Bœuf-Martin,
  N'Diaye, Jean-Baptiste, Maëlys), common surnames Zipf-weighted over a long
  synthetic tail, siblings and most parents sharing the family name, some
  schools exporting last names in capitals: identifiers collide the way real
  ones do (m.martin, m.martin1, ..., a few hundred deep for the commonest);
- pupils: INE-like external ids (10 digits + letter), class and birth date
  matching the level (a few a year older); some lycéens have a phone or e-mail;
- parents: 9-digit external ids, a French mobile (06/07, overseas prefixes in
  overseas départements) in assorted spellings, an e-mail for about half.
Every row is valid: `sesame import` must create exactly N accounts.
"""

import argparse
import bisect
import itertools
import random
import sys
import unicodedata

HEADER = "profile;external_id;last_name;first_name;establishment;class;birth_date;phone;email;children\n"
UAI_KEYS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # the 23 letters of the UAI / INE check key

# --------------------------------------------------------------- places

BIG_DEPTS = {"013", "031", "033", "035", "038", "044", "059", "062", "067", "069", "075", "076",
             "077", "078", "091", "092", "093", "094", "095", "006", "034", "057"}
OVERSEAS_MOBILE = {"971": ("0690", "0691"), "972": ("0696", "0697"), "973": ("0694",),
                   "974": ("0692", "0693"), "976": ("0639",)}
DEPTS = [f"{d:03d}" for d in range(1, 96) if d != 20] + ["620", "720", "971", "972", "973", "974", "976"]

# (level, birth year for the 2026-2027 school year, class names)
LEVELS = {
    "ecole": [("CP", 2020), ("CE1", 2019), ("CE2", 2018), ("CM1", 2017), ("CM2", 2016)],
    "college": [("6e", 2015), ("5e", 2014), ("4e", 2013), ("3e", 2012)],
    "lycee": [("2nde", 2011), ("1re", 2010), ("Tle", 2009)],
}
KINDS = [("ecole", 0.30, 150), ("college", 0.45, 500), ("lycee", 0.25, 900)]  # share, typical pupils


def class_names(kind, level):
    if kind == "ecole":
        return [level, f"{level} A", f"{level} B", f"{level}-CM1" if level == "CE2" else f"{level} C"]
    if kind == "college":
        return [f"{level} {c}" for c in "ABCDEF"]
    if level == "2nde":
        return [f"2nde {i}" for i in range(1, 10)]
    return [f"{level} G{i}" for i in range(1, 7)] + [f"{level} STMG", f"{level} STI2D", f"{level} ST2S"]


# --------------------------------------------------------------- names

COMMON_SURNAMES = """Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel
Lefèvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent
Müller Lefebvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier
Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier Masson Marchand Duval Denis
Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun Blanchard Giraud Joly Rivière Lucas Brunet Gaillard
Barbier Arnaud Martinez Gérard Roche Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre
Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland
Leclercq Guillaume Lecomte López Jean Dupuy Guillot Hubert Berger Carpentier Sánchez Dupuis Moulin
Louis Deschamps Huet Vasseur Perez Boucher Fleury Royer Klein Jacquet Adam Paris Poirier Marty Aubry
Guyot Carré Charles Renault Charpentier Ménard Maillard Baron Bertin Bailly Hervé Schneider Fernandez
Le Gall Collet Léger Bouvier Julien Prévost Millet Perrot Daniel Le Roux Cousin Germain Breton Besson
Langlois Rémy Le Goff Pelletier Lévêque Perrier Leblanc Barré Lebrun Marchal Weber Mallet Hamon Boulanger
Jacob Monnier Michaud Rodriguez Guichard Gillet Étienne Grondin Poulain Tessier Chevallier Collin
Chauvin Da Silva Bouchet Gay Lemaître Bénard Maréchal Humbert Reynaud Antoine Hoarau Perret Barthélémy
Cordier Pichon Lejeune Gilbert Lamy Delaunay Pasquier Carlier Laporte N'Diaye Diallo Traoré Nguyen
Benali Haddad Mendès Dos Santos Le Bœuf De La Fontaine D'Almeida Œuvrard Lefèbvre Kœnig Ségalen
Kerbrat Le Bihan Le Floc'h Quéméner Ollivier Cœurdevey Belkacem Ben Saïd""".split()
# Names written with a space come out of split() in pieces: glue the known particles back.
PARTICLES = {"Le", "De", "La", "Da", "Dos", "Ben"}


def _glue(words):
    out, i = [], 0
    while i < len(words):
        w = words[i]
        while w.split(" ")[-1] in PARTICLES and i + 1 < len(words):
            i += 1
            w = f"{w} {words[i]}"
        out.append(w)
        i += 1
    return out


COMMON_SURNAMES = _glue(COMMON_SURNAMES)
SYN_START = """Ber Cas Dal Fer Gar Ker Lam Mar Mor Pel Roc Sal Tes Val Bou Cha Chau Del Duf Gui Jou Lef Mal
Mon Per Poi Riv Sau Tho Vil Bel Bon Car Cour Fab Gau Her Lan Mau Pra Rou Ser Tar Vau Bré Gré Lé Mé Pé Thé
Hu Lo Ja Co Ba Da Ga Ma Na Ra""".split()
SYN_MID = ["", "", "", "na", "ri", "ma", "to", "lo", "ve", "bé", "che", "de", "gou", "la", "mi", "ne", "ro",
           "sa", "ti", "vi", "ba", "ga", "li", "no", "ré", "ssa", "tte", "zo", "ca", "fo", "pe", "qui", "sè",
           "lè", "dé", "gé", "mé", "ra", "pi", "du"]
SYN_END = """t d ux au eau el elle ier ière in ine on ot ard ault ès et ette y ie and ens ez ac ec ic oux ais
ain ant as at é ée ois our us eix ëlle oët ay ey an ou ange ogne aud enc ol ille""".split()
SYN_PREFIX = ["Le ", "De ", "Du ", "La ", "D'", "Van ", "Mac", "Saint-"]

GIRLS = """Léa Emma Jade Louise Alice Chloé Lina Mila Rose Anna Inès Ambre Léna Julia Zoé Manon Camille
Léonie Agathe Maëlys Éloïse Anaïs Clémence Noémie Océane Romane Lou Iris Nina Juliette Adèle Margaux
Victoire Héloïse Elsa Lucie Mathilde Capucine Céleste Maëlle Yasmine Aïcha Salomé Anaëlle Gabrielle
Pénélope Thaïs Marie-Lou Anne-Sophie Lou-Ann Éléonore Hélène Soline Nour Maryam Énora Faustine""".split()
BOYS = """Gabriel Léo Raphaël Louis Arthur Jules Adam Lucas Hugo Noah Maël Paul Nathan Sacha Gabin Aaron
Mohamed Théo Timéo Noé Éthan Mathis Tom Enzo Axel Loïc Yanis Rayan Ibrahim Aymeric Benoît Léon Martin
Victor Côme Baptiste Clément Évan Malo Naël Eliott Joachim Valentin Théodore Amaury Anatole Célestin
Titouan Jean-Baptiste Pierre-Louis Yaël Ismaël Loïs Gaël Élie Marius Isaac Hédi""".split()
MOTHERS = """Nathalie Isabelle Sandrine Céline Stéphanie Aurélie Émilie Sophie Virginie Valérie Sylvie Hélène
Karine Julie Marie Laetitia Élodie Cécile Anne-Laure Marie-Claire Séverine Gaëlle Mélanie Delphine
Caroline Audrey Sabrina Fatima Amélie Claire Laure Christelle Véronique Géraldine Magali Estelle Nadège
Aurore Marie-Hélène Anne-Sophie Bérénice Noëlle Françoise Maïté Sonia Myriam Khadija Samia Agnès""".split()
FATHERS = """Sébastien Nicolas Christophe Stéphane Frédéric Laurent David Julien Jérôme Olivier Éric Thierry
Philippe Cédric Grégory Fabrice Jean-Marc Jean-François Pierre-Yves François Benoît Hervé Loïc Mickaël
Guillaume Mathieu Franck Karim Mohamed Rachid Yannick Arnaud Ludovic Jean-Baptiste Vincent Damien
Romain Anthony Jean-Luc Pascal Gaël Joël Noël Raphaël Thibaut Yohann Abdelkader Bruno Gilles Régis""".split()
DOMAINS = [("gmail.com", 30), ("orange.fr", 15), ("hotmail.fr", 10), ("free.fr", 8), ("laposte.net", 6),
           ("sfr.fr", 5), ("yahoo.fr", 5), ("outlook.fr", 5), ("wanadoo.fr", 4), ("icloud.com", 4),
           ("neuf.fr", 2), ("bbox.fr", 2)]


def zipf_cum(n, s):
    return list(itertools.accumulate(1.0 / (k + 1) ** s for k in range(n)))


_fold_cache = {}


def fold(name):
    """ASCII e-mail local part of a name: é→e, œ→oe, spaces and apostrophes dropped."""
    r = _fold_cache.get(name)
    if r is None:
        t = name.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae").replace("Æ", "Ae")
        t = unicodedata.normalize("NFKD", t)
        r = "".join(c for c in t if c.isascii() and (c.isalnum() or c == "-")).lower()
        _fold_cache[name] = r
    return r


# --------------------------------------------------------------- generator

def generate(n, out, seed):
    rng = random.Random(seed)
    rand = rng.random
    randrange = rng.randrange

    def picker(items, cum):
        total = cum[-1]
        return lambda: items[bisect.bisect_right(cum, rand() * total)]

    # Establishments: about 500 pupils each on average, so N/800 of them.
    dept_cum = list(itertools.accumulate(3.0 if d in BIG_DEPTS else 1.0 for d in DEPTS))
    pick_dept = picker(DEPTS, dept_cum)
    kind_cum = list(itertools.accumulate(k[1] for k in KINDS))
    pick_kind = picker(KINDS, kind_cum)
    est_count = max(1, round(n * 0.6 / 495))
    establishments, taken, sizes = [], set(), []
    while len(establishments) < est_count:
        dept = pick_dept()
        uai7 = f"{dept}{randrange(10000):04d}"
        if uai7 in taken:
            continue
        taken.add(uai7)
        kind, _, typical = pick_kind()
        levels = [(lvl, year, class_names(kind, lvl)) for lvl, year in LEVELS[kind]]
        mobiles = OVERSEAS_MOBILE.get(dept)
        establishments.append((uai7 + UAI_KEYS[int(uai7) % 23], kind, levels, mobiles, rand() < 0.15))
        sizes.append(typical * (0.6 + 0.8 * rand()))
    pick_est = picker(establishments, list(itertools.accumulate(sizes)))

    common_cum = zipf_cum(len(COMMON_SURNAMES), 0.5)
    pick_common = picker(COMMON_SURNAMES, common_cum)

    def surname():
        r = rand()
        if r < 0.15:
            return pick_common()
        if r < 0.18:
            return f"{pick_common()}-{pick_common()}"
        name = SYN_START[randrange(len(SYN_START))] + SYN_MID[randrange(len(SYN_MID))] + \
            SYN_END[randrange(len(SYN_END))]
        if r > 0.92:
            name = SYN_PREFIX[randrange(len(SYN_PREFIX))] + name
        return name

    pick_girl = picker(GIRLS, zipf_cum(len(GIRLS), 0.8))
    pick_boy = picker(BOYS, zipf_cum(len(BOYS), 0.8))
    pick_mother = picker(MOTHERS, zipf_cum(len(MOTHERS), 0.8))
    pick_father = picker(FATHERS, zipf_cum(len(FATHERS), 0.8))
    pick_domain = picker([d for d, _ in DOMAINS], list(itertools.accumulate(w for _, w in DOMAINS)))
    days = [f"{m:02d}-{d:02d}" for m, length in enumerate((31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), 1)
            for d in range(1, length + 1)]

    # Unique ids: an affine bijection of a counter, so they look scattered.
    ine_off, resp_off = randrange(10 ** 10), randrange(10 ** 9)

    def mobile(mobiles):
        if mobiles:
            head = mobiles[randrange(len(mobiles))]
            digits = head + f"{randrange(10 ** 6):06d}"
        else:
            head = "06" if rand() < 0.7 else "07" + str(3 + randrange(7))
            digits = head + f"{randrange(10 ** (10 - len(head))):0{10 - len(head)}d}"
        r = rand()
        if r < 0.5:
            return " ".join(digits[i:i + 2] for i in range(0, 10, 2))
        if r < 0.8:
            return digits
        if r < 0.9:
            return "+33 " + digits[1] + " " + " ".join(digits[i:i + 2] for i in range(2, 10, 2))
        return ".".join(digits[i:i + 2] for i in range(0, 10, 2))

    def email(first, last):
        suffix = str(randrange(100)) if rand() < 0.3 else ""
        return f"{fold(first)}.{fold(last)}{suffix}@{pick_domain()}"

    buf, rows, pupils, parents = [], 0, 0, 0
    write = out.write
    while rows < n:
        uai, kind, levels, mobiles, caps = pick_est()
        family = surname()
        r = rand()
        nchild = 1 if r < 0.5 else 2 if r < 0.85 else 3
        nparents = 1 if rand() < 0.9 else 2
        ids = []
        for _ in range(nchild):
            if rows >= n:
                break
            level, year, classes = levels[randrange(len(levels))]
            if rand() < 0.08:
                year -= 1
            girl = rand() < 0.5
            first = pick_girl() if girl else pick_boy()
            num = (pupils * 7654321117 + ine_off) % 10 ** 10
            pupils += 1
            ine = f"{num:010d}{UAI_KEYS[num % 23]}"
            ids.append(ine)
            phone = mail = ""
            if kind == "lycee":
                if rand() < 0.3:
                    phone = mobile(mobiles)
                if rand() < 0.2:
                    mail = email(first, family)
            elif kind == "college" and rand() < 0.05:
                mail = email(first, family)
            last = family.upper() if caps else family
            buf.append(f"eleve;{ine};{last};{first};{uai};{classes[randrange(len(classes))]};"
                       f"{year}-{days[randrange(365)]};{phone};{mail};\n")
            rows += 1
        children = "|".join(ids)
        for p in range(nparents):
            if rows >= n:
                break
            mother = rand() < (0.75 if p == 0 else 0.25)
            first = pick_mother() if mother else pick_father()
            last = family if rand() < 0.85 else surname()
            num = (parents * 987654323 + resp_off) % 10 ** 9
            parents += 1
            mail = email(first, last) if rand() < 0.5 else ""
            if caps:
                last = last.upper()
            buf.append(f"parent;{num:09d};{last};{first};{uai};;;{mobile(mobiles)};{mail};{children}\n")
            rows += 1
        if len(buf) >= 50000:
            write("".join(buf))
            buf.clear()
    write("".join(buf))
    return {"eleve": pupils, "parent": parents, "establishments": len(establishments)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int, help="number of rows (accounts)")
    ap.add_argument("out", help="output CSV path, or - for stdout")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = ap.parse_args()
    if args.n < 1:
        ap.error("N must be at least 1")
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8", newline="")
    try:
        out.write(HEADER)
        stats = generate(args.n, out, args.seed)
    finally:
        if out is not sys.stdout:
            out.close()
    print(f"gen_accounts: {args.n} rows ({stats['eleve']} pupils, {stats['parent']} parents, "
          f"{stats['establishments']} establishments), seed {args.seed}", file=sys.stderr)


if __name__ == "__main__":
    main()
