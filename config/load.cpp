#include "config/load.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <thread>

#include "config/ini.hpp"
#include "config/keys.hpp"

namespace sesame::config {
namespace {

constexpr std::uintmax_t max_file_bytes = 1024 * 1024;
constexpr std::uint32_t owasp_argon2_memory_kib = 19456;
constexpr std::uint32_t owasp_argon2_iterations = 2;
constexpr std::size_t min_callback_secret_bytes = 16;

// A value and where it came from, for error messages.
struct raw_value {
    std::string value;
    std::string origin;  // "option --http.listen", "variable SESAME_HTTP_LISTEN", "fichier « f », ligne 3"
};

config_error error_for(std::string key, const std::string& problem, const std::string& origin = {}) {
    std::string message = key + " : " + problem;
    if (!origin.empty()) message += " [" + origin + "]";
    return config_error{std::move(key), std::move(message)};
}

// Well-formed UTF-8 (no overlongs, no surrogates) without control characters.
bool is_clean_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f) return false;
            ++i;
            continue;
        }
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
        else return false;
        if (i + len > s.size()) return false;
        for (std::size_t j = 1; j < len; ++j) {
            const auto cc = static_cast<unsigned char>(s[i + j]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
        if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp < 0xA0)) return false;
        i += len;
    }
    return true;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

config_error unknown_key(const std::string& key, const std::string& origin) {
    std::string problem = "clé inconnue";
    const key_spec* best = nullptr;
    std::size_t best_distance = 3;
    for (const auto& spec : key_specs()) {
        const std::string_view name = spec.key;
        const std::string_view leaf = name.substr(name.find('.') + 1);
        const std::size_t d = std::min(edit_distance(key, name), key == leaf ? 0 : best_distance);
        if (d < best_distance) {
            best = &spec;
            best_distance = d;
        }
    }
    if (best != nullptr) problem += " (vouliez-vous dire " + std::string(best->key) + " ?)";
    return error_for(key, problem, origin);
}

std::variant<std::string, config_error> read_file(const std::string& path) {
    namespace fs = std::filesystem;
    const auto cannot = [&](const std::string& why) {
        return error_for("config", "impossible de lire le fichier de configuration « " + path + " » : " + why);
    };
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (status.type() == fs::file_type::not_found) return cannot("fichier introuvable");
    if (ec) return cannot(ec.message());
    if (!fs::is_regular_file(status)) return cannot("ce n'est pas un fichier ordinaire");
    const auto size = fs::file_size(path, ec);
    if (ec) return cannot(ec.message());
    if (size > max_file_bytes) return cannot("fichier trop grand (plus de 1 Mio)");
    std::ifstream in(path, std::ios::binary);
    if (!in) return cannot("ouverture refusée (droits ?)");
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) return cannot("erreur de lecture");
    return text;
}

using raw_values = std::map<std::string, raw_value, std::less<>>;

// 1. The file, lowest precedence.
std::optional<config_error> read_config_file(const std::string& file, raw_values& chosen) {
    auto text = read_file(file);
    if (auto* e = std::get_if<config_error>(&text)) return std::move(*e);
    auto parsed = parse_config_text(std::get<std::string>(text));
    if (auto* e = std::get_if<file_syntax_error>(&parsed)) {
        return error_for("config",
                         "fichier « " + file + " », ligne " + std::to_string(e->line) + " : " + e->message);
    }
    std::map<std::string, int, std::less<>> seen_at;
    for (auto& entry : std::get<std::vector<file_entry>>(parsed)) {
        const std::string origin = "fichier « " + file + " », ligne " + std::to_string(entry.line);
        if (!is_known_key(entry.key)) return unknown_key(entry.key, origin);
        if (const auto it = seen_at.find(entry.key); it != seen_at.end()) {
            return error_for(entry.key, "définie deux fois (lignes " + std::to_string(it->second) + " et " +
                                            std::to_string(entry.line) + ")",
                             "fichier « " + file + " »");
        }
        seen_at.emplace(entry.key, entry.line);
        chosen[entry.key] = raw_value{std::move(entry.value), origin};
    }
    return std::nullopt;
}

// 5. Rules across keys.
std::optional<config_error> check_across_keys(const settings& s, const raw_values& chosen) {
    const auto origin_of = [&](std::string_view key) {
        const auto it = chosen.find(key);
        return it == chosen.end() ? std::string() : it->second.origin;
    };
    if (s.http.tls_cert.has_value() != s.http.tls_key.has_value()) {
        const std::string missing = s.http.tls_cert ? "http.tls_key" : "http.tls_cert";
        const std::string present = s.http.tls_cert ? "http.tls_cert" : "http.tls_key";
        return error_for(missing, "doit être défini avec " + present + " (les deux ou aucun)", origin_of(present));
    }
    const std::pair<const char*, bool> dkim[] = {{"dkim.domain", s.dkim.domain.has_value()},
                                                 {"dkim.selector", s.dkim.selector.has_value()},
                                                 {"dkim.key_file", s.dkim.key_file.has_value()}};
    const auto set = std::count_if(std::begin(dkim), std::end(dkim), [](const auto& d) { return d.second; });
    if (set != 0 && set != 3) {
        const auto missing = std::find_if(std::begin(dkim), std::end(dkim), [](const auto& d) { return !d.second; });
        return error_for(missing->first,
                         "doit être défini avec les autres clés dkim.* (dkim.domain, dkim.selector et "
                         "dkim.key_file : les trois ou aucune)");
    }
    if (s.workers.retry_max < s.workers.retry_initial) {
        return error_for("workers.retry_max",
                         "doit être au moins workers.retry_initial (" + format_duration(s.workers.retry_initial) + ")",
                         origin_of("workers.retry_max"));
    }
    return std::nullopt;
}

// 6. Derived values.
void derive_values(settings& s, const raw_values& chosen, std::vector<std::string>& warnings) {
    if (s.http.tls_cert) {
        if (chosen.count("http.secure_cookies") != 0 && !s.http.secure_cookies) {
            warnings.push_back("http.secure_cookies : false ignoré, les cookies sont toujours Secure sous TLS");
        }
        s.http.secure_cookies = true;
    }
    // The one place public_url is normalised: links are built as
    // public_url + "/path" everywhere else.
    while (!s.http.public_url.empty() && s.http.public_url.back() == '/') s.http.public_url.pop_back();
    if (s.outbox.file.empty()) s.outbox.file = (std::filesystem::path(s.store.path) / "outbox.log").string();
    const std::uint32_t cores = std::max(1u, std::thread::hardware_concurrency());
    if (s.http.threads == 0) s.http.threads = cores;
    if (s.workers.hash_threads == 0) s.workers.hash_threads = cores;
}

// 7. Accepted, but worth a word in the log.
void warn_about(const settings& s, std::vector<std::string>& warnings) {
    if (s.password.argon2_memory_kib < owasp_argon2_memory_kib ||
        s.password.argon2_iterations < owasp_argon2_iterations) {
        warnings.push_back("password.argon2_memory_kib = " + std::to_string(s.password.argon2_memory_kib) +
                           ", password.argon2_iterations = " + std::to_string(s.password.argon2_iterations) +
                           " : coût Argon2id sous le minimum OWASP (m=19456 KiB, t=2) ; accepté, mais les "
                           "empreintes résistent moins bien à une attaque hors ligne");
    }
    if (!s.smtp.verify_tls) {
        warnings.push_back("smtp.verify_tls = false : le certificat du serveur SMTP n'est pas vérifié");
    }
    for (const auto& proxy : s.http.trusted_proxies) {
        if (proxy.ends_with("/0")) {
            warnings.push_back("http.trusted_proxies : " + proxy +
                               " fait croire l'en-tête X-Forwarded-For de n'importe quel client");
        }
    }
    if (s.sms.callback_secret && s.sms.callback_secret->size() < min_callback_secret_bytes) {
        warnings.push_back("sms.callback_secret : secret court (moins de 16 caractères), facile à deviner");
    }
}

std::variant<loaded, config_error> load_checked(const load_input& input) {
    raw_values chosen;
    if (input.file) {
        if (auto e = read_config_file(*input.file, chosen)) return std::move(*e);
    }

    // 2. The environment, known keys only.
    if (input.getenv) {
        for (const auto& spec : key_specs()) {
            const std::string name = environment_name(spec.key);
            if (auto value = input.getenv(name)) {
                chosen[std::string(spec.key)] = raw_value{std::move(*value), "variable " + name};
            }
        }
    }

    // 3. Flags, highest precedence; the last of repeated flags wins.
    for (const auto& [key, value] : input.flags) {
        const std::string origin = "option --" + key;
        if (!is_known_key(key)) return unknown_key(key, origin);
        chosen[key] = raw_value{value, origin};
    }

    // 4. Each value, in table order.
    loaded out;
    settings& s = out.values;
    for (const auto& spec : key_specs()) {
        const auto it = chosen.find(spec.key);
        if (it == chosen.end()) continue;
        const raw_value& raw = it->second;
        if (!is_clean_utf8(raw.value)) {
            return error_for(std::string(spec.key), "valeur refusée (UTF-8 attendu, sans caractère de contrôle)",
                             raw.origin);
        }
        if (auto problem = spec.apply(s, raw.value)) return error_for(std::string(spec.key), *problem, raw.origin);
    }

    if (auto e = check_across_keys(s, chosen)) return std::move(*e);
    derive_values(s, chosen, out.warnings);
    warn_about(s, out.warnings);
    return out;
}

}  // namespace

std::variant<loaded, config_error> load(const load_input& input) {
    try {
        return load_checked(input);
    } catch (const std::exception& e) {
        return error_for("config", std::string("lecture de la configuration impossible : ") + e.what());
    }
}

const std::vector<key_info>& known_keys() {
    static const std::vector<key_info> keys = [] {
        const settings defaults;
        std::vector<key_info> out;
        for (const auto& spec : key_specs()) {
            std::string default_text =
                spec.default_text.empty() ? spec.show(defaults) : std::string(spec.default_text);
            out.push_back(key_info{std::string(spec.key), std::move(default_text), std::string(spec.meaning)});
        }
        return out;
    }();
    return keys;
}

bool is_known_key(std::string_view key) { return find_key_spec(key) != nullptr; }

std::string environment_name(std::string_view key) {
    std::string name = "SESAME_";
    for (char c : key) {
        if (c == '.') name.push_back('_');
        else if (c >= 'a' && c <= 'z') name.push_back(static_cast<char>(c - 'a' + 'A'));
        else name.push_back(c);
    }
    return name;
}

std::string describe(const settings& values) {
    std::ostringstream out;
    for (const auto& spec : key_specs()) out << spec.key << " = " << spec.show(values) << '\n';
    return out.str();
}

}  // namespace sesame::config
