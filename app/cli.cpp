#include "app/cli.hpp"

#include <cstdio>
#include <cstdlib>

namespace sesame::app {

std::variant<command_line, std::string> parse_command_line(int argc, char** argv,
                                                           const std::set<std::string>& allowed_options,
                                                           const std::set<std::string>& switches) {
    command_line cl;
    if (argc >= 2) cl.command = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            cl.help = true;
            continue;
        }
        if (!arg.starts_with("--")) {
            cl.positionals.push_back(arg);
            continue;
        }
        std::string name = arg.substr(2);
        if (switches.count(name)) {
            cl.options[name] = "true";
            continue;
        }
        std::optional<std::string> value;
        if (const auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
        } else if (i + 1 < argc) {
            value = argv[++i];
        }
        if (!value) return "l'option --" + name + " attend une valeur";
        if (name == "config") cl.config_file = *value;
        else if (name.find('.') != std::string::npos) cl.config_flags.emplace_back(name, *value);
        else if (allowed_options.count(name)) {
            cl.options[name] = *value;
            cl.repeated[name].push_back(*value);
        }
        else return "option inconnue --" + name;
    }
    return cl;
}

std::variant<config::loaded, config::config_error> load_settings(const command_line& cl) {
    config::load_input in;
    in.file = cl.config_file;
    in.flags = cl.config_flags;
    in.getenv = [](const std::string& name) -> std::optional<std::string> {
        if (const char* v = std::getenv(name.c_str())) return std::string(v);
        return std::nullopt;
    };
    return config::load(in);
}

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "sesame: %s\n", message.c_str());
    return code;
}

std::string config_keys_help() {
    std::string out = "Configuration (fichier --config, variables SESAME_*, ou options --clé valeur) :\n";
    for (const auto& k : config::known_keys()) {
        out += "  --" + k.key;
        out += std::string(k.key.size() < 30 ? 30 - k.key.size() : 1, ' ');
        out += k.meaning + " [défaut : " + k.default_text + "]\n";
    }
    return out;
}

}  // namespace sesame::app

namespace sesame::app {
std::optional<config::loaded> load_settings_or_report(const command_line& cl) {
    auto r = load_settings(cl);
    if (auto* e = std::get_if<config::config_error>(&r)) {
        fail(exit_usage, e->message);
        return std::nullopt;
    }
    return std::get<config::loaded>(std::move(r));
}
}  // namespace sesame::app
