// `sesame import`: bulk CSV import into a store no server holds, with a
// progress bar on a terminal and the credentials written to --out.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "app/commands.hpp"
#include "core/account_import.hpp"
#include "store/database.hpp"
#include "store/error.hpp"
#include "store/repository.hpp"
#include "workers/crypto_openssl.hpp"

namespace sesame::app {

namespace {

constexpr std::size_t max_errors_shown = 50;

std::string csv_field(const std::string& v) {
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string out = "\"";
    for (char c : v) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

}  // namespace

int run_import(const command_line& cl) {
    auto loaded = load_settings_or_report(cl);
    if (!loaded) return exit_usage;
    if (cl.positionals.size() != 1) return fail(exit_usage, "indiquez exactement un fichier CSV à importer");
    const std::string& file = cl.positionals[0];
    const auto out_it = cl.options.find("out");

    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(exit_failure, "impossible de lire « " + file + " »");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string data = buffer.str();

    auto db = open_store_or_report(loaded->values.store.path, "arrêtez le serveur le temps de l'import");
    if (!db) return exit_failure;

    workers::crypto_openssl crypto;
    store::repository repo(*db);
    system_clock clock;
    import_options options;
    const bool tty = ::isatty(STDERR_FILENO) == 1;
    if (tty) {
        options.progress = [](std::size_t done, std::size_t total, std::size_t rows) {
            const int pct = total ? int(done * 100 / total) : 100;
            const int width = 30, filled = pct * width / 100;
            std::fprintf(stderr, "\rImport [%.*s%*s] %3d %% — %zu lignes", filled, "##############################",
                         width - filled, "", pct, rows);
            std::fflush(stderr);
        };
    }
    // Credentials go to --out (or standard output) as their batch lands,
    // so a million activation codes never sit in memory.
    std::FILE* out = stdout;
    bool out_ok = true;
    if (out_it != cl.options.end()) {
        const mode_t old = ::umask(077);  // activation codes: readable by the owner only
        out = std::fopen(out_it->second.c_str(), "w");
        ::umask(old);
        if (!out) return fail(exit_failure, "impossible d'écrire « " + out_it->second + " »");
    }
    out_ok = std::fputs("external_id,identifier,activation_code\n", out) >= 0;
    options.on_credential = [&](const issued_credential& c) {
        const std::string line = csv_field(c.external_id) + "," + c.identifier + "," + c.activation_code + "\n";
        out_ok = out_ok && std::fputs(line.c_str(), out) >= 0;
    };
    import_report report;
    try {
        repo.rebuild_derived_indexes();  // a store made before the names index: index it first
        report = import_csv(data, repo, repo, crypto, clock.now(), options);
        db->flush();
    } catch (const std::exception& e) {
        if (tty) std::fputc('\n', stderr);
        return fail(exit_failure, std::string("import interrompu : ") + e.what());
    }
    if (tty) std::fputc('\n', stderr);

    for (std::size_t i = 0; i < report.errors.size() && i < max_errors_shown; ++i)
        std::fprintf(stderr, "ligne %zu : %s\n", report.errors[i].line, report.errors[i].error.c_str());
    if (report.errors.size() > max_errors_shown)
        std::fprintf(stderr, "… et %zu autres lignes refusées\n", report.errors.size() - max_errors_shown);

    if (out != stdout) out_ok = std::fclose(out) == 0 && out_ok;
    else std::fflush(stdout);
    if (!out_ok)
        return fail(exit_failure, "impossible d'écrire les identifiants : les comptes sont importés mais leurs codes "
                                  "d'activation sont perdus ; réémettez-les depuis la console");
    std::fprintf(stderr, "%zu comptes créés, %zu mis à jour, %zu lignes refusées\n", report.created, report.updated,
                 report.errors.size());
    return report.errors.empty() ? exit_ok : exit_failure;
}

}  // namespace sesame::app
