// Parses the configuration once (file, SESAME_* environment, --key flags)
// into the validated settings; nothing else reads configuration.
// Depends on core (time) and the standard library only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "config/settings.hpp"
#include "config/syntax.hpp"  // parse_duration, parse_host_port, parse_url, mask_url

namespace sesame::config {

struct load_input {
    std::optional<std::string> file;                                       // --config FILE
    std::vector<std::pair<std::string, std::string>> flags;                // {"http.listen", "127.0.0.1:0"}
    std::function<std::optional<std::string>(const std::string&)> getenv;  // "SESAME_HTTP_LISTEN"; empty: no env
};

// The first bad value or key. `key` is the configuration key ("config" for
// the file itself); `message` is French, starts with the key and says where
// the value came from, e.g.
// "http.read_timeout : durée invalide « 5x » (attendu 90, 90s, 30m ou 24h) [option --http.read_timeout]".
// Secrets are never echoed.
struct config_error {
    std::string key;
    std::string message;
};

// The validated settings: http.threads and workers.hash_threads are never 0,
// outbox.file is never empty, secure_cookies is true under TLS. Warnings are
// French sentences for the log (e.g. an Argon2 cost below the OWASP minimum).
struct loaded {
    settings values;
    std::vector<std::string> warnings;
};

// Precedence: flags, then environment, then file, then defaults. Unknown keys
// in the file or the flags are refused (only known keys are looked up in the
// environment). An empty value unsets an optional key (e.g. smtp.url).
// Never throws.
std::variant<loaded, config_error> load(const load_input& input);

struct key_info {
    std::string key;           // "http.read_timeout"
    std::string default_text;  // "10s", "(non défini)", "{store.path}/outbox.log"
    std::string meaning;       // French, one line
};

// Every key, in a stable documentation order (for --help and docs).
const std::vector<key_info>& known_keys();
bool is_known_key(std::string_view key);

// "SESAME_" + the key upper-cased with dots as underscores: "SESAME_HTTP_LISTEN".
std::string environment_name(std::string_view key);

// One "key = value" line per known key of the effective configuration, in
// known_keys() order; unset keys read "(non défini)"; secrets are masked
// (passwords in URLs, secret query parameters, sms.callback_secret).
std::string describe(const settings& values);

}  // namespace sesame::config
