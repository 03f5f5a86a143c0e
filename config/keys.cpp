#include "config/keys.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "config/syntax.hpp"

namespace sesame::config {
namespace {

using problem = std::optional<std::string>;

constexpr std::uint64_t uint32_max = std::numeric_limits<std::uint32_t>::max();

std::string quoted(std::string_view v) { return "« " + std::string(v) + " »"; }

problem check_duration(const std::string& v, bool zero_ok, duration& out) {
    const auto d = parse_duration(v);
    if (!d) return "durée invalide " + quoted(v) + " (attendu 90, 90s, 30m ou 24h)";
    if (!zero_ok && d->count() == 0) return "durée nulle refusée (attendu une durée positive)";
    if (*d > max_config_duration) return "durée trop longue " + quoted(v) + " (au plus 87600h)";
    out = *d;
    return std::nullopt;
}

// `field` is a generic lambda returning a reference into the settings, so
// one accessor serves both apply (mutable) and show (const).
template <class Field>
key_spec duration_key(std::string_view key, std::string_view meaning, Field field, bool zero_ok = false) {
    return {key, {}, meaning,
            [field, zero_ok](settings& s, const std::string& v) -> problem {
                return check_duration(v, zero_ok, field(s));
            },
            [field](const settings& s) { return format_duration(field(s)); }};
}

template <class Field>
key_spec uint_key(std::string_view key, std::string_view default_text, std::string_view meaning, Field field,
                  std::uint64_t min, std::uint64_t max) {
    return {key, default_text, meaning,
            [field, min, max](settings& s, const std::string& v) -> problem {
                const auto n = parse_uint(v, max);
                if (!n || *n < min) {
                    return "entier invalide " + quoted(v) + " (attendu un nombre entre " + std::to_string(min) +
                           " et " + std::to_string(max) + ")";
                }
                field(s) = static_cast<std::uint32_t>(*n);
                return std::nullopt;
            },
            [field](const settings& s) { return std::to_string(field(s)); }};
}

template <class Field>
key_spec bool_key(std::string_view key, std::string_view default_text, std::string_view meaning, Field field) {
    return {key, default_text, meaning,
            [field](settings& s, const std::string& v) -> problem {
                const auto b = parse_bool(v);
                if (!b) return "booléen invalide " + quoted(v) + " (attendu true ou false)";
                field(s) = *b;
                return std::nullopt;
            },
            [field](const settings& s) { return std::string(field(s) ? "true" : "false"); }};
}

// One of a few names, each standing for a value of the field (a string or
// an enum): parsed here once, so no caller maps names again.
template <class Field, class Value>
key_spec choice_key(std::string_view key, std::string_view meaning, Field field,
                    std::vector<std::pair<std::string_view, Value>> choices) {
    return {key, {}, meaning,
            [field, choices](settings& s, const std::string& v) -> problem {
                for (const auto& [name, value] : choices)
                    if (name == v) {
                        field(s) = std::remove_cvref_t<decltype(field(s))>(value);
                        return std::nullopt;
                    }
                std::string expected;
                for (std::size_t i = 0; i < choices.size(); ++i) {
                    if (i > 0) expected += i + 1 == choices.size() ? " ou " : ", ";
                    expected += choices[i].first;
                }
                return "valeur invalide " + quoted(v) + " (attendu " + expected + ")";
            },
            [field, choices](const settings& s) {
                for (const auto& c : choices)
                    if (field(s) == c.second) return std::string(c.first);
                return std::string();
            }};
}

// A required string, checked by `check` (returns the problem, or nullopt).
template <class Field, class Check>
key_spec string_key(std::string_view key, std::string_view default_text, std::string_view meaning, Field field,
                    Check check) {
    return {key, default_text, meaning,
            [field, check](settings& s, const std::string& v) -> problem {
                if (auto p = check(v)) return p;
                field(s) = v;
                return std::nullopt;
            },
            [field](const settings& s) { return field(s); }};
}

// An optional string: an empty value unsets it. `mask` turns the value into
// what describe() may print.
template <class Field, class Check, class Mask>
key_spec optional_key(std::string_view key, std::string_view meaning, Field field, Check check, Mask mask) {
    return {key, unset_text, meaning,
            [field, check](settings& s, const std::string& v) -> problem {
                if (v.empty()) {
                    field(s).reset();
                    return std::nullopt;
                }
                if (auto p = check(v)) return p;
                field(s) = v;
                return std::nullopt;
            },
            [field, mask](const settings& s) {
                const auto& value = field(s);
                return value ? mask(*value) : std::string(unset_text);
            }};
}

template <class Field>
key_spec limit_key(std::string_view key, std::string_view meaning, Field field, bool hour_only = false) {
    return {key, {}, meaning,
            [key, field, hour_only](settings& s, const std::string& v) -> problem {
                const std::size_t slash = v.find('/');
                const std::string count_text = v.substr(0, slash);
                const auto count = parse_uint(count_text, uint32_max);
                if (!count) {
                    return "limite invalide " + quoted(v) + " (attendu N ou N/durée, par exemple 5 ou 3/10s)";
                }
                if (*count == 0) return "limite nulle refusée " + quoted(v) + " (au moins 1)";
                duration window = field(s).window;
                if (slash != std::string::npos) {
                    const std::string window_text = v.substr(slash + 1);
                    if (auto p = check_duration(window_text, false, window)) {
                        return "fenêtre invalide dans " + quoted(v) + " : " + *p;
                    }
                }
                if (hour_only && window != std::chrono::hours(1)) {
                    return "la fenêtre de " + std::string(key) + " est d'une heure : " + quoted(v) +
                           " refusé (attendu N ou N/1h)";
                }
                field(s) = window_limit{static_cast<std::uint32_t>(*count), window};
                return std::nullopt;
            },
            [field](const settings& s) {
                const window_limit& l = field(s);
                return std::to_string(l.count) + "/" + format_duration(l.window);
            }};
}

// Value checks: each returns the problem, or nullopt.

problem non_empty(const std::string& v) {
    if (v.empty()) return std::string("valeur vide refusée");
    return std::nullopt;
}

problem no_check(const std::string&) { return std::nullopt; }

std::string no_mask(const std::string& v) { return v; }

problem check_listen(const std::string& v) {
    if (!parse_host_port(v)) {
        return "adresse d'écoute invalide " + quoted(v) +
               " (attendu hôte:port, IPv6 entre crochets comme [::1]:8080, port de 0 à 65535)";
    }
    return std::nullopt;
}

problem check_public_url(const std::string& v) {
    const auto url = parse_url(v);
    const std::string expected = " (attendu http://hôte[:port][/chemin] ou https://...)";
    if (!url || (url->scheme != "http" && url->scheme != "https")) {
        return "URL invalide " + quoted(mask_url(v)) + expected;
    }
    if (url->user) return "URL publique avec identifiants refusée " + quoted(mask_url(v));
    if (url->rest.find_first_of("?#") != std::string::npos) {
        return "URL publique avec requête ou fragment refusée " + quoted(v) + expected;
    }
    return std::nullopt;
}

problem check_trusted_proxies(const std::string& v, std::vector<std::string>& out) {
    out.clear();
    if (v.empty()) return std::nullopt;
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = v.find(',', start);
        std::string item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        const auto first = item.find_first_not_of(" \t");
        const auto last = item.find_last_not_of(" \t");
        item = first == std::string::npos ? std::string() : item.substr(first, last - first + 1);
        if (!is_ip_address_or_range(item)) {
            return "adresse ou plage invalide " + quoted(item) + " dans " + quoted(v) +
                   " (attendu des adresses IPv4/IPv6 ou plages CIDR séparées par des virgules, "
                   "par exemple 10.0.0.0/8, ::1)";
        }
        out.push_back(std::move(item));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return std::nullopt;
}

problem check_smtp_url(const std::string& v) {
    const auto url = parse_url(v);
    const bool scheme_ok =
        url && (url->scheme == "smtp" || url->scheme == "smtp+starttls" || url->scheme == "smtps");
    if (!scheme_ok || (url->rest != "" && url->rest != "/")) {
        return "URL SMTP invalide " + quoted(mask_url(v)) +
               " (attendu smtp://hôte:port, smtp+starttls://... ou smtps://..., avec user:motdepasse@ "
               "facultatif, caractères spéciaux encodés en %XX)";
    }
    return std::nullopt;
}

problem check_sms_url(const std::string& v) {
    const auto url = parse_url(v);
    if (!url || (url->scheme != "http" && url->scheme != "https")) {
        return "URL de passerelle SMS invalide " + quoted(mask_url(v)) + " (attendu http://... ou https://...)";
    }
    return std::nullopt;
}

problem check_mailbox(const std::string& v) {
    std::string_view address = v;
    const std::size_t lt = v.find('<');
    if (lt != std::string::npos) {
        if (v.back() != '>') address = {};
        else address = std::string_view(v).substr(lt + 1, v.size() - lt - 2);
    }
    const std::size_t at = address.find('@');
    const bool ok = at != std::string_view::npos && at > 0 && at + 1 < address.size() &&
                    address.find_first_of(" <>\"@", at + 1) == std::string_view::npos &&
                    address.find_first_of(" <>\"") == std::string_view::npos;
    if (!ok) {
        return "expéditeur invalide " + quoted(v) + " (attendu adresse@domaine ou Nom <adresse@domaine>)";
    }
    return std::nullopt;
}

problem check_dns_name(const std::string& v) {
    if (!is_host_name(v)) return "nom DNS invalide " + quoted(v);
    return std::nullopt;
}

std::vector<key_spec> build_specs() {
    std::vector<key_spec> k;
    // http
    k.push_back(string_key(
        "http.listen", {}, "adresse:port d'écoute (IPv6 entre crochets, port 0 : un port libre)",
        [](auto& s) -> auto& { return s.http.listen; }, check_listen));
    k.push_back(string_key(
        "http.public_url", {}, "base des liens dans les messages, et l'Origin admise",
        [](auto& s) -> auto& { return s.http.public_url; }, check_public_url));
    k.push_back(optional_key(
        "http.tls_cert", "certificat PEM : servir en HTTPS (avec http.tls_key)",
        [](auto& s) -> auto& { return s.http.tls_cert; }, non_empty, no_mask));
    k.push_back(optional_key(
        "http.tls_key", "clé privée PEM du certificat (avec http.tls_cert)",
        [](auto& s) -> auto& { return s.http.tls_key; }, non_empty, no_mask));
    k.push_back(key_spec{
        "http.trusted_proxies", unset_text,
        "adresses ou plages CIDR, séparées par des virgules, dont X-Forwarded-For est cru",
        [](settings& s, const std::string& v) { return check_trusted_proxies(v, s.http.trusted_proxies); },
        [](const settings& s) {
            if (s.http.trusted_proxies.empty()) return std::string(unset_text);
            std::string out;
            for (const auto& p : s.http.trusted_proxies) out += (out.empty() ? "" : ",") + p;
            return out;
        }});
    k.push_back(bool_key("http.secure_cookies", "false (true sous TLS)", "cookies marqués Secure",
                         [](auto& s) -> auto& { return s.http.secure_cookies; }));
    k.push_back(duration_key(
        "http.read_timeout",
        "délai pour recevoir l'en-tête entier d'une requête, et plus long silence au milieu d'un corps",
        [](auto& s) -> auto& { return s.http.read_timeout; }));
    k.push_back(duration_key(
        "http.idle_timeout", "attente maximale de la requête suivante sur une connexion gardée ouverte",
        [](auto& s) -> auto& { return s.http.idle_timeout; }));
    k.push_back(duration_key(
        "http.handler_timeout",
        "temps laissé au traitement d'une requête reçue ; au-delà, réponse 503 overloaded",
        [](auto& s) -> auto& { return s.http.handler_timeout; }));
    k.push_back(duration_key(
        "http.shutdown_timeout", "temps laissé aux requêtes en cours à l'arrêt (SIGTERM) ; 0 : aucun",
        [](auto& s) -> auto& { return s.http.shutdown_timeout; }, true));
    k.push_back(uint_key("http.threads", "0 (nombre de cœurs)", "fils réseau ; 0 : nombre de cœurs",
                         [](auto& s) -> auto& { return s.http.threads; }, 0, 1024));
    k.push_back(uint_key("http.max_header_bytes", {}, "taille maximale de l'en-tête d'une requête (octets)",
                         [](auto& s) -> auto& { return s.http.max_header_bytes; }, 1024, 1u << 24));
    k.push_back(uint_key("http.max_body_bytes", {}, "taille maximale du corps d'une requête (octets)",
                         [](auto& s) -> auto& { return s.http.max_body_bytes; }, 1024, 1u << 30));
    k.push_back(uint_key("http.max_import_bytes", {}, "taille maximale d'un import CSV (octets)",
                         [](auto& s) -> auto& { return s.http.max_import_bytes; }, 1024, uint32_max));
    k.push_back(uint_key("http.max_connections", {}, "connexions simultanées au plus",
                         [](auto& s) -> auto& { return s.http.max_connections; }, 1, 10'000'000));
    k.push_back(uint_key("http.max_connections_per_ip", {},
                         "connexions simultanées d'une même adresse (les mandataires de confiance en sont exemptés)",
                         [](auto& s) -> auto& { return s.http.max_connections_per_ip; }, 1, 10'000'000));
    // store
    k.push_back(string_key("store.path", {}, "répertoire RocksDB",
                           [](auto& s) -> auto& { return s.store.path; }, non_empty));
    k.push_back(bool_key("store.sync_writes", {}, "synchroniser le WAL sur disque pour les écritures confirmées",
                         [](auto& s) -> auto& { return s.store.sync_writes; }));
    k.push_back(uint_key("store.threads", {}, "fils pour les appels bloquants au stockage",
                         [](auto& s) -> auto& { return s.store.threads; }, 1, 1024));
    k.push_back(uint_key("store.memtable_bytes", {},
                         "mémoire d'écriture par famille de colonnes (octets) ; autant d'espace disque libre est "
                         "nécessaire pour reprendre après un disque plein",
                         [](auto& s) -> auto& { return s.store.memtable_bytes; }, 1u << 20, 1u << 30));
    // smtp, dkim
    k.push_back(optional_key(
        "smtp.url", "serveur SMTP : smtp://hôte:port, smtp+starttls://..., smtps://..., user:motdepasse@ "
                    "facultatif ; non défini : fichier outbox",
        [](auto& s) -> auto& { return s.smtp.url; }, check_smtp_url, mask_url));
    k.push_back(string_key("smtp.from", {}, "expéditeur des courriels",
                           [](auto& s) -> auto& { return s.smtp.from; }, check_mailbox));
    k.push_back(bool_key("smtp.verify_tls", {}, "vérifier le certificat du serveur SMTP",
                         [](auto& s) -> auto& { return s.smtp.verify_tls; }));
    k.push_back(uint_key("smtp.concurrency", {}, "connexions SMTP simultanées",
                         [](auto& s) -> auto& { return s.smtp.concurrency; }, 1, 1024));
    k.push_back(duration_key("smtp.timeout", "délai de chaque étape du dialogue SMTP",
                             [](auto& s) -> auto& { return s.smtp.timeout; }));
    k.push_back(optional_key(
        "dkim.domain", "domaine de signature DKIM (rsa-sha256 ; avec dkim.selector et dkim.key_file)",
        [](auto& s) -> auto& { return s.dkim.domain; }, check_dns_name, no_mask));
    k.push_back(optional_key("dkim.selector", "sélecteur DKIM",
                             [](auto& s) -> auto& { return s.dkim.selector; }, check_dns_name, no_mask));
    k.push_back(optional_key("dkim.key_file", "clé privée RSA DKIM (PEM)",
                             [](auto& s) -> auto& { return s.dkim.key_file; }, non_empty, no_mask));
    // sms
    k.push_back(optional_key("sms.url", "URL de la passerelle SMS ; non défini : fichier outbox",
                             [](auto& s) -> auto& { return s.sms.url; }, check_sms_url, mask_url));
    k.push_back(choice_key("sms.format", "json (POST) ou kannel (GET sendsms)",
                           [](auto& s) -> auto& { return s.sms.format; },
                           std::vector<std::pair<std::string_view, std::string_view>>{{"json", "json"},
                                                                                       {"kannel", "kannel"}}));
    k.push_back(optional_key(
        "sms.callback_secret", "secret partagé des accusés de réception",
        [](auto& s) -> auto& { return s.sms.callback_secret; }, no_check,
        [](const std::string&) { return std::string("***"); }));
    k.push_back(uint_key("sms.concurrency", {}, "requêtes simultanées vers la passerelle SMS",
                         [](auto& s) -> auto& { return s.sms.concurrency; }, 1, 1024));
    k.push_back(duration_key("sms.timeout", "délai d'une requête à la passerelle SMS",
                             [](auto& s) -> auto& { return s.sms.timeout; }));
    // outbox: an empty value means the default, filled in by load().
    k.push_back(string_key("outbox.file", "{store.path}/outbox.log",
                           "fichier des messages quand aucune passerelle n'est configurée",
                           [](auto& s) -> auto& { return s.outbox.file; }, no_check));
    // recovery, email
    k.push_back(duration_key("recovery.code_ttl", "durée de vie des codes de récupération et d'activation",
                             [](auto& s) -> auto& { return s.recovery.code_ttl; }));
    k.push_back(duration_key("recovery.resend_cooldown", "délai minimal entre deux envois d'un parcours",
                             [](auto& s) -> auto& { return s.recovery.resend_cooldown; }, true));
    k.push_back(uint_key("recovery.max_attempts", {}, "codes erronés avant la fermeture d'un parcours",
                         [](auto& s) -> auto& { return s.recovery.max_attempts; }, 1, 1000));
    k.push_back(duration_key("email.confirm_ttl", "durée de vie des liens de confirmation de courriel",
                             [](auto& s) -> auto& { return s.email.confirm_ttl; }));
    k.push_back(duration_key("oidc.access_token_ttl", "durée de vie des jetons OpenID Connect (d'identité et d'accès)",
                             [](auto& s) -> auto& { return s.oidc.access_token_ttl; }));
    k.push_back(duration_key("oidc.refresh_token_ttl", "durée de vie d'un jeton de rafraîchissement OpenID Connect",
                             [](auto& s) -> auto& { return s.oidc.refresh_token_ttl; }));
    k.push_back(duration_key("oidc.code_ttl", "durée de vie d'un code d'autorisation OpenID Connect",
                             [](auto& s) -> auto& { return s.oidc.code_ttl; }));
    k.push_back(duration_key("audit.retention", "durée de conservation du journal d'audit du personnel",
                             [](auto& s) -> auto& { return s.audit.retention; }));
    // workers
    k.push_back(duration_key("workers.retry_initial", "premier délai entre deux tentatives d'envoi",
                             [](auto& s) -> auto& { return s.workers.retry_initial; }));
    k.push_back(duration_key("workers.retry_max", "délai maximal entre deux tentatives (doublé à chaque fois)",
                             [](auto& s) -> auto& { return s.workers.retry_max; }));
    k.push_back(uint_key("workers.max_attempts", {}, "tentatives avant qu'un message soit abandonné",
                         [](auto& s) -> auto& { return s.workers.max_attempts; }, 1, 1000));
    k.push_back(uint_key("workers.hash_threads", "0 (nombre de cœurs)", "fils Argon2 ; 0 : nombre de cœurs",
                         [](auto& s) -> auto& { return s.workers.hash_threads; }, 0, 1024));
    k.push_back(uint_key("workers.hash_queue", {}, "connexions en attente de hachage avant 503",
                         [](auto& s) -> auto& { return s.workers.hash_queue; }, 0, 1'000'000));
    k.push_back(uint_key("workers.queue_capacity", {}, "messages en attente d'un envoyeur",
                         [](auto& s) -> auto& { return s.workers.queue_capacity; }, 1, 1u << 24));
    // login
    k.push_back(uint_key("login.lockout_threshold", {}, "échecs avant un verrouillage temporaire",
                         [](auto& s) -> auto& { return s.login.lockout_threshold; }, 1, 1000));
    k.push_back(duration_key("login.lockout_duration", "premier verrouillage ; doublé à chaque nouveau",
                             [](auto& s) -> auto& { return s.login.lockout_duration; }));
    k.push_back(uint_key("login.hard_lock_threshold", {},
                         "échecs en 24 h avant un verrouillage que seul le personnel lève",
                         [](auto& s) -> auto& { return s.login.hard_lock_threshold; }, 1, 100'000));
    k.push_back(uint_key("login.alert_failures_per_minute", {},
                         "connexions refusées par minute (tous comptes) au-delà desquelles une alerte est journalisée "
                         "(0 : jamais)",
                         [](auto& s) -> auto& { return s.login.alert_failures_per_minute; }, 0, uint32_max));
    // limits: "N" keeps the default window, "N/DURATION" sets it.
    k.push_back(limit_key("limits.login_failures_per_ip", "connexions échouées par adresse (N ou N/durée)",
                          [](auto& s) -> auto& { return s.limits.login_failures_per_ip; }));
    k.push_back(limit_key("limits.recovery_per_ip", "demandes de récupération et d'activation par adresse",
                          [](auto& s) -> auto& { return s.limits.recovery_per_ip; }));
    k.push_back(limit_key("limits.recovery_per_identifier", "demandes nommant un même identifiant",
                          [](auto& s) -> auto& { return s.limits.recovery_per_identifier; }));
    k.push_back(limit_key("limits.sends_per_destination", "messages vers un même téléphone ou courriel",
                          [](auto& s) -> auto& { return s.limits.sends_per_destination; }));
    k.push_back(limit_key("limits.sms_per_hour", "SMS en tout par heure (plafond anti-fraude ; N ou N/1h)",
                          [](auto& s) -> auto& { return s.limits.sms_per_hour; }, true));
    k.push_back(limit_key("limits.code_failures_per_account", "codes erronés sur tous les parcours d'un compte",
                          [](auto& s) -> auto& { return s.limits.code_failures_per_account; }));
    k.push_back(limit_key("limits.code_failures_per_ip", "codes erronés depuis une adresse (429 au-delà)",
                          [](auto& s) -> auto& { return s.limits.code_failures_per_ip; }));
    // password
    k.push_back(uint_key("password.argon2_memory_kib", {},
                         "mémoire Argon2id en KiB (avertissement sous 19456, minimum OWASP)",
                         [](auto& s) -> auto& { return s.password.argon2_memory_kib; }, 8, 4u * 1024 * 1024));
    k.push_back(uint_key("password.argon2_iterations", {}, "itérations Argon2id (avertissement sous 2)",
                         [](auto& s) -> auto& { return s.password.argon2_iterations; }, 1, 1000));
    k.push_back(uint_key("password.min_length", {}, "longueur minimale d'un mot de passe",
                         [](auto& s) -> auto& { return s.password.min_length; }, 1, 1024));
    // session
    k.push_back(duration_key("session.idle_timeout", "inactivité avant la fin d'une session",
                             [](auto& s) -> auto& { return s.session.idle_timeout; }));
    k.push_back(duration_key("session.absolute_timeout", "durée maximale d'une session",
                             [](auto& s) -> auto& { return s.session.absolute_timeout; }));
    // log, demo
    k.push_back(choice_key("log.level", "niveau de journalisation", [](auto& s) -> auto& { return s.log.level; },
                           std::vector<std::pair<std::string_view, log::level>>{{"debug", log::level::debug},
                                                                                {"info", log::level::info},
                                                                                {"warn", log::level::warn},
                                                                                {"error", log::level::error}}));
    k.push_back(bool_key("demo.seed", {}, "créer des comptes de démonstration dans un stockage vide",
                         [](auto& s) -> auto& { return s.demo.seed; }));
    return k;
}

}  // namespace

const std::vector<key_spec>& key_specs() {
    static const std::vector<key_spec> specs = build_specs();
    return specs;
}

const key_spec* find_key_spec(std::string_view key) {
    const auto& specs = key_specs();
    const auto it = std::find_if(specs.begin(), specs.end(), [key](const key_spec& s) { return s.key == key; });
    return it == specs.end() ? nullptr : &*it;
}

}  // namespace sesame::config
