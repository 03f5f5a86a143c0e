// sesame: the one binary. Parses the subcommand and hands over; the wiring
// of each command lives in app/commands_*.cpp.
#include <cstdio>
#include <cstring>
#include <set>
#include <string>

#include "app/cli.hpp"
#include "app/commands.hpp"
#include "core/log.hpp"

namespace {

using namespace sesame::app;

constexpr const char* version_text = "sesame 0.1.0";

const char* usage_text =
    "Usage : sesame <commande> [options]\n"
    "\n"
    "Commandes :\n"
    "  serve          démarre le serveur (HTTP, workers d'envoi)\n"
    "  import         importe un fichier CSV de comptes\n"
    "  staff          gère les comptes du personnel (staff add ...)\n"
    "  backup         écrit une sauvegarde cohérente de la base (aussi pendant que le serveur tourne)\n"
    "  check          vérifie la cohérence de la base (--repair reconstruit les index)\n"
    "  oidc           services connectés par OpenID Connect (oidc client add ..., oidc rotate-keys)\n"
    "  check-config   vérifie la configuration et affiche la configuration effective\n"
    "  version        affiche la version\n"
    "\n"
    "Chaque commande accepte --help, --config FICHIER et les options de configuration (--clé valeur).\n";

struct command_spec {
    const char* name;
    std::set<std::string> options;
    const char* usage;
    int (*run)(const command_line&);
    std::set<std::string> switches = {};
};

int run_version(const command_line&) {
    std::printf("%s\n", version_text);
    return exit_ok;
}

const command_spec commands[] = {
    {"serve", {}, "Usage : sesame serve [--config FICHIER] [--clé valeur ...]\n", run_serve},
    {"import", {"out"},
     "Usage : sesame import --store.path CHEMIN FICHIER.csv [--out IDENTIFIANTS.csv]\n"
     "Importe ou met à jour des comptes ; écrit external_id,identifier,activation_code dans --out.\n"
     "Code de sortie 0 si toutes les lignes sont importées, 1 si des lignes ont été refusées.\n",
     run_import},
    {"staff", {"login", "role", "scope"},
     "Usage : sesame staff add --store.path CHEMIN --login L --role R [--scope S,...]\n"
     "Rôles : secretariat, vie_scolaire, direction (portée : UAI), support (portée : académies), admin.\n"
     "Affiche « password: ... » puis « totp: otpauth://totp/... ».\n",
     run_staff},
    {"backup", {"to"},
     "Usage : sesame backup --store.path CHEMIN --to DOSSIER\n"
     "Le dossier ne doit pas exister ; la sauvegarde s'ouvre comme une base complète.\n",
     run_backup},
    {"check", {},
     "Usage : sesame check --store.path CHEMIN [--repair]\n"
     "Lit chaque enregistrement et vérifie les index, les flux et la file d'envoi au regard des comptes.\n"
     "Code de sortie 0 si tout est cohérent, 1 avec un rapport ; --repair reconstruit les index.\n",
     run_check, {"repair"}},
    {"oidc", {"name", "redirect-uri", "post-logout-redirect-uri"},
     "Usage : sesame oidc client add --store.path CHEMIN --name NOM --redirect-uri URI [--redirect-uri URI ...]\n"
     "                               [--post-logout-redirect-uri URI ...] [--public]\n"
     "        sesame oidc rotate-keys --store.path CHEMIN\n"
     "client add affiche « client_id: ... » et, pour un service confidentiel, « client_secret: ... ».\n"
     "rotate-keys crée une nouvelle clé de signature ; l'ancienne reste publiée jusqu'à l'expiration de ses jetons.\n"
     "Serveur arrêté (comme staff add).\n",
     run_oidc, {"public"}},
    {"check-config", {}, "Usage : sesame check-config [--config FICHIER] [--clé valeur ...]\n", run_check_config},
    {"version", {}, "Usage : sesame version\n", run_version},
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
        std::strcmp(argv[1], "help") == 0) {
        std::fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? exit_usage : exit_ok;
    }
    if (std::strcmp(argv[1], "--version") == 0) return run_version({});
    for (const auto& spec : commands) {
        if (spec.name != std::string(argv[1])) continue;
        auto parsed = parse_command_line(argc, argv, spec.options, spec.switches);
        if (auto* err = std::get_if<std::string>(&parsed)) {
            std::fputs(spec.usage, stderr);
            return fail(exit_usage, *err);
        }
        auto& cl = std::get<command_line>(parsed);
        if (cl.help) {
            std::fputs(spec.usage, stdout);
            if (std::string(spec.name) != "version") std::fputs(("\n" + config_keys_help()).c_str(), stdout);
            return exit_ok;
        }
        const int code = spec.run(cl);
        sesame::log::flush();
        return code;
    }
    std::fputs(usage_text, stderr);
    return fail(exit_usage, std::string("commande inconnue « ") + argv[1] + " »");
}
