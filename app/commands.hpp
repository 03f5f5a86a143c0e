// The subcommands of `sesame`, each returning its exit code.
#pragma once

#include "app/cli.hpp"

namespace sesame::app {

int run_serve(const command_line& cl);
int run_import(const command_line& cl);
int run_staff(const command_line& cl);
int run_backup(const command_line& cl);
int run_check_config(const command_line& cl);

}  // namespace sesame::app
