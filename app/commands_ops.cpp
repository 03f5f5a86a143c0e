// `sesame backup`, `sesame check-config` and `sesame staff add`.
#include <cstdio>
#include <filesystem>

#include "app/commands.hpp"
#include "core/staff_account.hpp"
#include "net/control_socket.hpp"
#include "store/database.hpp"
#include "store/error.hpp"
#include "store/integrity.hpp"
#include "store/repository.hpp"
#include "workers/argon2_hasher.hpp"
#include "workers/crypto_openssl.hpp"

namespace sesame::app {

std::unique_ptr<store::database> open_store_or_report(const std::string& path, std::string_view when_locked) {
    try {
        store::open_options opts;
        opts.path = path;
        return store::database::open(opts);
    } catch (const store::store_locked_error& e) {
        fail(exit_failure, std::string(e.what()) + " : " + std::string(when_locked));
    } catch (const std::exception& e) {
        fail(exit_failure, e.what());
    }
    return nullptr;
}

int run_check_config(const command_line& cl) {
    auto loaded = load_settings_or_report(cl);
    if (!loaded) return exit_usage;
    for (const auto& w : loaded->warnings) std::fprintf(stderr, "sesame: attention : %s\n", w.c_str());
    std::fputs(config::describe(loaded->values).c_str(), stdout);
    std::fputs("configuration valide\n", stderr);
    return exit_ok;
}

int run_backup(const command_line& cl) {
    auto loaded = load_settings_or_report(cl);
    if (!loaded) return exit_usage;
    const auto to = cl.options.find("to");
    if (to == cl.options.end() || to->second.empty()) return fail(exit_usage, "--to DOSSIER est obligatoire");
    const std::string dir = std::filesystem::absolute(to->second).lexically_normal().string();
    if (std::filesystem::exists(dir)) return fail(exit_failure, "le dossier « " + dir + " » existe déjà");
    const auto& path = loaded->values.store.path;
    if (!std::filesystem::exists(std::filesystem::path(path) / "CURRENT"))
        return fail(exit_failure, "aucune base Sésame dans « " + path + " »");
    try {
        store::open_options opts;
        opts.path = path;
        opts.create_if_missing = false;
        auto db = store::database::open(opts);
        db->checkpoint(dir);
    } catch (const store::store_locked_error&) {
        // A server holds the store: ask it, through its control socket.
        if (auto err = net::request_checkpoint(net::control_socket_path(path), dir); !err.empty())
            return fail(exit_failure, err);
    } catch (const std::exception& e) {
        return fail(exit_failure, e.what());
    }
    std::printf("sauvegarde écrite dans %s\n", dir.c_str());
    return exit_ok;
}

int run_check(const command_line& cl) {
    auto loaded = load_settings_or_report(cl);
    if (!loaded) return exit_usage;
    const auto& path = loaded->values.store.path;
    if (!std::filesystem::exists(std::filesystem::path(path) / "CURRENT"))
        return fail(exit_failure, "aucune base Sésame dans « " + path + " »");
    const bool repair = cl.options.count("repair") > 0;
    auto db = open_store_or_report(path, "arrêtez le serveur le temps de la vérification");
    if (!db) return exit_failure;
    store::integrity_report r;
    try {
        r = store::check_store(*db, repair, system_clock{}.now());
    } catch (const std::exception& e) {
        return fail(exit_failure, std::string("vérification interrompue : ") + e.what());
    }
    for (const auto& p : r.problems) std::fprintf(stdout, "problème : %s\n", p.c_str());
    if (r.problem_count > r.problems.size())
        std::fprintf(stdout, "... et %zu autre(s)\n", r.problem_count - r.problems.size());
    std::fprintf(stdout, "%zu comptes, %zu entrées d'index, %zu flux, %zu messages : %s\n", r.accounts,
                 r.index_records, r.flows, r.messages,
                 r.clean() ? "cohérent" : (std::to_string(r.problem_count) + " problème(s)").c_str());
    if (repair && r.repaired) {
        std::fprintf(stdout, "réparé : %zu entrée(s) d'index réécrite(s) ou supprimée(s)\n", r.repaired);
        // What is left after the repair decides the exit code.
        r = store::check_store(*db, false, system_clock{}.now());
        for (const auto& p : r.problems) std::fprintf(stdout, "reste : %s\n", p.c_str());
        std::fprintf(stdout, "après réparation : %s\n",
                     r.clean() ? "cohérent" : (std::to_string(r.problem_count) + " problème(s)").c_str());
    }
    return r.clean() ? exit_ok : exit_failure;
}

int run_staff(const command_line& cl) {
    auto loaded = load_settings_or_report(cl);
    if (!loaded) return exit_usage;
    if (cl.positionals.size() != 1 || cl.positionals[0] != "add")
        return fail(exit_usage, "sous-commande attendue : sesame staff add --login L --role R [--scope S,...]");
    auto option = [&](const char* name) {
        const auto it = cl.options.find(name);
        return it == cl.options.end() ? std::string{} : it->second;
    };
    const staff_request request{option("login"), option("role"), option("scope")};
    if (request.role.empty()) return fail(exit_usage, "--role est obligatoire");

    auto db = open_store_or_report(loaded->values.store.path, "arrêtez le serveur le temps de créer le compte");
    if (!db) return exit_failure;
    try {
        const auto& password = loaded->values.password;
        workers::crypto_openssl crypto;
        workers::argon2_hasher hasher(crypto, password.argon2_memory_kib, password.argon2_iterations);
        store::repository repo(*db);
        repo.rebuild_derived_indexes();
        const timestamp now = system_clock{}.now();
        auto made = make_staff_account(
            request, [&](std::string_view id) { return repo.identifier_exists(id); }, crypto, hasher, now);
        if (auto* refused = std::get_if<staff_refusal>(&made))
            return fail(refused->why == staff_refusal::reason::bad_option ? exit_usage : exit_failure,
                        refused->message);
        auto& enrolment = std::get<staff_enrolment>(made);
        changes out;
        journal_entry created;
        created.at = now;
        created.type = journal_type::account_created;
        created.actor = "cli";
        created.detail = std::string("Compte du personnel créé (rôle ") + to_string(enrolment.acc.staff->role) +
                         ") en ligne de commande.";
        out.add_journal(enrolment.acc.identifier, std::move(created));
        out.accounts.push_back(enrolment.acc);
        repo.apply(out);  // synced
        std::printf("password: %s\ntotp: %s\n", enrolment.provisional_password.c_str(), enrolment.totp_uri.c_str());
        std::fflush(stdout);
        std::fprintf(stderr,
                     "compte « %s » créé (rôle %s) : enregistrez l'URI totp dans une application d'authentification ; "
                     "le mot de passe provisoire sera à changer à la première connexion\n",
                     enrolment.acc.identifier.c_str(), to_string(enrolment.acc.staff->role));
    } catch (const std::exception& e) {
        return fail(exit_failure, e.what());
    }
    return exit_ok;
}

}  // namespace sesame::app
