// `sesame oidc client add` and `sesame oidc rotate-keys`: the OpenID
// Connect provider's clients and signing keys, on a store no server holds
// (like `staff add`).
#include <cstdio>

#include "app/commands.hpp"
#include "config/syntax.hpp"
#include "core/oidc_service.hpp"
#include "store/database.hpp"
#include "store/repository.hpp"
#include "workers/crypto_openssl.hpp"

namespace sesame::app {

namespace {

constexpr const char* when_locked = "arrêtez le serveur le temps de cette commande";

int add_client(const command_line& cl, const config::settings& cfg) {
    client_registration reg;
    if (auto it = cl.options.find("name"); it != cl.options.end()) reg.name = it->second;
    if (auto it = cl.repeated.find("redirect-uri"); it != cl.repeated.end()) reg.redirect_uris = it->second;
    if (auto it = cl.repeated.find("post-logout-redirect-uri"); it != cl.repeated.end())
        reg.post_logout_redirect_uris = it->second;
    reg.is_public = cl.options.count("public") > 0;
    if (reg.name.empty()) return fail(exit_usage, "--name est obligatoire");
    if (reg.redirect_uris.empty()) return fail(exit_usage, "--redirect-uri est obligatoire (au moins une)");
    workers::crypto_openssl crypto;
    auto made = make_client(reg, crypto, system_clock{}.now());
    if (auto* e = std::get_if<domain_error>(&made)) {
        const std::string option = e->field == "redirect_uris" ? "--redirect-uri"
                                   : e->field == "post_logout_redirect_uris" ? "--post-logout-redirect-uri"
                                                                             : "--" + e->field;
        return fail(exit_usage, option + " : " + e->message);
    }
    auto db = open_store_or_report(cfg.store.path, when_locked);
    if (!db) return exit_failure;
    auto& reg_out = std::get<registered_client>(made);
    try {
        store::repository repo(*db);
        changes out;
        out.oidc.clients_put.push_back(reg_out.client);
        repo.apply(out);  // synced
    } catch (const std::exception& e) {
        return fail(exit_failure, e.what());
    }
    std::printf("client_id: %s\n", reg_out.client.client_id.c_str());
    if (!reg_out.secret.empty()) std::printf("client_secret: %s\n", reg_out.secret.c_str());
    std::fflush(stdout);
    std::fprintf(stderr, "service « %s » enregistré (%s)%s\n", reg_out.client.name.c_str(),
                 reg_out.client.is_public ? "public, PKCE obligatoire" : "confidentiel",
                 reg_out.secret.empty() ? "" : " : conservez le secret, il ne sera plus affiché");
    return exit_ok;
}

int rotate_keys(const config::settings& cfg) {
    auto db = open_store_or_report(cfg.store.path, when_locked);
    if (!db) return exit_failure;
    try {
        workers::crypto_openssl crypto;
        store::repository repo(*db);
        const std::string kid =
            rotate_signing_keys(repo, crypto, db->server_secret(), cfg.oidc.access_token_ttl, system_clock{}.now());
        std::printf("kid: %s\n", kid.c_str());
        std::fprintf(stderr,
                     "nouvelle clé de signature ; les précédentes restent publiées %s de plus (oidc.access_token_ttl)\n",
                     config::format_duration(cfg.oidc.access_token_ttl).c_str());
    } catch (const std::exception& e) {
        return fail(exit_failure, e.what());
    }
    return exit_ok;
}

}  // namespace

int run_oidc(const command_line& cl) {
    auto loaded = load_settings_or_report(cl);
    if (!loaded) return exit_usage;
    const auto& p = cl.positionals;
    if (p.size() == 2 && p[0] == "client" && p[1] == "add") return add_client(cl, loaded->values);
    if (p.size() == 1 && p[0] == "rotate-keys") {
        if (!cl.options.empty()) return fail(exit_usage, "rotate-keys ne prend que --store.path et la configuration");
        return rotate_keys(loaded->values);
    }
    return fail(exit_usage, "sous-commande attendue : sesame oidc client add ... | sesame oidc rotate-keys");
}

}  // namespace sesame::app
