// `sesame backup`, `sesame check-config`, and the commands whose feature
// has not landed yet.
#include <cstdio>
#include <filesystem>

#include "app/commands.hpp"
#include "net/control_socket.hpp"
#include "store/database.hpp"
#include "store/error.hpp"

namespace sesame::app {

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

int run_staff(const command_line& cl) {
    auto loaded = load_settings_or_report(cl);
    if (!loaded) return exit_usage;
    return fail(exit_failure, "la gestion du personnel n'est pas encore disponible dans cette version");
}

}  // namespace sesame::app
