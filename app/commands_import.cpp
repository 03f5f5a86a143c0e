// `sesame import`: bulk CSV import into the store.
#include "app/commands.hpp"

namespace sesame::app {

int run_import(const command_line& cl) {
    auto loaded = load_settings_or_report(cl);
    if (!loaded) return exit_usage;
    return fail(exit_failure, "l'import n'est pas encore disponible dans cette version");
}

}  // namespace sesame::app
