// Command-line parsing shared by the subcommands: config flags (--key.with.dots
// VALUE), --config FILE, command options and positionals. Exit codes follow
// API.md: 0 success, 1 failure, 2 bad usage or configuration.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "config/load.hpp"

namespace sesame::app {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

struct command_line {
    std::string command;
    bool help = false;
    std::optional<std::string> config_file;
    std::vector<std::pair<std::string, std::string>> config_flags;
    std::map<std::string, std::string> options;  // command options, without "--" (the last value)
    std::map<std::string, std::vector<std::string>> repeated;  // every value of each option, in order
    std::vector<std::string> positionals;
};

// argv[1] is the command; `allowed_options` are the command's own options
// (each with a value), `switches` its options without one (stored as
// "true" in `options`). Returns the French usage error on failure.
std::variant<command_line, std::string> parse_command_line(int argc, char** argv,
                                                           const std::set<std::string>& allowed_options,
                                                           const std::set<std::string>& switches = {});

// Loads the configuration from the command line and the process environment.
std::variant<config::loaded, config::config_error> load_settings(const command_line& cl);

// Prints "sesame: <message>" to stderr and returns `code`.
int fail(int code, const std::string& message);

// The list of configuration keys, for --help.
std::string config_keys_help();

}  // namespace sesame::app

namespace sesame::app {
// load_settings, with the error printed (naming the key); nullopt means exit 2.
std::optional<config::loaded> load_settings_or_report(const command_line& cl);
}  // namespace sesame::app
