#include "core/oidc_service.hpp"

#include <algorithm>
#include <charconv>

#include "core/establishment.hpp"
#include "core/journal_entry.hpp"

namespace sesame {

namespace {

constexpr std::size_t max_param_bytes = 2048;
constexpr std::size_t max_client_name_bytes = 100;
constexpr std::size_t max_uris = 20;

std::int64_t seconds_of(timestamp t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

oauth_error fail(oauth_errc code, std::string description) { return oauth_error{code, std::move(description)}; }

std::optional<std::int64_t> parse_seconds(std::string_view s) {
    std::int64_t v = 0;
    if (s.empty() || s.size() > 15) return std::nullopt;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v < 0) return std::nullopt;
    return v;
}

bool too_long(const std::optional<std::string>& v) { return v && v->size() > max_param_bytes; }

std::string random_token(crypto& c, std::size_t bytes) { return base64url(c.random_bytes(bytes)); }

journal_entry logout_line(const client_info& client, timestamp now, std::string detail) {
    return make_journal_entry(now, journal_type::session_revoked, client, "self", std::move(detail));
}

}  // namespace

// ---- clients and keys (also used by the CLI) ---------------------------------

std::variant<registered_client, domain_error> make_client(const client_registration& r, crypto& c, timestamp now) {
    if (r.name.empty() || r.name.size() > max_client_name_bytes)
        return invalid_field("name", "Le nom du service est obligatoire (100 caractères au plus).");
    for (unsigned char ch : r.name)
        if (ch < 0x20 || ch == 0x7f) return invalid_field("name", "Le nom du service contient un caractère interdit.");
    if (r.redirect_uris.empty() || r.redirect_uris.size() > max_uris)
        return invalid_field("redirect_uris", "Indiquez de 1 à 20 adresses de retour.");
    for (const auto& u : r.redirect_uris)
        if (!redirect_uri_acceptable(u))
            return invalid_field("redirect_uris", "Adresse de retour invalide (http(s) absolue, sans fragment) : " +
                                                      u.substr(0, 200));
    if (r.post_logout_redirect_uris.size() > max_uris)
        return invalid_field("post_logout_redirect_uris", "20 adresses de retour au plus.");
    for (const auto& u : r.post_logout_redirect_uris)
        if (!redirect_uri_acceptable(u))
            return invalid_field("post_logout_redirect_uris",
                                 "Adresse de retour après déconnexion invalide : " + u.substr(0, 200));
    registered_client out;
    out.client.client_id = random_token(c, 16);
    out.client.name = r.name;
    out.client.redirect_uris = r.redirect_uris;
    out.client.post_logout_redirect_uris = r.post_logout_redirect_uris;
    out.client.is_public = r.is_public;
    out.client.created_at = now;
    if (!r.is_public) {
        out.secret = random_token(c, 32);
        out.client.secret_digest = c.sha256(out.secret);
    }
    return out;
}

std::string rotate_signing_keys(oidc_repository& repo, crypto& c, std::string_view server_secret, duration token_ttl,
                                timestamp now) {
    std::vector<oidc_signing_key> keys = repo.signing_keys(now);
    for (auto& k : keys) {
        if (k.retired_at) continue;
        k.retired_at = now;
        // A token signed just before the rotation lives token_ttl more; a
        // minute of margin covers clocks of relying parties running late.
        k.expires_at = now + token_ttl + std::chrono::minutes(1);
    }
    const es256_key fresh = c.es256_generate();
    oidc_signing_key k;
    k.kid = random_token(c, 12);
    k.x = fresh.x;
    k.y = fresh.y;
    k.created_at = now;
    k.sealed_private = c.aes256gcm_seal(signing_key_sealing_key(c, server_secret), fresh.private_key, k.kid);
    keys.push_back(k);
    repo.put_signing_keys(keys);
    return k.kid;
}

oidc_service::oidc_service(account_ports ports, oidc_repository& repo, crypto& c, jwt_codec& jwt,
                           std::string server_secret, oidc_policy policy)
    : ports_(ports), repo_(repo), crypto_(c), jwt_(jwt), secret_(std::move(server_secret)),
      policy_(std::move(policy)) {}

void oidc_service::load_keys(timestamp now) {
    auto keys = repo_.signing_keys(now);
    const bool has_current =
        std::any_of(keys.begin(), keys.end(), [](const oidc_signing_key& k) { return !k.retired_at; });
    if (!has_current) {
        rotate_signing_keys(repo_, crypto_, secret_, policy_.access_token_ttl, now);
        keys = repo_.signing_keys(now);
    }
    ring_.clear();
    current_kid_.clear();
    for (const auto& k : keys) {
        ring_.push_back(ring_key{jwk{k.kid, k.x, k.y}, k.expires_at});
        if (k.retired_at) continue;
        auto opened = crypto_.aes256gcm_open(signing_key_sealing_key(crypto_, secret_), k.sealed_private, k.kid);
        if (!opened) throw infrastructure_error("oidc: the signing key does not unseal with this store's secret");
        current_kid_ = k.kid;  // the newest current key wins
        current_private_ = std::move(*opened);
    }
}

std::vector<jwk> oidc_service::jwks(timestamp now) const {
    std::vector<jwk> out;
    for (const auto& k : ring_)
        if (!k.expires_at || *k.expires_at > now) out.push_back(k.pub);
    return out;
}

// ---- authorize (OIDC Core §3.1.2) --------------------------------------------

authorize_outcome oidc_service::authorize(const authorization_request& r, const authenticated* who, timestamp now) {
    // §3.1.2.1: without a known client and an exactly registered redirect
    // URI there is nobody to tell: a page, never a redirect.
    if (!r.client_id || r.client_id->empty() || r.client_id->size() > 128)
        return authorize_error_page{"La demande de connexion ne précise pas le service qui la fait."};
    const auto client = repo_.find_client(*r.client_id);
    if (!client) return authorize_error_page{"Le service qui demande la connexion n'est pas connu de Sésame."};
    if (!r.redirect_uri || !uri_registered(client->redirect_uris, *r.redirect_uri))
        return authorize_error_page{
            "L'adresse de retour demandée n'est pas enregistrée pour ce service : par sécurité, Sésame ne vous y "
            "renvoie pas. Signalez-le au service que vous vouliez utiliser."};

    const std::string state = r.state.value_or("");
    auto back = [&](std::vector<std::pair<std::string, std::string>> params) {
        if (r.state) params.emplace_back("state", state);
        params.emplace_back("iss", policy_.issuer);  // RFC 9207
        return authorize_redirect{with_query(*r.redirect_uri, params)};
    };
    auto error = [&](oauth_errc code, std::string description) {
        return back({{"error", to_string(code)}, {"error_description", std::move(description)}});
    };

    if (too_long(r.state) || too_long(r.nonce) || too_long(r.scope) || too_long(r.prompt) ||
        too_long(r.code_challenge))
        return error(oauth_errc::invalid_request, "parameter too long");
    if (!r.response_type) return error(oauth_errc::invalid_request, "response_type is required");
    if (*r.response_type != "code")
        return error(oauth_errc::unsupported_response_type, "only the authorization code flow is supported");
    const scope_set scope = parse_scope(r.scope.value_or(""));
    if (!scope.openid) return error(oauth_errc::invalid_scope, "the openid scope is required");

    // PKCE (RFC 7636 §4.3): S256 only; required of public clients.
    if (r.code_challenge_method && *r.code_challenge_method != "S256")
        return error(oauth_errc::invalid_request, "code_challenge_method must be S256");
    if (r.code_challenge && !pkce_text_valid(*r.code_challenge))
        return error(oauth_errc::invalid_request, "malformed code_challenge");
    if (r.code_challenge && !r.code_challenge_method)
        return error(oauth_errc::invalid_request, "code_challenge_method must be S256");
    if (!r.code_challenge && r.code_challenge_method)
        return error(oauth_errc::invalid_request, "code_challenge is required with code_challenge_method");
    if (client->is_public && !r.code_challenge)
        return error(oauth_errc::invalid_request, "PKCE (S256) is required of public clients");

    // prompt (§3.1.2.1): none, login, consent, select_account; none alone.
    bool prompt_none = false, prompt_login = false;
    if (r.prompt) {
        const std::string& p = *r.prompt;
        std::size_t pos = 0, values = 0;
        while (pos <= p.size()) {
            const auto end = std::min(p.find(' ', pos), p.size());
            const std::string_view v(p.data() + pos, end - pos);
            if (!v.empty()) ++values;
            if (v == "none") prompt_none = true;
            if (v == "login") prompt_login = true;
            pos = end + 1;
        }
        if (prompt_none && values > 1) return error(oauth_errc::invalid_request, "prompt=none must be alone");
    }
    std::optional<std::int64_t> max_age, auth_after;
    if (r.max_age) {
        max_age = parse_seconds(*r.max_age);
        if (!max_age) return error(oauth_errc::invalid_request, "max_age must be a non-negative integer");
    }
    if (r.auth_after) auth_after = parse_seconds(*r.auth_after);

    // A usable session: a user (not staff) who need not change a password.
    const bool usable = who && !who->acc.must_change_password;
    if (usable && (who->acc.staff || who->acc.prof == profile::staff))
        return error(oauth_errc::access_denied, "staff accounts cannot sign in to services");
    bool fresh_enough = true;
    if (usable) {
        const timestamp login = who->session.created_at;
        if (auth_after && to_millis(login) < *auth_after) fresh_enough = false;
        // max_age (§3.1.2.1): re-authenticate past it. A login made after
        // this request was first seen (auth_after) satisfies it.
        if (max_age && !auth_after && now - login > std::chrono::seconds(*max_age)) fresh_enough = false;
    }
    if (!usable || !fresh_enough || (prompt_login && !auth_after)) {
        if (prompt_none) return error(oauth_errc::login_required, "the user must log in");
        if (prompt_login || max_age || !fresh_enough) return authorize_login{auth_after.value_or(to_millis(now))};
        return authorize_login{};
    }

    // §3.1.2.5: the code, stored as its digest, bound to client, redirect
    // URI, PKCE challenge, session and nonce.
    const std::string code = random_token(crypto_, 32);
    oidc_code c;
    c.digest = crypto_.sha256(code);
    c.client_id = client->client_id;
    c.redirect_uri = *r.redirect_uri;
    c.scope = to_string(scope);
    c.nonce = r.nonce.value_or("");
    c.code_challenge = r.code_challenge.value_or("");
    c.identifier = who->acc.identifier;
    c.session_digest = who->session.digest;
    c.auth_time = who->session.created_at;
    c.created_at = now;
    c.expires_at = now + policy_.code_ttl;
    changes out;
    out.synced = false;  // lost only with the machine: the client then asks again
    out.oidc.codes_put.push_back(std::move(c));
    ports_.sink.apply(out);
    return back({{"code", code}});
}

// ---- token (RFC 6749 §3.2, §4.1.3, §6) ------------------------------------------

oauth_result<oidc_client> oidc_service::authenticate_client(const token_request& r) {
    // §2.3: one authentication method per request.
    if (r.basic_id && (r.client_secret || (r.client_id && *r.client_id != *r.basic_id)))
        return fail(oauth_errc::invalid_request, "use one client authentication method");
    const std::optional<std::string>& id = r.basic_id ? r.basic_id : r.client_id;
    if (!id || id->empty() || id->size() > 128) return fail(oauth_errc::invalid_client, "client authentication failed");
    auto client = repo_.find_client(*id);
    if (!client) return fail(oauth_errc::invalid_client, "client authentication failed");
    const std::optional<std::string>& secret = r.basic_id ? r.basic_secret : r.client_secret;
    if (client->is_public) {
        if (secret && !secret->empty()) return fail(oauth_errc::invalid_client, "client authentication failed");
        return std::move(*client);
    }
    if (!secret || secret->size() > 512 || !constant_time_equal(crypto_.sha256(*secret), client->secret_digest))
        return fail(oauth_errc::invalid_client, "client authentication failed");
    return std::move(*client);
}

oauth_result<token_response> oidc_service::token(const token_request& r, timestamp now) {
    if (!r.grant_type) return fail(oauth_errc::invalid_request, "grant_type is required");
    auto client = authenticate_client(r);
    if (auto* e = std::get_if<oauth_error>(&client)) return *e;
    const auto& c = std::get<oidc_client>(client);
    if (*r.grant_type == "authorization_code") return exchange_code(c, r, now);
    if (*r.grant_type == "refresh_token") return refresh(c, r, now);
    return fail(oauth_errc::unsupported_grant_type, "grant_type must be authorization_code or refresh_token");
}

void oidc_service::revoke_grant(const std::string& grant_id, timestamp now) {
    if (grant_id.empty()) return;
    auto g = repo_.find_grant(grant_id, now);
    if (!g) return;
    changes out;
    out.oidc.grants_deleted.push_back(std::move(*g));
    ports_.sink.apply(out);
}

oauth_result<token_response> oidc_service::exchange_code(const oidc_client& client, const token_request& r,
                                                         timestamp now) {
    if (!r.code || r.code->empty() || r.code->size() > 256) return fail(oauth_errc::invalid_request, "code is required");
    if (!r.redirect_uri) return fail(oauth_errc::invalid_request, "redirect_uri is required");
    const std::string digest = crypto_.sha256(*r.code);
    auto guard = repo_.lock_grant(digest);
    auto code = repo_.find_code(digest, now);
    if (!code || code->expires_at <= now) return fail(oauth_errc::invalid_grant, "unknown or expired code");
    if (code->client_id != client.client_id) return fail(oauth_errc::invalid_grant, "code issued to another client");
    if (!code->used_by_grant.empty()) {
        // §4.1.2: used twice, the code revokes the tokens it gave.
        guard.unlock();
        revoke_grant(code->used_by_grant, now);
        return fail(oauth_errc::invalid_grant, "code already used");
    }
    if (code->redirect_uri != *r.redirect_uri) return fail(oauth_errc::invalid_grant, "redirect_uri mismatch");
    // RFC 7636 §4.6; a verifier without a challenge is refused too (no
    // downgrade of a PKCE client by a code thief).
    if (!code->code_challenge.empty()) {
        if (!r.code_verifier || !pkce_text_valid(*r.code_verifier))
            return fail(oauth_errc::invalid_grant, "code_verifier is missing or malformed");
        if (!constant_time_equal(pkce_s256(crypto_, *r.code_verifier), code->code_challenge))
            return fail(oauth_errc::invalid_grant, "code_verifier does not match the code_challenge");
    } else if (r.code_verifier) {
        return fail(oauth_errc::invalid_grant, "no code_challenge was sent for this code");
    }
    // The session the code came from must still be open.
    if (!ports_.sessions.find_session(code->session_digest, now))
        return fail(oauth_errc::invalid_grant, "the session has ended");

    const scope_set scope = parse_scope(code->scope);
    oidc_grant g;
    g.id = random_token(crypto_, 16);
    g.client_id = client.client_id;
    g.identifier = code->identifier;
    g.session_digest = code->session_digest;
    g.scope = code->scope;
    g.auth_time = code->auth_time;
    g.created_at = now;
    g.expires_at = now + (scope.offline_access ? policy_.refresh_token_ttl : policy_.access_token_ttl);
    changes out;
    out.synced = false;
    code->used_by_grant = g.id;
    out.oidc.codes_put.push_back(*code);
    out.oidc.grants_put.push_back(g);
    out.oidc.services_put.push_back(oidc_service_use{g.identifier, g.client_id, now});
    token_response t = issue(g, code->nonce, scope, out, now);
    ports_.sink.apply(out);
    return t;
}

oauth_result<token_response> oidc_service::refresh(const oidc_client& client, const token_request& r, timestamp now) {
    if (!r.refresh_token || r.refresh_token->empty() || r.refresh_token->size() > 256)
        return fail(oauth_errc::invalid_request, "refresh_token is required");
    const std::string digest = crypto_.sha256(*r.refresh_token);
    const auto seen = repo_.find_refresh(digest, now);
    if (!seen) return fail(oauth_errc::invalid_grant, "unknown or expired refresh token");
    auto guard = repo_.lock_grant(seen->grant_id);
    auto rt = repo_.find_refresh(digest, now);
    auto g = repo_.find_grant(seen->grant_id, now);
    if (!rt || !g) return fail(oauth_errc::invalid_grant, "the refresh token was revoked");
    if (g->client_id != client.client_id) return fail(oauth_errc::invalid_grant, "refresh token of another client");
    if (rt->rotated) {
        // Reuse of a rotated token: someone holds a copy. The family goes.
        changes out;
        out.oidc.grants_deleted.push_back(*g);
        ports_.sink.apply(out);
        return fail(oauth_errc::invalid_grant, "refresh token reused: every token of this grant is revoked");
    }
    const scope_set granted = parse_scope(g->scope);
    scope_set scope = granted;
    if (r.scope) {
        scope = parse_scope(*r.scope);
        if (!scope_within(scope, granted)) return fail(oauth_errc::invalid_scope, "scope wider than granted");
        scope.offline_access = granted.offline_access;  // the family keeps refreshing
    }
    changes out;
    out.synced = false;
    rt->rotated = true;
    out.oidc.refresh_put.push_back(*rt);
    g->expires_at = now + policy_.refresh_token_ttl;
    out.oidc.grants_put.push_back(*g);
    token_response t = issue(*g, {}, scope, out, now);
    ports_.sink.apply(out);
    return t;
}

token_response oidc_service::issue(const oidc_grant& g, const std::string& nonce, const scope_set& scope,
                                   changes& out, timestamp now) {
    const std::int64_t now_s = seconds_of(now);
    const std::int64_t ttl_s = std::chrono::duration_cast<std::chrono::seconds>(policy_.access_token_ttl).count();
    const std::string sub = pairwise_sub(crypto_, secret_, g.client_id, g.identifier);
    token_claims id;
    id.typ = "JWT";
    id.iss = policy_.issuer;
    id.sub = sub;
    id.aud = g.client_id;
    id.iat = now_s;
    id.exp = now_s + ttl_s;
    id.auth_time = seconds_of(g.auth_time);
    id.nonce = nonce;
    id.sid = g.id;
    // RFC 9068: the resource is Sésame itself (userinfo), so aud is the
    // issuer, which an ID token check (aud = client_id) refuses.
    token_claims at = id;
    at.typ = "at+jwt";
    at.aud = policy_.issuer;
    at.nonce.clear();
    at.client_id = g.client_id;
    at.scope = to_string(scope);
    at.jti = random_token(crypto_, 16);
    token_response t;
    t.id_token = jwt_.sign(id, current_kid_, current_private_);
    t.access_token = jwt_.sign(at, current_kid_, current_private_);
    t.expires_in = ttl_s;
    t.scope = at.scope;
    if (scope.offline_access) {
        t.refresh_token = random_token(crypto_, 32);
        out.oidc.refresh_put.push_back(
            oidc_refresh{crypto_.sha256(t.refresh_token), g.id, now, now + policy_.refresh_token_ttl, false});
    }
    return t;
}

// ---- userinfo (OIDC Core §5.3, RFC 6750) ----------------------------------------

std::optional<token_claims> oidc_service::verified(std::string_view token, timestamp now) {
    if (token.empty() || token.size() > 4096) return std::nullopt;
    auto c = jwt_.verify(token, jwks(now));
    if (!c || c->iss != policy_.issuer) return std::nullopt;
    return c;
}

oauth_result<userinfo> oidc_service::user_info(std::string_view access_token, timestamp now) {
    const auto c = verified(access_token, now);
    if (!c || c->typ != "at+jwt" || c->aud != policy_.issuer || c->exp <= seconds_of(now))
        return fail(oauth_errc::invalid_token, "the access token is invalid or expired");
    const auto g = repo_.find_grant(c->sid, now);
    if (!g || g->client_id != c->client_id) return fail(oauth_errc::invalid_token, "the access token was revoked");
    const auto acc = ports_.accounts.find_account(g->identifier);
    if (!acc || acc->staff) return fail(oauth_errc::invalid_token, "the access token was revoked");
    const scope_set scope = parse_scope(c->scope);
    userinfo u;
    u.sub = c->sub;
    if (scope.profile) {
        u.given_name = acc->first_name;
        u.family_name = acc->last_name;
        u.preferred_username = acc->identifier;
    }
    if (scope.email && !acc->email.empty() && acc->email_validated) {
        u.email = acc->email;
        u.email_verified = true;
    }
    if (scope.school) {
        u.user_type = acc->prof == profile::parent ? "parent" : "eleve";
        u.establishment = acc->establishment;
        u.academie = acc->academie.empty() ? std::string(academie_for_uai(acc->establishment)) : acc->academie;
        if (acc->prof == profile::eleve) u.class_name = acc->class_name;
        if (acc->prof == profile::parent) {
            u.children.emplace();
            for (const auto& external : acc->children) {
                const auto id = ports_.accounts.identifier_by_external_id(acc->establishment, external);
                const auto child = id ? ports_.accounts.find_account(*id) : std::nullopt;
                if (!child) continue;
                u.children->push_back(userinfo_child{pairwise_sub(crypto_, secret_, g->client_id, child->identifier),
                                                     child->first_name, child->last_name, child->establishment,
                                                     child->class_name});
            }
        }
    }
    return u;
}

// ---- logout (RP-Initiated Logout 1.0 §2, §3) ------------------------------------

logout_outcome oidc_service::logout(const logout_request& r, timestamp now) {
    logout_outcome out;
    auto page = [&](logout_outcome::kind_t k, std::string message) {
        out.kind = k;
        out.message = std::move(message);
        return out;
    };
    if (too_long(r.id_token_hint) || too_long(r.post_logout_redirect_uri) || too_long(r.state) ||
        too_long(r.client_id))
        return page(logout_outcome::error_page, "La demande de déconnexion n'est pas valide.");
    // The hint may have expired (§2: the OP accepts it); its signature and
    // issuer must hold.
    std::optional<token_claims> hint;
    if (r.id_token_hint) {
        hint = verified(*r.id_token_hint, now);
        if (!hint || hint->typ != "JWT")
            return page(logout_outcome::error_page,
                        "La demande de déconnexion vient d'un service que Sésame ne reconnaît pas.");
    }
    std::string client_id = hint ? hint->aud : r.client_id.value_or("");
    if (hint && r.client_id && *r.client_id != hint->aud)
        return page(logout_outcome::error_page, "La demande de déconnexion n'est pas cohérente.");
    const auto client = client_id.empty() ? std::nullopt : repo_.find_client(client_id);
    if (!client_id.empty() && !client)
        return page(logout_outcome::error_page, "Le service qui demande la déconnexion n'est pas connu de Sésame.");

    const auto session =
        r.session_token.empty() || r.session_token.size() > 128
            ? std::nullopt
            : ports_.sessions.find_session(crypto_.sha256(r.session_token), now);
    const auto grant = hint ? repo_.find_grant(hint->sid, now) : std::nullopt;
    // Without a valid hint anybody could link here: the user confirms (§2).
    if (!hint && session && !r.confirmed) return page(logout_outcome::confirm, {});

    changes c;
    if (session) c.sessions_deleted.push_back(*session);
    if (grant) {
        c.oidc.grants_deleted.push_back(*grant);
        if (auto s = ports_.sessions.find_session(grant->session_digest, now); s && (!session || s->digest != session->digest))
            c.sessions_deleted.push_back(*s);
    }
    for (const auto& s : c.sessions_deleted)
        c.add_journal(s.identifier, logout_line(r.client, now,
                                               client ? "Déconnexion depuis le service « " + client->name + " »."
                                                      : std::string("Déconnexion depuis un service.")));
    if (!c.empty()) {
        ports_.sink.apply(c);
        out.session_ended = !c.sessions_deleted.empty();
    }

    if (r.post_logout_redirect_uri) {
        if (client && uri_registered(client->post_logout_redirect_uris, *r.post_logout_redirect_uri)) {
            std::vector<std::pair<std::string, std::string>> params;
            if (r.state) params.emplace_back("state", *r.state);
            out.kind = logout_outcome::redirect;
            out.location = with_query(*r.post_logout_redirect_uri, params);
            return out;
        }
        return page(logout_outcome::done,
                    "Vous êtes déconnecté de Sésame. L'adresse de retour demandée n'est pas enregistrée pour ce "
                    "service : vous pouvez fermer cette page.");
    }
    return page(logout_outcome::done, "Vous êtes déconnecté de Sésame. Vous pouvez fermer cette page.");
}

// ---- services ---------------------------------------------------------------------

std::vector<service_view> oidc_service::services(const authenticated& who, timestamp now) {
    std::vector<service_view> out;
    const auto grants = repo_.grants_of(who.acc.identifier, now);
    for (const auto& use : repo_.services_of(who.acc.identifier, now)) {
        const auto client = repo_.find_client(use.client_id);
        if (!client) continue;
        const bool active = std::any_of(grants.begin(), grants.end(),
                                        [&](const oidc_grant& g) { return g.client_id == use.client_id; });
        out.push_back(service_view{client->client_id, client->name, use.last_at, active});
    }
    std::sort(out.begin(), out.end(),
              [](const service_view& a, const service_view& b) { return a.last_signed_in_at > b.last_signed_in_at; });
    return out;
}

// ---- admin routes -----------------------------------------------------------------

audit_entry oidc_service::audit_line(const staff_caller& who, const char* action, std::string target,
                                     std::string detail, timestamp now) const {
    audit_entry e;
    e.at = now;
    e.actor = who.acc.identifier;
    e.role = to_string(who.info().role);
    e.action = action;
    e.target = std::move(target);
    e.ip = who.client.ip;
    e.detail = std::move(detail);
    return e;
}

std::optional<domain_error> oidc_service::refuse_unless_admin(const staff_caller& who, const char* action,
                                                              std::string target, timestamp now) {
    if (who.info().role == staff_role::admin) return std::nullopt;
    changes out;
    out.synced = false;
    out.audit.push_back(audit_line(who, action, std::move(target), "Refusé : réservé aux administrateurs.", now));
    ports_.sink.apply(out);
    return make_error(errc::forbidden, "Seul un administrateur gère les services connectés à Sésame.");
}

result<registered_client> oidc_service::create_client(const staff_caller& who, const client_registration& r,
                                                      timestamp now) {
    if (auto no = refuse_unless_admin(who, "oidc_client.create", r.name.substr(0, 64), now)) return *no;
    auto made = make_client(r, crypto_, now);
    if (auto* e = std::get_if<domain_error>(&made)) return *e;
    auto& reg = std::get<registered_client>(made);
    changes out;
    out.oidc.clients_put.push_back(reg.client);
    out.audit.push_back(audit_line(who, "oidc_client.create", reg.client.client_id,
                                   "Service « " + reg.client.name + " » enregistré (" +
                                       (reg.client.is_public ? "public" : "confidentiel") + ").",
                                   now));
    ports_.sink.apply(out);
    return std::move(reg);
}

result<std::vector<oidc_client>> oidc_service::list_clients(const staff_caller& who, timestamp now) {
    if (auto no = refuse_unless_admin(who, "oidc_client.list", {}, now)) return *no;
    changes out;
    out.synced = false;
    out.audit.push_back(audit_line(who, "oidc_client.list", {}, "Liste des services consultée.", now));
    ports_.sink.apply(out);
    return repo_.clients();
}

status oidc_service::delete_client(const staff_caller& who, std::string_view client_id, timestamp now) {
    const std::string id(client_id.substr(0, 128));
    if (auto no = refuse_unless_admin(who, "oidc_client.delete", id, now)) return *no;
    const auto client = id.empty() ? std::nullopt : repo_.find_client(id);
    if (!client) return make_error(errc::not_found, "Aucun service ne porte cet identifiant.");
    changes out;
    out.oidc.clients_deleted.push_back(id);
    out.audit.push_back(audit_line(who, "oidc_client.delete", id, "Service « " + client->name + " » supprimé.", now));
    ports_.sink.apply(out);
    return ok_v;
}

}  // namespace sesame
