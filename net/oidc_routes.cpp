#include "net/oidc_routes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "core/notifications.hpp"
#include "net/blocking.hpp"
#include "net/oidc_request.hpp"

namespace sesame::net {

namespace json = boost::json;
using boost::asio::awaitable;

namespace {

// A French page of the portal's kind, never cached.
response page(unsigned status, std::string_view title, std::string_view message, std::string_view extra = {}) {
    std::string body =
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
        "content=\"width=device-width, initial-scale=1\"><title>";
    body += html_escape(title);
    body += " — Sésame</title></head><body><main><h1>";
    body += html_escape(title);
    body += "</h1><p>";
    body += html_escape(message);
    body += "</p>";
    body += extra;
    body += "<p><a href=\"/\">Retour à l'accueil de Sésame</a></p></main></body></html>";
    response r = response::text(status, std::move(body), "text/html; charset=utf-8");
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
}

response redirect_to(std::string location) {
    response r;
    r.status = 302;
    r.content_type.clear();
    r.headers.emplace_back("Location", std::move(location));
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
}

response no_store_json(unsigned status, const json::object& o) {
    response r = json_response(status, o);
    r.headers.emplace_back("Cache-Control", "no-store");
    r.headers.emplace_back("Pragma", "no-cache");
    return r;
}

// RFC 6749 §5.2 (token endpoint) errors: 400, or 401 with WWW-Authenticate
// for invalid_client (§5.2: "MUST ... include the WWW-Authenticate").
response token_error(const oauth_error& e) {
    json::object o;
    o["error"] = to_string(e.code);
    if (!e.description.empty()) o["error_description"] = e.description;
    response r = no_store_json(e.code == oauth_errc::invalid_client ? 401 : 400, o);
    if (e.code == oauth_errc::invalid_client) r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"sesame\"");
    return r;
}

// RFC 6750 §3: 401 with the Bearer challenge.
response bearer_error(std::optional<oauth_error> e) {
    std::string challenge = "Bearer realm=\"sesame\"";
    json::object o;
    if (e) {
        challenge += ", error=\"" + std::string(to_string(e->code)) + "\", error_description=\"" + e->description + "\"";
        o["error"] = to_string(e->code);
        o["error_description"] = e->description;
    } else {
        o["error"] = "invalid_token";
        o["error_description"] = "a Bearer access token is required";
    }
    response r = no_store_json(e && e->code == oauth_errc::invalid_request ? 400 : 401, o);
    r.headers.emplace_back("WWW-Authenticate", std::move(challenge));
    return r;
}

bool is_form(const request& req) { return req.media_type() == "application/x-www-form-urlencoded"; }

awaitable<response> get_discovery(oidc_context& ctx, request&) {
    const std::string& issuer = ctx.oidc.policy().issuer;
    std::string iss = issuer;  // the endpoints' base: without a trailing '/'
    while (!iss.empty() && iss.back() == '/') iss.pop_back();
    auto strings = [](std::initializer_list<const char*> items) {
        json::array a;
        for (const char* i : items) a.emplace_back(i);
        return a;
    };
    json::object o;
    o["issuer"] = issuer;
    o["authorization_endpoint"] = iss + "/oidc/authorize";
    o["token_endpoint"] = iss + "/oidc/token";
    o["userinfo_endpoint"] = iss + "/oidc/userinfo";
    o["jwks_uri"] = iss + "/oidc/jwks";
    o["end_session_endpoint"] = iss + "/oidc/logout";
    o["response_types_supported"] = strings({"code"});
    o["response_modes_supported"] = strings({"query"});
    o["grant_types_supported"] = strings({"authorization_code", "refresh_token"});
    o["subject_types_supported"] = strings({"pairwise"});
    o["id_token_signing_alg_values_supported"] = strings({"ES256"});
    o["code_challenge_methods_supported"] = strings({"S256"});
    o["token_endpoint_auth_methods_supported"] = strings({"client_secret_basic", "client_secret_post", "none"});
    o["scopes_supported"] = strings({"openid", "profile", "email", "school", "offline_access"});
    o["claims_supported"] =
        strings({"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid", "given_name", "family_name",
                 "preferred_username", "email", "email_verified", "user_type", "establishment", "academie", "class",
                 "children"});
    o["prompt_values_supported"] = strings({"none", "login"});
    o["authorization_response_iss_parameter_supported"] = true;
    o["claims_parameter_supported"] = false;
    o["request_parameter_supported"] = false;
    o["request_uri_parameter_supported"] = false;
    response r = json_response(200, o);
    r.headers.emplace_back("Access-Control-Allow-Origin", "*");
    co_return r;
}

awaitable<response> get_jwks(oidc_context& ctx, request&) {
    json::array keys;
    for (const auto& k : ctx.oidc.jwks(ctx.api.clock.now())) {
        json::object o;
        o["kty"] = "EC";
        o["crv"] = "P-256";
        o["kid"] = k.kid;
        o["use"] = "sig";
        o["alg"] = "ES256";
        o["x"] = base64url(k.x);
        o["y"] = base64url(k.y);
        keys.push_back(std::move(o));
    }
    json::object o;
    o["keys"] = std::move(keys);
    response r = json_response(200, o);
    r.headers.emplace_back("Access-Control-Allow-Origin", "*");
    co_return r;
}

// OIDC Core §3.1.2.1: GET and POST (a form body). A cross-site POST carries
// no SameSite=Lax cookie, so it goes through the login page like a request
// without a session.
awaitable<response> get_authorize(oidc_context& ctx, request& req) {
    if (req.verb == method::post && !is_form(req))
        co_return page(400, "Demande de connexion invalide", "La demande de connexion est mal formée.");
    const auto params = parse_form(req.verb == method::post ? std::string_view(req.body) : req.query);
    if (!params)
        co_return page(400, "Demande de connexion invalide",
                       "La demande de connexion est mal formée (un paramètre est répété ou trop long).");
    const authorization_request ar = authorization_request_from(*params);
    const std::string token(req.cookie_value(session_cookie_name));
    const client_info client = client_of(req);
    auto task = [&ctx, &ar, &token, &client] {
        const timestamp now = ctx.api.clock.now();
        std::optional<authenticated> who;
        if (!token.empty())
            if (auto a = ctx.api.accounts.authenticate(token, client, now)) who = std::move(*a);
        return ctx.oidc.authorize(ar, who ? &*who : nullptr, now);
    };
    const authorize_outcome outcome = co_await run_blocking(ctx.api.blocking, std::move(task));
    if (const auto* r = std::get_if<authorize_redirect>(&outcome)) co_return redirect_to(r->location);
    if (const auto* e = std::get_if<authorize_error_page>(&outcome))
        co_return page(400, "Connexion impossible", e->message);
    // The login page comes back here (same origin: a path, never a URL).
    const auto& login = std::get<authorize_login>(outcome);
    const std::string back = "/oidc/authorize?" + login_return_query(*params, login.auth_after);
    co_return redirect_to("/?retour=" + percent_encode(back));
}

awaitable<response> post_token(oidc_context& ctx, request& req) {
    if (!is_form(req))
        co_return token_error({oauth_errc::invalid_request, "the body must be application/x-www-form-urlencoded"});
    const auto params = parse_form(req.body);
    if (!params) co_return token_error({oauth_errc::invalid_request, "malformed or repeated parameter"});
    const auto tr = token_request_from(*params, req.authorization);
    if (!tr) co_return token_error({oauth_errc::invalid_client, "malformed Authorization header"});
    auto task = [&ctx, &tr] { return ctx.oidc.token(*tr, ctx.api.clock.now()); };
    const auto outcome = co_await run_blocking(ctx.api.blocking, std::move(task));
    if (const auto* e = std::get_if<oauth_error>(&outcome)) co_return token_error(*e);
    const auto& t = std::get<token_response>(outcome);
    json::object o;
    o["access_token"] = t.access_token;
    o["token_type"] = "Bearer";
    o["expires_in"] = t.expires_in;
    o["id_token"] = t.id_token;
    if (!t.refresh_token.empty()) o["refresh_token"] = t.refresh_token;
    o["scope"] = t.scope;
    response r = no_store_json(200, o);
    r.headers.emplace_back("Access-Control-Allow-Origin", "*");
    co_return r;
}

json::object userinfo_body(const userinfo& u) {
    json::object o;
    o["sub"] = u.sub;
    auto put = [&](const char* key, const std::optional<std::string>& v) {
        if (v) o[key] = *v;
    };
    put("given_name", u.given_name);
    put("family_name", u.family_name);
    put("preferred_username", u.preferred_username);
    put("email", u.email);
    if (u.email_verified) o["email_verified"] = *u.email_verified;
    put("user_type", u.user_type);
    put("establishment", u.establishment);
    put("academie", u.academie);
    put("class", u.class_name);
    if (u.children) {
        json::array children;
        for (const auto& c : *u.children) {
            json::object co;
            co["sub"] = c.sub;
            co["given_name"] = c.given_name;
            co["family_name"] = c.family_name;
            co["establishment"] = c.establishment;
            co["class"] = c.class_name;
            children.push_back(std::move(co));
        }
        o["children"] = std::move(children);
    }
    return o;
}

awaitable<response> userinfo_handler(oidc_context& ctx, request& req) {
    std::optional<std::string> token = bearer_token(req.authorization);
    // RFC 6750 §2.2: or in a form body, never both.
    if (req.verb == method::post && is_form(req)) {
        const auto params = parse_form(req.body);
        const auto in_body = params ? form_value(*params, "access_token") : std::nullopt;
        if (in_body && token)
            co_return bearer_error(oauth_error{oauth_errc::invalid_request, "one access token method only"});
        if (in_body) token = in_body;
    }
    if (!token) co_return bearer_error(std::nullopt);
    auto task = [&ctx, &token] { return ctx.oidc.user_info(*token, ctx.api.clock.now()); };
    const auto outcome = co_await run_blocking(ctx.api.blocking, std::move(task));
    if (const auto* e = std::get_if<oauth_error>(&outcome)) co_return bearer_error(*e);
    response r = json_response(200, userinfo_body(std::get<userinfo>(outcome)));
    r.headers.emplace_back("Cache-Control", "no-store");
    co_return r;
}

std::string confirm_form(const form_params& p) {
    std::string f = "<form method=\"post\" action=\"/oidc/logout\">";
    for (const auto& [k, v] : p) {
        if (k != "post_logout_redirect_uri" && k != "state" && k != "client_id" && k != "id_token_hint") continue;
        f += "<input type=\"hidden\" name=\"" + html_escape(k) + "\" value=\"" + html_escape(v) + "\">";
    }
    f += "<input type=\"hidden\" name=\"confirm\" value=\"1\"><button type=\"submit\">Me déconnecter</button></form>";
    return f;
}

awaitable<response> logout_handler(oidc_context& ctx, request& req) {
    std::optional<form_params> params;
    if (req.verb == method::post) {
        if (!is_form(req)) co_return page(400, "Déconnexion impossible", "La demande de déconnexion est mal formée.");
        params = parse_form(req.body);
    } else {
        params = parse_form(req.query);
    }
    if (!params) co_return page(400, "Déconnexion impossible", "La demande de déconnexion est mal formée.");
    logout_request lr;
    lr.id_token_hint = form_value(*params, "id_token_hint");
    lr.post_logout_redirect_uri = form_value(*params, "post_logout_redirect_uri");
    lr.state = form_value(*params, "state");
    lr.client_id = form_value(*params, "client_id");
    lr.session_token = std::string(req.cookie_value(session_cookie_name));
    lr.confirmed = req.verb == method::post && form_value(*params, "confirm").has_value();
    lr.client = client_of(req);
    auto task = [&ctx, &lr] { return ctx.oidc.logout(lr, ctx.api.clock.now()); };
    const logout_outcome out = co_await run_blocking(ctx.api.blocking, std::move(task));
    response r;
    switch (out.kind) {
        case logout_outcome::redirect: r = redirect_to(out.location); break;
        case logout_outcome::done: r = page(200, "Vous êtes déconnecté", out.message); break;
        case logout_outcome::confirm:
            r = page(200, "Se déconnecter de Sésame ?",
                     "Un service demande à fermer votre session Sésame. Confirmez-vous la déconnexion ?",
                     confirm_form(*params));
            break;
        case logout_outcome::error_page: r = page(400, "Déconnexion impossible", out.message); break;
    }
    if (!lr.session_token.empty() && out.kind != logout_outcome::confirm && out.kind != logout_outcome::error_page)
        r.headers.emplace_back("Set-Cookie", cleared_session_cookie(ctx.api.secure_cookies || req.secure));
    co_return r;
}

awaitable<response> get_my_services(oidc_context& ctx, request& req) {
    auto who = co_await require_session(ctx.api, req);
    if (!who) co_return error_response(who.error());
    auto task = [&ctx, &who] { return ctx.oidc.services(*who, ctx.api.clock.now()); };
    const auto list = co_await run_blocking(ctx.api.blocking, std::move(task));
    json::array services;
    for (const auto& s : list) {
        json::object o;
        o["client_id"] = s.client_id;
        o["name"] = s.name;
        o["last_signed_in_at"] = format_rfc3339(s.last_signed_in_at);
        o["active"] = s.active;
        services.push_back(std::move(o));
    }
    json::object o;
    o["services"] = std::move(services);
    co_return json_response(200, o);
}

// ---- admin routes ----

json::array string_array(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

result<std::vector<std::string>> uri_list(const json::object& body, std::string_view key, bool required) {
    std::vector<std::string> out;
    const auto* v = body.if_contains(key);
    if (!v || v->is_null()) {
        if (required) return invalid_field(std::string(key), "Indiquez au moins une adresse de retour.");
        return out;
    }
    if (!v->is_array() || v->as_array().size() > 20)
        return invalid_field(std::string(key), "« " + std::string(key) + " » doit être une liste d'adresses.");
    for (const auto& item : v->as_array()) {
        if (!item.is_string() || item.as_string().size() > 2000)
            return invalid_field(std::string(key), "« " + std::string(key) + " » doit être une liste d'adresses.");
        out.emplace_back(item.as_string().data(), item.as_string().size());
    }
    return out;
}

awaitable<response> post_client(oidc_context& ctx, request& req) {
    auto caller = co_await require_staff(ctx.staff, req);
    if (!caller) co_return error_response(caller.error());
    auto body = parse_json_object(req.body);
    if (!body) co_return error_response(body.error());
    client_registration reg;
    auto name = required_string(*body, "name", 200);
    if (!name) co_return error_response(name.error());
    reg.name = std::move(*name);
    auto redirects = uri_list(*body, "redirect_uris", true);
    if (!redirects) co_return error_response(redirects.error());
    reg.redirect_uris = std::move(*redirects);
    auto post_logout = uri_list(*body, "post_logout_redirect_uris", false);
    if (!post_logout) co_return error_response(post_logout.error());
    reg.post_logout_redirect_uris = std::move(*post_logout);
    if (const auto* p = body->if_contains("public"); p && !p->is_null()) {
        if (!p->is_bool()) co_return error_response(invalid_field("public", "« public » doit être true ou false."));
        reg.is_public = p->as_bool();
    }
    auto task = [&ctx, &caller, &reg] { return ctx.oidc.create_client(*caller, reg, ctx.api.clock.now()); };
    const auto made = co_await run_blocking(ctx.api.blocking, std::move(task));
    if (!made) co_return error_response(made.error());
    json::object o;
    o["client_id"] = made->client.client_id;
    o["client_secret"] = made->secret.empty() ? json::value(nullptr) : json::value(made->secret);
    response r = json_response(201, o);
    co_return r;
}

awaitable<response> get_clients(oidc_context& ctx, request& req) {
    auto caller = co_await require_staff(ctx.staff, req);
    if (!caller) co_return error_response(caller.error());
    auto task = [&ctx, &caller] { return ctx.oidc.list_clients(*caller, ctx.api.clock.now()); };
    const auto list = co_await run_blocking(ctx.api.blocking, std::move(task));
    if (!list) co_return error_response(list.error());
    json::array clients;
    for (const auto& c : *list) {
        json::object o;
        o["client_id"] = c.client_id;
        o["name"] = c.name;
        o["redirect_uris"] = string_array(c.redirect_uris);
        o["post_logout_redirect_uris"] = string_array(c.post_logout_redirect_uris);
        o["public"] = c.is_public;
        o["created_at"] = format_rfc3339(c.created_at);
        clients.push_back(std::move(o));
    }
    json::object o;
    o["clients"] = std::move(clients);
    co_return json_response(200, o);
}

awaitable<response> delete_client(oidc_context& ctx, request& req) {
    auto caller = co_await require_staff(ctx.staff, req);
    if (!caller) co_return error_response(caller.error());
    const std::string id = percent_decode(req.param("client_id"), false);
    auto task = [&ctx, &caller, &id] { return ctx.oidc.delete_client(*caller, id, ctx.api.clock.now()); };
    const status st = co_await run_blocking(ctx.api.blocking, std::move(task));
    if (!st) co_return error_response(st.error());
    co_return response::no_content();
}

}  // namespace

void add_oidc_routes(router& r, oidc_context& ctx) {
    route_options form;  // form bodies, checked by the handlers
    form.json_body = false;
    route_options relying_party = form;  // called by relying parties, not by the portal
    relying_party.any_origin = true;
    r.add(method::get, "/.well-known/openid-configuration", bind_to<oidc_context, get_discovery>(ctx));
    r.add(method::get, "/oidc/jwks", bind_to<oidc_context, get_jwks>(ctx));
    r.add(method::get, "/oidc/authorize", bind_to<oidc_context, get_authorize>(ctx));
    r.add(method::post, "/oidc/authorize", bind_to<oidc_context, get_authorize>(ctx), relying_party);
    r.add(method::post, "/oidc/token", bind_to<oidc_context, post_token>(ctx), relying_party);
    r.add(method::get, "/oidc/userinfo", bind_to<oidc_context, userinfo_handler>(ctx), relying_party);
    r.add(method::post, "/oidc/userinfo", bind_to<oidc_context, userinfo_handler>(ctx), relying_party);
    r.add(method::get, "/oidc/logout", bind_to<oidc_context, logout_handler>(ctx));
    r.add(method::post, "/oidc/logout", bind_to<oidc_context, logout_handler>(ctx), form);
    r.add(method::get, "/api/v1/me/services", bind_to<oidc_context, get_my_services>(ctx));
    r.add(method::post, "/api/v1/admin/oidc/clients", bind_to<oidc_context, post_client>(ctx));
    r.add(method::get, "/api/v1/admin/oidc/clients", bind_to<oidc_context, get_clients>(ctx));
    r.add(method::del, "/api/v1/admin/oidc/clients/{client_id}", bind_to<oidc_context, delete_client>(ctx), {0, false});
}

}  // namespace sesame::net
