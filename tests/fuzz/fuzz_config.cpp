// libFuzzer target for the configuration: config/ini.hpp's file syntax,
// config/load.hpp's load() from a file, flags and the environment, and config/syntax.hpp's value parsers.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "config/ini.hpp"
#include "config/load.hpp"
#include "config/syntax.hpp"

namespace {

namespace config = sesame::config;

void check(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz_config: invariant violated: %s\n", what);
    std::abort();
}

// One file per process, rewritten for every input. It is unlinked at once
// and read back through /proc/self/fd, so nothing is left behind, even after
// a crash. In /dev/shm when there is one: rewriting a file on ext4 costs milliseconds.
struct config_file {
    int fd = -1;
    std::string path;
};

const config_file& temp_config() {
    static const config_file file = [] {
        const char* tmpdir = std::getenv("TMPDIR");
        for (std::string dir : {std::string("/dev/shm"), std::string(tmpdir ? tmpdir : ""), std::string("/tmp")}) {
            if (dir.empty()) continue;
            std::string p = dir + "/sesame-fuzz-config-XXXXXX";
            const int fd = mkstemp(p.data());
            if (fd < 0) continue;
            unlink(p.c_str());
            return config_file{fd, "/proc/self/fd/" + std::to_string(fd)};
        }
        check(false, "no writable temporary directory");
        return config_file{};
    }();
    return file;
}

void write_file(std::string_view text) {
    const int fd = temp_config().fd;
    check(ftruncate(fd, 0) == 0, "cannot truncate the temporary config file");
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = pwrite(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
        check(n > 0, "cannot write the temporary config file");
        done += static_cast<std::size_t>(n);
    }
}

void check_outcome(const std::variant<config::loaded, config::config_error>& r) {
    if (const auto* e = std::get_if<config::config_error>(&r)) {
        // The key is empty only for an empty flag name ("--" alone).
        check(e->message.rfind(e->key + " : ", 0) == 0, "error message does not start with its key");
        return;
    }
    const auto& s = std::get<config::loaded>(r).values;
    check(s.http.threads != 0 && s.workers.hash_threads != 0, "threads left at 0");
    check(!s.outbox.file.empty(), "outbox.file empty");
    check(!s.http.tls_cert || s.http.secure_cookies, "TLS without secure cookies");
    check(s.http.tls_cert.has_value() == s.http.tls_key.has_value(), "tls_cert without tls_key");
    check(s.workers.retry_initial <= s.workers.retry_max, "retry_max < retry_initial");
    check(config::parse_host_port(s.http.listen).has_value(), "http.listen accepted but unparsable");
    for (const auto& p : s.http.trusted_proxies) check(config::is_ip_address_or_range(p), "trusted proxy unparsable");
    // describe() prints "key = value" lines that the file syntax reads back, known keys only.
    const auto described = config::parse_config_text(config::describe(s));
    const auto* entries = std::get_if<std::vector<config::file_entry>>(&described);
    check(entries != nullptr, "describe() output is not valid config syntax");
    check(entries->size() == config::known_keys().size(), "describe() does not list every key once");
    for (const auto& entry : *entries) check(config::is_known_key(entry.key), "describe() prints an unknown key");
}

// Same outcome, whatever the source: same error key, or same effective settings.
void check_same(const std::variant<config::loaded, config::config_error>& a,
                const std::variant<config::loaded, config::config_error>& b, const char* what) {
    check(a.index() == b.index(), what);
    if (const auto* ea = std::get_if<config::config_error>(&a)) {
        check(ea->key == std::get<config::config_error>(b).key, what);
    } else {
        check(config::describe(std::get<config::loaded>(a).values) ==
                  config::describe(std::get<config::loaded>(b).values),
              what);
    }
}

void check_value_parsers(std::string_view s) {
    if (const auto d = config::parse_duration(s)) {
        check(d->count() >= 0, "negative duration");
        check(config::parse_duration(config::format_duration(*d)) == d, "duration round trip");
    }
    if (const auto hp = config::parse_host_port(s)) {
        const bool v6 = hp->host.find(':') != std::string::npos;
        const std::string again = (v6 ? "[" + hp->host + "]" : hp->host) + ":" + std::to_string(hp->port);
        const auto back = config::parse_host_port(again);
        check(back && back->host == hp->host && back->port == hp->port, "host:port round trip");
    }
    if (const auto u = config::parse_url(s)) {
        check(!u->scheme.empty() && !u->host.empty(), "URL without scheme or host");
        for (char c : u->scheme) check(!(c >= 'A' && c <= 'Z'), "URL scheme not lower-cased");
        check(u->rest.empty() || u->rest.find_first_of("/?#") == 0, "URL rest does not start the path");
        check(!u->port || *u->port != 0, "URL port 0");
        std::string again = u->scheme + "://";
        if (u->user) again += *u->user + (u->password ? ":" + *u->password : "") + "@";
        again += u->host.find(':') != std::string::npos ? "[" + u->host + "]" : u->host;
        if (u->port) again += ":" + std::to_string(*u->port);
        again += u->rest;
        const auto back = config::parse_url(again);
        check(back && back->scheme == u->scheme && back->user == u->user && back->password == u->password &&
                  back->host == u->host && back->port == u->port && back->rest == u->rest,
              "URL round trip");
        // The masked form still parses, with the password replaced.
        const auto masked = config::parse_url(config::mask_url(s));
        check(masked.has_value(), "masked URL does not parse");
        check(masked->host == u->host && masked->port == u->port, "masking changed the host");
        if (u->password) check(masked->password == std::optional<std::string>("***"), "password not masked");
        if (u->user && !u->password) check(masked->user == std::optional<std::string>("***"), "userinfo not masked");
    } else {
        (void)config::mask_url(s);
    }
    const bool ip = config::is_ip_address(s);
    check(!ip || config::is_ip_address_or_range(s), "an address is not an address range");
    check(!(config::is_ipv4_address(s) && config::is_ipv6_address(s)), "both IPv4 and IPv6");
    if (config::is_ip_address_or_range(s)) {
        check(s.find_first_of(" \t\r\n") == std::string_view::npos, "address range with blanks");
    }
    (void)config::is_host_name(s);
    (void)config::parse_bool(s);
    (void)config::parse_uint(s, 65535);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 64 * 1024) return 0;  // config files are small; keep executions fast
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    // 1. The file syntax, and its round trip through flat "key = "value"" lines.
    const auto parsed = config::parse_config_text(text);
    const auto* entries = std::get_if<std::vector<config::file_entry>>(&parsed);
    if (entries) {
        std::string flat;
        int last_line = 0;
        for (const auto& e : *entries) {
            check(!e.key.empty() && e.key.find_first_of("=\n[] \t") == std::string::npos, "entry key");
            check(e.value.find('\n') == std::string::npos, "entry value spans lines");
            check(e.line > last_line, "entry lines not increasing");
            last_line = e.line;
            flat += e.key + " = \"" + e.value + "\"\n";
        }
        const auto again = config::parse_config_text(flat);
        const auto* back = std::get_if<std::vector<config::file_entry>>(&again);
        check(back != nullptr && back->size() == entries->size(), "config syntax round trip failed");
        for (std::size_t i = 0; i < back->size(); ++i) {
            check((*back)[i].key == (*entries)[i].key && (*back)[i].value == (*entries)[i].value,
                  "config syntax round trip changed an entry");
        }
    } else {
        const auto& e = std::get<config::file_syntax_error>(parsed);
        check(e.line >= 1 && !e.message.empty(), "syntax error shape");
    }

    // 2. load() from the file.
    write_file(text);
    config::load_input from_file;
    from_file.file = temp_config().path;
    const auto by_file = config::load(from_file);
    check_outcome(by_file);
    if (entries) {
        // The same entries as flags, and (known keys only) as environment
        // variables, give the same outcome when no key repeats.
        std::set<std::string> keys;
        bool unique = true, all_known = true;
        config::load_input from_flags;
        std::map<std::string, std::string> env;
        for (const auto& e : *entries) {
            unique = keys.insert(e.key).second && unique;
            all_known = all_known && config::is_known_key(e.key);
            from_flags.flags.emplace_back(e.key, e.value);
            env[config::environment_name(e.key)] = e.value;
        }
        const auto by_flags = config::load(from_flags);
        check_outcome(by_flags);
        if (unique) check_same(by_file, by_flags, "file and flags disagree");
        if (unique && all_known) {
            config::load_input from_env;
            from_env.getenv = [&env](const std::string& name) -> std::optional<std::string> {
                const auto it = env.find(name);
                if (it == env.end()) return std::nullopt;
                return it->second;
            };
            const auto by_env = config::load(from_env);
            check_outcome(by_env);
            check_same(by_file, by_env, "file and environment disagree");
        }
    }

    // 3. The input split into flags: one "key=value" (or bare key) per line.
    // An unknown key costs an edit distance to every known key (a
    // millisecond under coverage instrumentation), so keys are cut at 48
    // bytes (flag names are short) and, when the text is a valid file (whose
    // entries already went through as flags), this load runs for one input in 8.
    config::load_input raw_flags;
    std::string_view rest = text;
    while (!rest.empty() && raw_flags.flags.size() < 64) {
        const auto nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        const auto eq = line.find('=');
        raw_flags.flags.emplace_back(std::string(line.substr(0, std::min<std::size_t>(eq, 48))),
                                     eq == std::string_view::npos ? std::string() : std::string(line.substr(eq + 1)));
        check_value_parsers(raw_flags.flags.back().second);
    }
    if (!entries || (size > 0 && (data[0] & 7) == 0)) check_outcome(config::load(raw_flags));

    // 4. The value parsers on the whole input.
    check_value_parsers(text);
    return 0;
}
