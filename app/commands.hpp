// The subcommands of `sesame`, each returning its exit code.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "app/cli.hpp"

namespace sesame::store {
class database;
}

namespace sesame::app {

// Opens the store at `path` for a command that must hold it alone; on
// failure prints why ("sesame: ...", with `when_locked` appended when a
// server holds it) and returns nullptr (exit 1).
std::unique_ptr<store::database> open_store_or_report(const std::string& path, std::string_view when_locked);

int run_serve(const command_line& cl);
int run_import(const command_line& cl);
int run_staff(const command_line& cl);
int run_backup(const command_line& cl);
int run_check(const command_line& cl);
int run_check_config(const command_line& cl);
int run_oidc(const command_line& cl);

}  // namespace sesame::app
