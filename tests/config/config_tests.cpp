#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "config/ini.hpp"
#include "config/load.hpp"

// Durations print as milliseconds in failure messages (libstdc++ 12 has no
// operator<< for std::chrono::duration).
namespace boost::test_tools::tt_detail {
template <class Rep, class Period>
struct print_log_value<std::chrono::duration<Rep, Period>> {
    void operator()(std::ostream& out, const std::chrono::duration<Rep, Period>& d) {
        out << std::chrono::duration_cast<std::chrono::milliseconds>(d).count() << "ms";
    }
};
}  // namespace boost::test_tools::tt_detail

using namespace sesame;
using namespace sesame::config;
using namespace std::chrono_literals;

namespace {

using flag_list = std::vector<std::pair<std::string, std::string>>;

loaded must_load(const load_input& input) {
    auto result = load(input);
    if (const auto* e = std::get_if<config_error>(&result)) BOOST_FAIL("unexpected config_error: " + e->message);
    return std::get<loaded>(std::move(result));
}

config_error must_fail(const load_input& input) {
    auto result = load(input);
    if (std::holds_alternative<loaded>(result)) BOOST_FAIL("load() accepted a bad configuration");
    return std::get<config_error>(std::move(result));
}

load_input with_flags(flag_list flags) {
    load_input input;
    input.flags = std::move(flags);
    return input;
}

std::function<std::optional<std::string>(const std::string&)> fake_env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        const auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

// A file in the temporary directory, removed at the end of the test.
class temp_file {
public:
    explicit temp_file(const std::string& text) {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() /
                ("sesame-config-test-" + std::to_string(rd()) + std::to_string(rd()) + ".ini");
        std::ofstream out(path_, std::ios::binary);
        out << text;
        BOOST_REQUIRE(out.good());
    }
    ~temp_file() {
        std::error_code ec;
        std::filesystem::remove(path_, ec);
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    std::string path() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(defaults_without_any_source) {
    const loaded l = must_load(load_input{});
    const settings& s = l.values;
    BOOST_TEST(s.http.listen == "127.0.0.1:8080");
    BOOST_TEST(s.http.public_url == "http://127.0.0.1:8080");
    BOOST_TEST(!s.http.tls_cert.has_value());
    BOOST_TEST(!s.http.secure_cookies);
    BOOST_TEST(s.http.read_timeout == 10s);
    BOOST_TEST(s.http.idle_timeout == 60s);
    BOOST_TEST(s.http.handler_timeout == 10s);
    BOOST_TEST(s.store.path == "./data");
    BOOST_TEST(!s.smtp.url.has_value());
    BOOST_TEST(s.smtp.from == "Sésame <no-reply@localhost>");
    BOOST_TEST(s.sms.format == "json");
    BOOST_TEST(s.recovery.code_ttl == 30min);
    BOOST_TEST(s.email.confirm_ttl == 24h);
    BOOST_TEST(s.workers.retry_initial == 2s);
    BOOST_TEST(s.workers.retry_max == 5min);
    BOOST_TEST(s.limits.login_failures_per_ip.count == 100u);
    BOOST_TEST((s.limits.login_failures_per_ip.window == 15min));
    BOOST_TEST(s.limits.sms_per_hour.count == 10000u);
    BOOST_TEST(s.password.argon2_memory_kib == 19456u);
    BOOST_TEST(s.password.argon2_iterations == 2u);
    BOOST_TEST(s.session.absolute_timeout == 12h);
    BOOST_TEST((s.log.level == log::level::info));
    BOOST_TEST(s.outbox.file == "./data/outbox.log");
    BOOST_TEST(l.warnings.empty());
}

BOOST_AUTO_TEST_CASE(flag_beats_env_beats_file) {
    const temp_file file(
        "[http]\n"
        "listen = 127.0.0.1:1001\n"
        "read_timeout = 11s\n"
        "idle_timeout = 12s\n");
    std::vector<std::string> looked_up;
    const auto env = fake_env({{"SESAME_HTTP_LISTEN", "127.0.0.1:2002"}, {"SESAME_HTTP_READ_TIMEOUT", "21s"}});
    load_input input;
    input.file = file.path();
    input.getenv = [&](const std::string& name) {
        looked_up.push_back(name);
        return env(name);
    };
    input.flags = {{"http.listen", "127.0.0.1:3003"}};
    const settings s = must_load(input).values;
    BOOST_TEST(s.http.listen == "127.0.0.1:3003");  // flag
    BOOST_TEST(s.http.read_timeout == 21s);         // env over file
    BOOST_TEST(s.http.idle_timeout == 12s);         // file over default
    BOOST_TEST(s.http.shutdown_timeout == 10s);     // default
    // Only known keys are looked up, under their SESAME_ names.
    BOOST_TEST(looked_up.size() == known_keys().size());
    BOOST_TEST((std::find(looked_up.begin(), looked_up.end(), "SESAME_HTTP_LISTEN") != looked_up.end()));
    BOOST_TEST(environment_name("limits.sms_per_hour") == "SESAME_LIMITS_SMS_PER_HOUR");
}

BOOST_AUTO_TEST_CASE(empty_env_value_unsets_an_optional_key) {
    const temp_file file("smtp.url = smtp://mail.example.fr:25\n");
    load_input input;
    input.file = file.path();
    BOOST_TEST(must_load(input).values.smtp.url.value_or("") == "smtp://mail.example.fr:25");
    input.getenv = fake_env({{"SESAME_SMTP_URL", ""}});
    BOOST_TEST(!must_load(input).values.smtp.url.has_value());
}

BOOST_AUTO_TEST_CASE(ini_sections_flat_keys_comments_and_quotes) {
    const temp_file file(
        "\xEF\xBB\xBF# Sésame\r\n"
        "; another comment\r\n"
        "\r\n"
        "store.path = /srv/sesame\r\n"
        "[smtp]\r\n"
        "  from   =   \"Équipe ENT <ent@ac-test.fr>\"  \r\n"
        "   # indented comment\n"
        "[ http ]\n"
        "listen=[::1]:8443\n"
        "workers.max_attempts = 9\n"  // inside [http]: becomes http.workers.max_attempts
    );
    load_input input;
    input.file = file.path();
    const config_error e = must_fail(input);
    BOOST_TEST(e.key == "http.workers.max_attempts");

    const temp_file good(
        "\xEF\xBB\xBF# Sésame\r\n"
        "; another comment\r\n"
        "\r\n"
        "store.path = /srv/sesame\r\n"
        "[smtp]\r\n"
        "  from   =   \"Équipe ENT <ent@ac-test.fr>\"  \r\n"
        "   # indented comment\n"
        "[ http ]\n"
        "listen=[::1]:8443\n"
        "public_url = https://ent.example.fr # not a comment\n");
    input.file = good.path();
    const auto r = load(input);
    // '#' after a value belongs to the value, so the URL (with a space) is refused.
    BOOST_REQUIRE(std::holds_alternative<config_error>(r));
    BOOST_TEST(std::get<config_error>(r).key == "http.public_url");
    BOOST_TEST(contains(std::get<config_error>(r).message, "ligne 10"));

    input.flags = {{"http.public_url", "https://ent.example.fr"}};
    const settings s = must_load(input).values;
    BOOST_TEST(s.store.path == "/srv/sesame");
    BOOST_TEST(s.smtp.from == "Équipe ENT <ent@ac-test.fr>");
    BOOST_TEST(s.http.listen == "[::1]:8443");
    BOOST_TEST(s.http.public_url == "https://ent.example.fr");
}

BOOST_AUTO_TEST_CASE(public_url_loses_its_trailing_slashes_once_for_everyone) {
    load_input input;
    input.flags = {{"http.public_url", "https://ent.example.fr/portail//"}};
    BOOST_TEST(must_load(input).values.http.public_url == "https://ent.example.fr/portail");
}

BOOST_AUTO_TEST_CASE(file_syntax_errors_name_the_line) {
    const auto parsed = parse_config_text("[http]\nlisten 127.0.0.1:80\n");
    BOOST_REQUIRE(std::holds_alternative<file_syntax_error>(parsed));
    BOOST_TEST(std::get<file_syntax_error>(parsed).line == 2);

    const temp_file file("[http\nlisten = 127.0.0.1:80\n");
    load_input input;
    input.file = file.path();
    const config_error e = must_fail(input);
    BOOST_TEST(e.key == "config");
    BOOST_TEST(contains(e.message, "ligne 1"));
}

BOOST_AUTO_TEST_CASE(missing_config_file_is_a_config_error) {
    load_input input;
    input.file = (std::filesystem::temp_directory_path() / "sesame-no-such-file-4f9a2c.ini").string();
    const config_error e = must_fail(input);
    BOOST_TEST(e.key == "config");
    BOOST_TEST(contains(e.message, "introuvable"));

    input.file = std::filesystem::temp_directory_path().string();  // a directory
    BOOST_TEST(must_fail(input).key == "config");
}

BOOST_AUTO_TEST_CASE(duplicate_key_in_file_is_refused) {
    const temp_file file("http.listen = 127.0.0.1:1\n[http]\nlisten = 127.0.0.1:2\n");
    load_input input;
    input.file = file.path();
    const config_error e = must_fail(input);
    BOOST_TEST(e.key == "http.listen");
    BOOST_TEST(contains(e.message, "lignes 1 et 3"));
}

BOOST_AUTO_TEST_CASE(durations_accepted) {
    BOOST_TEST(parse_duration("90").value() == 90s);
    BOOST_TEST(parse_duration("90s").value() == 90s);
    BOOST_TEST(parse_duration("30m").value() == 30min);
    BOOST_TEST(parse_duration("24h").value() == 24h);
    BOOST_TEST(parse_duration("0").value() == 0s);
    BOOST_TEST(format_duration(90s) == "90s");
    BOOST_TEST(format_duration(30min) == "30m");
    BOOST_TEST(format_duration(60s) == "60s");
    BOOST_TEST(format_duration(2min) == "2m");
    BOOST_TEST(format_duration(24h) == "24h");
    const settings s = must_load(with_flags({{"http.read_timeout", "90"}, {"session.idle_timeout", "45m"}})).values;
    BOOST_TEST(s.http.read_timeout == 90s);
    BOOST_TEST(s.session.idle_timeout == 45min);
}

BOOST_AUTO_TEST_CASE(log_level_is_parsed_once_into_a_level) {
    BOOST_TEST((must_load(with_flags({{"log.level", "debug"}})).values.log.level == log::level::debug));
    BOOST_TEST((must_load(with_flags({{"log.level", "warn"}})).values.log.level == log::level::warn));
    BOOST_TEST((must_load(with_flags({{"log.level", "error"}})).values.log.level == log::level::error));
    const config_error e = must_fail(with_flags({{"log.level", "warning"}}));
    BOOST_TEST(e.message ==
               "log.level : valeur invalide « warning » (attendu debug, info, warn ou error) [option --log.level]");
    BOOST_TEST(contains(describe(must_load(with_flags({{"log.level", "warn"}})).values), "log.level = warn\n"));
}

BOOST_AUTO_TEST_CASE(durations_refused) {
    for (const char* bad : {"1h30m", "-5s", "5x", "", "90ms", " 9s", "9s ", "s", "h", "1.5h", "+5s", "5S", "5d",
                            "99999999999999999999h", "1e3"}) {
        BOOST_TEST(!parse_duration(bad).has_value(), "parse_duration accepted « " << bad << " »");
    }
    const config_error e = must_fail(with_flags({{"http.read_timeout", "5x"}}));
    BOOST_TEST(e.key == "http.read_timeout");
    BOOST_TEST(e.message ==
               "http.read_timeout : durée invalide « 5x » (attendu 90, 90s, 30m ou 24h) [option --http.read_timeout]");
    BOOST_TEST(must_fail(with_flags({{"session.idle_timeout", "0"}})).key == "session.idle_timeout");
    BOOST_TEST(must_fail(with_flags({{"email.confirm_ttl", "1000000h"}})).key == "email.confirm_ttl");
    // 0 means something for these two.
    BOOST_TEST(must_load(with_flags({{"recovery.resend_cooldown", "0"}})).values.recovery.resend_cooldown == 0s);
    BOOST_TEST(must_load(with_flags({{"http.shutdown_timeout", "0s"}})).values.http.shutdown_timeout == 0s);
}

BOOST_AUTO_TEST_CASE(bad_value_names_the_key) {
    const flag_list bad = {
        {"http.listen", "8080"},
        {"http.listen", "127.0.0.1:65536"},
        {"http.listen", "::1:8080"},
        {"http.listen", "999.0.0.1:80"},
        {"http.public_url", "ftp://ent.example.fr"},
        {"http.public_url", "ent.example.fr"},
        {"http.public_url", "https://"},
        {"http.secure_cookies", "yes"},
        {"http.secure_cookies", "True"},
        {"http.threads", "-1"},
        {"http.max_connections", "0"},
        {"http.max_body_bytes", "99999999999"},
        {"store.path", ""},
        {"store.sync_writes", "1"},
        {"smtp.url", "http://mail.example.fr"},
        {"smtp.url", "smtp://"},
        {"smtp.from", "nobody"},
        {"smtp.from", "a@b\r\nBcc: victim@example.fr"},
        {"sms.url", "ftp://gateway"},
        {"sms.format", "xml"},
        {"workers.max_attempts", "0"},
        {"workers.hash_threads", "two"},
        {"password.argon2_memory_kib", "4"},
        {"password.argon2_iterations", "0"},
        {"password.min_length", "0"},
        {"log.level", "verbose"},
        {"demo.seed", "oui"},
        {"dkim.domain", "not a domain"},
    };
    for (const auto& [key, value] : bad) {
        const auto result = load(with_flags({{key, value}}));
        BOOST_TEST_CONTEXT(key << " = « " << value << " »") {
            BOOST_REQUIRE(std::holds_alternative<config_error>(result));
            const auto& e = std::get<config_error>(result);
            BOOST_TEST(e.key == key);
            BOOST_TEST(e.message.rfind(key + " : ", 0) == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(bad_value_from_env_or_file_says_where) {
    load_input input;
    input.getenv = fake_env({{"SESAME_WORKERS_HASH_QUEUE", "lots"}});
    config_error e = must_fail(input);
    BOOST_TEST(e.key == "workers.hash_queue");
    BOOST_TEST(contains(e.message, "SESAME_WORKERS_HASH_QUEUE"));

    const temp_file file("[login]\n\nlockout_duration = forever\n");
    load_input from_file;
    from_file.file = file.path();
    e = must_fail(from_file);
    BOOST_TEST(e.key == "login.lockout_duration");
    BOOST_TEST(contains(e.message, "ligne 3"));
}

BOOST_AUTO_TEST_CASE(secrets_are_not_echoed_in_errors) {
    const config_error e = must_fail(with_flags({{"smtp.url", "smtp://ent:hunter2@bad host:25"}}));
    BOOST_TEST(e.key == "smtp.url");
    BOOST_TEST(!contains(e.message, "hunter2"));
    const config_error bad_utf8 = must_fail(with_flags({{"sms.callback_secret", "s3cr\x01t"}}));
    BOOST_TEST(bad_utf8.key == "sms.callback_secret");
    BOOST_TEST(!contains(bad_utf8.message, "s3cr"));
}

BOOST_AUTO_TEST_CASE(unknown_key_refused) {
    const temp_file file("[http]\nlisen = 127.0.0.1:80\n");
    load_input input;
    input.file = file.path();
    config_error e = must_fail(input);
    BOOST_TEST(e.key == "http.lisen");
    BOOST_TEST(contains(e.message, "http.listen"));  // the suggestion

    e = must_fail(with_flags({{"http.listen_port", "80"}}));
    BOOST_TEST(e.key == "http.listen_port");
    BOOST_TEST(contains(e.message, "clé inconnue"));

    e = must_fail(with_flags({{"config", "/etc/sesame.ini"}}));
    BOOST_TEST(e.key == "config");

    // An unknown variable is simply never asked for.
    load_input env_only;
    env_only.getenv = fake_env({{"SESAME_HTTP_LISTN", "garbage"}});
    BOOST_TEST(must_load(env_only).values.http.listen == "127.0.0.1:8080");
    BOOST_TEST(!is_known_key("http.listn"));
    BOOST_TEST(is_known_key("http.listen"));
}

BOOST_AUTO_TEST_CASE(limits_count_or_count_per_duration) {
    const settings s = must_load(with_flags({{"limits.recovery_per_ip", "3"},
                                             {"limits.code_failures_per_ip", "3/10s"},
                                             {"limits.login_failures_per_ip", "7/2h"},
                                             {"limits.sms_per_hour", "500"}}))
                           .values;
    BOOST_TEST(s.limits.recovery_per_ip.count == 3u);
    BOOST_TEST((s.limits.recovery_per_ip.window == 1h));  // default window kept
    BOOST_TEST(s.limits.code_failures_per_ip.count == 3u);
    BOOST_TEST((s.limits.code_failures_per_ip.window == 10s));
    BOOST_TEST((s.limits.login_failures_per_ip.window == 2h));
    BOOST_TEST(s.limits.sms_per_hour.count == 500u);
    BOOST_TEST((s.limits.sms_per_hour.window == 1h));
    BOOST_TEST(must_load(with_flags({{"limits.sms_per_hour", "500/60m"}})).values.limits.sms_per_hour.count == 500u);

    for (const char* bad : {"0", "3/", "/10s", "3/0s", "3/5x", "a/10s", "3/10s/2", "-3", "3 /10s"}) {
        const auto r = load(with_flags({{"limits.recovery_per_ip", bad}}));
        BOOST_TEST_CONTEXT(bad) {
            BOOST_REQUIRE(std::holds_alternative<config_error>(r));
            BOOST_TEST(std::get<config_error>(r).key == "limits.recovery_per_ip");
        }
    }
    BOOST_TEST(must_fail(with_flags({{"limits.sms_per_hour", "500/10m"}})).key == "limits.sms_per_hour");
}

BOOST_AUTO_TEST_CASE(tls_cert_and_key_go_together) {
    config_error e = must_fail(with_flags({{"http.tls_cert", "/etc/sesame/cert.pem"}}));
    BOOST_TEST(e.key == "http.tls_key");
    e = must_fail(with_flags({{"http.tls_key", "/etc/sesame/key.pem"}}));
    BOOST_TEST(e.key == "http.tls_cert");

    const loaded tls = must_load(with_flags({{"http.tls_cert", "/c.pem"}, {"http.tls_key", "/k.pem"}}));
    BOOST_TEST(tls.values.http.secure_cookies);
    BOOST_TEST(tls.warnings.empty());

    const loaded forced = must_load(
        with_flags({{"http.tls_cert", "/c.pem"}, {"http.tls_key", "/k.pem"}, {"http.secure_cookies", "false"}}));
    BOOST_TEST(forced.values.http.secure_cookies);
    BOOST_TEST(forced.warnings.size() == 1u);

    BOOST_TEST(!must_load(load_input{}).values.http.secure_cookies);
    BOOST_TEST(must_load(with_flags({{"http.secure_cookies", "true"}})).values.http.secure_cookies);
}

BOOST_AUTO_TEST_CASE(dkim_all_or_nothing) {
    const config_error e = must_fail(with_flags({{"dkim.domain", "ac-test.fr"}, {"dkim.key_file", "/k.pem"}}));
    BOOST_TEST(e.key == "dkim.selector");
    const settings s = must_load(with_flags(
                                     {{"dkim.domain", "ac-test.fr"}, {"dkim.selector", "s2026"}, {"dkim.key_file", "/k.pem"}}))
                           .values;
    BOOST_TEST(s.dkim.selector.value_or("") == "s2026");
}

BOOST_AUTO_TEST_CASE(retry_max_not_below_retry_initial) {
    const config_error e = must_fail(with_flags({{"workers.retry_initial", "10m"}, {"workers.retry_max", "5m"}}));
    BOOST_TEST(e.key == "workers.retry_max");
}

BOOST_AUTO_TEST_CASE(outbox_file_default_follows_store_path) {
    BOOST_TEST(must_load(with_flags({{"store.path", "/srv/sesame"}})).values.outbox.file == "/srv/sesame/outbox.log");
    BOOST_TEST(must_load(with_flags({{"store.path", "/srv/sesame/"}})).values.outbox.file == "/srv/sesame/outbox.log");
    const settings s = must_load(with_flags({{"store.path", "/srv/sesame"}, {"outbox.file", "/var/log/out.jsonl"}})).values;
    BOOST_TEST(s.outbox.file == "/var/log/out.jsonl");
}

BOOST_AUTO_TEST_CASE(thread_counts_resolved) {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const settings s = must_load(load_input{}).values;
    BOOST_TEST(s.workers.hash_threads == cores);
    BOOST_TEST(s.http.threads == cores);
    BOOST_TEST(s.workers.hash_threads != 0u);
    const settings zero = must_load(with_flags({{"workers.hash_threads", "0"}, {"http.threads", "0"}})).values;
    BOOST_TEST(zero.workers.hash_threads == cores);
    BOOST_TEST(zero.http.threads == cores);
    const settings three = must_load(with_flags({{"workers.hash_threads", "3"}})).values;
    BOOST_TEST(three.workers.hash_threads == 3u);
}

BOOST_AUTO_TEST_CASE(trusted_proxies_addresses_and_ranges) {
    const settings s =
        must_load(with_flags({{"http.trusted_proxies", "10.0.0.0/8, 192.168.1.1,::1 ,2001:db8::/32,::ffff:10.1.2.3"}}))
            .values;
    const std::vector<std::string> expected = {"10.0.0.0/8", "192.168.1.1", "::1", "2001:db8::/32",
                                               "::ffff:10.1.2.3"};
    BOOST_TEST(s.http.trusted_proxies == expected, boost::test_tools::per_element());
    BOOST_TEST(must_load(with_flags({{"http.trusted_proxies", ""}})).values.http.trusted_proxies.empty());

    for (const char* bad : {"10.0.0.256", "1.2.3", "01.2.3.4", "::1::", ":::", "1:2:3:4:5:6:7:8:9",
                            "fe80::1%eth0", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.1,", "localhost",
                            "[::1]", "10.0.0.0/08"}) {
        const auto r = load(with_flags({{"http.trusted_proxies", bad}}));
        BOOST_TEST_CONTEXT(bad) {
            BOOST_REQUIRE(std::holds_alternative<config_error>(r));
            BOOST_TEST(std::get<config_error>(r).key == "http.trusted_proxies");
        }
    }
    const loaded everyone = must_load(with_flags({{"http.trusted_proxies", "0.0.0.0/0"}}));
    BOOST_TEST(everyone.warnings.size() == 1u);
}

BOOST_AUTO_TEST_CASE(address_syntax) {
    BOOST_TEST(is_ipv6_address("::"));
    BOOST_TEST(is_ipv6_address("1::"));
    BOOST_TEST(is_ipv6_address("1:2:3:4:5:6:7:8"));
    BOOST_TEST(is_ipv6_address("1:2:3:4:5:6:7::"));
    BOOST_TEST(!is_ipv6_address("1:2:3:4:5:6:7:8::"));
    BOOST_TEST(!is_ipv6_address("1:2:3:4:5:6:7"));
    BOOST_TEST(!is_ipv6_address("12345::"));
    BOOST_TEST(!is_ipv6_address("::1.2.3.4:5"));
    BOOST_TEST(is_ipv6_address("1:2:3:4:5:6:1.2.3.4"));
    const auto v6 = parse_host_port("[::1]:8080");
    BOOST_REQUIRE(v6.has_value());
    BOOST_TEST(v6->host == "::1");
    BOOST_TEST(v6->port == 8080);
    BOOST_TEST(parse_host_port("127.0.0.1:0").value().port == 0);
    BOOST_TEST(parse_host_port("localhost:80").value().host == "localhost");
    BOOST_TEST(!parse_host_port("127.0.0.1").has_value());
    BOOST_TEST(!parse_host_port("127.0.0.1:").has_value());
    BOOST_TEST(!parse_host_port(":80").has_value());
    BOOST_TEST(!parse_host_port("[::1]8080").has_value());
    const auto url = parse_url("smtp+starttls://user:pa%40ss@mail.example.fr:587");
    BOOST_REQUIRE(url.has_value());
    BOOST_TEST(url->scheme == "smtp+starttls");
    BOOST_TEST(url->user.value_or("") == "user");
    BOOST_TEST(url->password.value_or("") == "pa%40ss");
    BOOST_TEST(url->host == "mail.example.fr");
    BOOST_TEST(url->port.value_or(0) == 587);
}

BOOST_AUTO_TEST_CASE(describe_masks_secrets) {
    const settings s = must_load(with_flags({{"smtp.url", "smtps://ent:S3cret!@mail.example.fr:465"},
                                             {"sms.url", "https://gw.example.fr/sendsms?user=ent&password=Pw9&to=x"},
                                             {"sms.callback_secret", "a-long-enough-callback-secret"}}))
                           .values;
    const std::string text = describe(s);
    BOOST_TEST(contains(text, "smtp.url = smtps://ent:***@mail.example.fr:465\n"));
    BOOST_TEST(contains(text, "sms.url = https://gw.example.fr/sendsms?user=ent&password=***&to=x\n"));
    BOOST_TEST(contains(text, "sms.callback_secret = ***\n"));
    BOOST_TEST(!contains(text, "S3cret"));
    BOOST_TEST(!contains(text, "Pw9"));
    BOOST_TEST(!contains(text, "a-long-enough"));
    BOOST_TEST(contains(text, "http.read_timeout = 10s\n"));
    BOOST_TEST(contains(text, "limits.login_failures_per_ip = 100/15m\n"));
    BOOST_TEST(contains(text, "http.tls_cert = (non défini)\n"));
}

BOOST_AUTO_TEST_CASE(describe_reads_back_to_the_same_settings) {
    const settings first = must_load(with_flags({{"limits.code_failures_per_ip", "3/10s"},
                                                 {"http.trusted_proxies", "10.0.0.0/8,::1"},
                                                 {"store.path", "/srv/s"}}))
                               .values;
    const std::string text = describe(first);
    flag_list flags;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        const auto eq = line.find(" = ");
        BOOST_REQUIRE(eq != std::string::npos);
        const std::string value = line.substr(eq + 3);
        if (value != "(non défini)") flags.emplace_back(line.substr(0, eq), value);
    }
    BOOST_TEST(flags.size() + 8 == known_keys().size());  // unset: tls x2, smtp.url, dkim x3, sms.url, callback
    BOOST_TEST(describe(must_load(with_flags(flags)).values) == text);
}

BOOST_AUTO_TEST_CASE(known_keys_cover_the_contract) {
    std::set<std::string> keys;
    for (const auto& k : known_keys()) {
        BOOST_TEST(keys.insert(k.key).second, "duplicate key " << k.key);
        BOOST_TEST(!k.default_text.empty(), k.key << " has no default text");
        BOOST_TEST(!k.meaning.empty(), k.key << " has no meaning");
    }
    for (const char* key :
         {"http.listen", "http.public_url", "http.tls_cert", "http.tls_key", "http.trusted_proxies",
          "http.secure_cookies", "http.read_timeout", "http.idle_timeout", "store.path", "smtp.url", "smtp.from",
          "dkim.domain", "dkim.selector", "dkim.key_file", "sms.url", "sms.format", "sms.callback_secret",
          "outbox.file", "recovery.code_ttl", "email.confirm_ttl", "workers.retry_initial", "workers.retry_max",
          "workers.max_attempts", "recovery.resend_cooldown", "recovery.max_attempts", "login.lockout_threshold",
          "login.lockout_duration", "login.hard_lock_threshold", "limits.login_failures_per_ip",
          "limits.recovery_per_ip", "limits.recovery_per_identifier", "limits.sends_per_destination",
          "limits.sms_per_hour", "limits.code_failures_per_account", "limits.code_failures_per_ip",
          "password.argon2_memory_kib", "password.argon2_iterations", "password.min_length",
          "workers.hash_threads", "workers.hash_queue", "session.idle_timeout", "session.absolute_timeout",
          "http.shutdown_timeout", "http.threads", "http.max_header_bytes", "http.max_body_bytes",
          "http.max_import_bytes", "http.max_connections", "store.sync_writes", "store.threads",
          "smtp.verify_tls", "smtp.concurrency", "smtp.timeout", "sms.concurrency", "sms.timeout",
          "workers.queue_capacity", "log.level", "demo.seed", "audit.retention",
          "login.alert_failures_per_minute", "store.memtable_bytes", "http.max_connections_per_ip",
          "oidc.access_token_ttl", "oidc.refresh_token_ttl", "oidc.code_ttl", "http.handler_timeout"}) {
        BOOST_TEST(keys.count(key) == 1u, key << " missing from known_keys()");
    }
    BOOST_TEST(keys.size() == 66u);
}

BOOST_AUTO_TEST_CASE(argon2_low_cost_gives_a_warning) {
    BOOST_TEST(must_load(load_input{}).warnings.empty());
    const loaded low_memory = must_load(with_flags({{"password.argon2_memory_kib", "4096"}}));
    BOOST_TEST(low_memory.values.password.argon2_memory_kib == 4096u);
    BOOST_REQUIRE(low_memory.warnings.size() == 1u);
    BOOST_TEST(contains(low_memory.warnings[0], "OWASP"));
    BOOST_TEST(contains(low_memory.warnings[0], "password.argon2_memory_kib"));
    const loaded low_time = must_load(with_flags({{"password.argon2_iterations", "1"}}));
    BOOST_TEST(low_time.warnings.size() == 1u);
    const loaded strong = must_load(with_flags({{"password.argon2_memory_kib", "65536"}, {"password.argon2_iterations", "3"}}));
    BOOST_TEST(strong.warnings.empty());
}

BOOST_AUTO_TEST_SUITE_END()
