#include "net/recovery_routes.hpp"

#include <boost/json/array.hpp>

#include "core/account_row.hpp"
#include "net/blocking.hpp"
#include "net/hashing.hpp"

namespace sesame::net {

namespace json = boost::json;
using boost::asio::awaitable;

namespace {

std::int64_t seconds_of(duration d) { return ceil_seconds(d); }

result<profile> profile_field(const json::object& body) {
    auto p = required_string(body, "profile", 16);
    if (!p) return p.error();
    auto parsed = parse_profile(*p);
    if (!parsed) return invalid_field("profile", "Le profil doit être « parent » ou « eleve ».");
    return *parsed;
}

json::object started_body(const flow_started& s, bool with_channel) {
    json::object o;
    o["flow_id"] = s.flow_id;
    o["reference"] = s.reference;
    if (with_channel) o["channel"] = to_string(s.ch);
    o["expires_in"] = seconds_of(s.expires_in);
    return o;
}

awaitable<response> post_identifier(recovery_context& ctx, request& req) {
    auto body = parse_json_object(req.body);
    if (!body) co_return error_response(body.error());
    auto prof = profile_field(*body);
    if (!prof) co_return error_response(prof.error());
    const char* field = *prof == profile::parent ? "phone" : "email";
    auto contact = required_string(*body, field, 256);
    if (!contact) co_return error_response(contact.error());
    const client_info client = client_of(req);
    const profile p = *prof;
    auto task = [&ctx, p, &contact, &client] {
        return ctx.recovery.request_identifier(p, *contact, client, ctx.api.clock.now());
    };
    auto res = co_await run_hot(ctx.api, std::move(task));
    if (!res) co_return error_response(res.error());
    json::object o;
    o["reference"] = res->reference;
    o["message"] = p == profile::parent
                       ? "Si ce numéro de mobile est celui d'un compte parent activé, vous allez recevoir votre "
                         "identifiant par SMS."
                       : "Si cette adresse e-mail est celle, validée, d'un compte élève, vous allez recevoir votre "
                         "identifiant par e-mail.";
    co_return json_response(202, o);
}

awaitable<response> post_password_request(recovery_context& ctx, request& req) {
    auto body = parse_json_object(req.body);
    if (!body) co_return error_response(body.error());
    auto identifier = required_string(*body, "identifier", 256);
    if (!identifier) co_return error_response(identifier.error());
    auto prof = profile_field(*body);
    if (!prof) co_return error_response(prof.error());
    const client_info client = client_of(req);
    const profile p = *prof;
    auto task = [&ctx, &identifier, p, &client] {
        return ctx.recovery.request_password_reset(*identifier, p, client, ctx.api.clock.now());
    };
    auto res = co_await run_hot(ctx.api, std::move(task));
    if (!res) co_return error_response(res.error());
    co_return json_response(202, started_body(*res, true));
}

awaitable<response> resend_flow(recovery_context& ctx, request& req, flow_kind kind) {
    const std::string flow_id(req.param("flow_id"));
    const client_info client = client_of(req);
    auto task = [&ctx, &flow_id, kind, &client] { return ctx.recovery.resend(flow_id, kind, client, ctx.api.clock.now()); };
    auto res = co_await run_hot(ctx.api, std::move(task));
    if (!res) co_return error_response(res.error());
    json::object o;
    o["expires_in"] = seconds_of(*res);
    co_return json_response(202, o);
}

awaitable<response> post_password_resend(recovery_context& ctx, request& req) {
    return resend_flow(ctx, req, flow_kind::password_reset);
}
awaitable<response> post_activation_resend(recovery_context& ctx, request& req) {
    return resend_flow(ctx, req, flow_kind::activation);
}

awaitable<response> verify_flow(recovery_context& ctx, request& req, flow_kind kind) {
    auto body = parse_json_object(req.body);
    if (!body) co_return error_response(body.error());
    auto code = optional_string(*body, "code", 32);
    if (!code) co_return error_response(code.error());
    std::optional<std::string> token;
    if (kind == flow_kind::password_reset) {
        auto t = optional_string(*body, "token", 256);
        if (!t) co_return error_response(t.error());
        token = std::move(*t);
    }
    if (!*code && !token)
        co_return error_response(invalid_field("code", "Saisissez le code à 6 chiffres reçu."));
    const std::string flow_id(req.param("flow_id"));
    const client_info client = client_of(req);
    auto task = [&ctx, &flow_id, kind, &code, &token, &client] {
        std::optional<std::string_view> c, t;
        if (*code) c = **code;
        if (token) t = *token;
        return ctx.recovery.verify(flow_id, kind, c, t, client, ctx.api.clock.now());
    };
    auto res = co_await run_hot(ctx.api, std::move(task));
    if (!res) co_return error_response(res.error());
    json::object o;
    if (kind == flow_kind::password_reset) {
        o["reset_token"] = res->token;
    } else {
        o["activation_token"] = res->token;
        o["children"] = res->children;
    }
    o["expires_in"] = seconds_of(res->expires_in);
    co_return json_response(200, o);
}

awaitable<response> post_password_verify(recovery_context& ctx, request& req) {
    return verify_flow(ctx, req, flow_kind::password_reset);
}
awaitable<response> post_activation_verify(recovery_context& ctx, request& req) {
    return verify_flow(ctx, req, flow_kind::activation);
}

awaitable<response> post_password_reset(recovery_context& ctx, request& req) {
    auto body = parse_json_object(req.body);
    if (!body) co_return error_response(body.error());
    auto token = required_string(*body, "reset_token", 256);
    if (!token) co_return error_response(token.error());
    auto password = required_string(*body, "new_password", 4096);
    if (!password) co_return error_response(password.error());
    const client_info client = client_of(req);
    auto task = [&ctx, &token, &password, &client] {
        return ctx.recovery.reset_password(*token, *password, client, ctx.api.clock.now());
    };
    auto res = co_await run_hashing(ctx.api.hashing, std::move(task));
    if (!res) co_return overloaded_response(ctx.api);
    if (!*res) co_return error_response(res->error());
    co_return response::no_content();
}

awaitable<response> post_activation(recovery_context& ctx, request& req) {
    auto body = parse_json_object(req.body);
    if (!body) co_return error_response(body.error());
    auto phone = required_string(*body, "phone", 64);
    if (!phone) co_return error_response(phone.error());
    const client_info client = client_of(req);
    auto task = [&ctx, &phone, &client] { return ctx.recovery.request_activation(*phone, client, ctx.api.clock.now()); };
    auto res = co_await run_hot(ctx.api, std::move(task));
    if (!res) co_return error_response(res.error());
    co_return json_response(202, started_body(*res, false));
}

awaitable<response> post_activation_complete(recovery_context& ctx, request& req) {
    auto body = parse_json_object(req.body);
    if (!body) co_return error_response(body.error());
    auto token = required_string(*body, "activation_token", 256);
    if (!token) co_return error_response(token.error());
    auto password = required_string(*body, "new_password", 4096);
    if (!password) co_return error_response(password.error());
    auto first_name = optional_string(*body, "first_name", 200);
    if (!first_name) co_return error_response(first_name.error());
    activation_input in;
    const auto* dates = body->if_contains("children_birth_dates");
    if (!dates || !dates->is_array() || dates->as_array().size() > 30)
        co_return error_response(invalid_field("children_birth_dates",
                                               "Indiquez les dates de naissance de vos enfants (AAAA-MM-JJ)."));
    for (const auto& d : dates->as_array()) {
        std::optional<std::chrono::year_month_day> ymd;
        if (d.is_string()) ymd = parse_iso_date(std::string_view(d.as_string().data(), d.as_string().size()));
        if (!ymd)
            co_return error_response(invalid_field("children_birth_dates",
                                                   "Chaque date de naissance doit être au format AAAA-MM-JJ."));
        in.birth_dates.push_back(*ymd);
    }
    in.token = std::move(*token);
    in.new_password = std::move(*password);
    in.first_name = std::move(*first_name);
    in.client = client_of(req);
    auto task = [&ctx, &in] { return ctx.recovery.complete_activation(in, ctx.api.clock.now()); };
    auto res = co_await run_hashing(ctx.api.hashing, std::move(task));
    if (!res) co_return overloaded_response(ctx.api);
    if (!*res) co_return error_response(res->error());
    const login_success& ok = res->value();
    json::object o;
    o["identifier"] = ok.acc.identifier;
    response r = json_response(200, o);
    r.headers.emplace_back("Set-Cookie", session_cookie(ok.token, ctx.api.accounts.policy().session_absolute,
                                                        ctx.api.secure_cookies || req.secure));
    co_return r;
}

awaitable<response> post_me_email(recovery_context& ctx, request& req) {
    auto who = co_await require_session(ctx.api, req);
    if (!who) co_return error_response(who.error());
    auto body = parse_json_object(req.body);
    if (!body) co_return error_response(body.error());
    auto email = required_string(*body, "email", 320);
    if (!email) co_return error_response(email.error());
    const client_info client = client_of(req);
    auto task = [&ctx, &who, &email, &client] {
        return ctx.recovery.request_email_change(*who, *email, client, ctx.api.clock.now());
    };
    const status st = co_await run_hot(ctx.api, std::move(task));
    if (!st) co_return error_response(st.error());
    json::object o;
    o["message"] = "Un lien de confirmation a été envoyé à cette adresse.";
    co_return json_response(202, o);
}

awaitable<response> post_email_confirm(recovery_context& ctx, request& req) {
    auto body = parse_json_object(req.body);
    if (!body) co_return error_response(body.error());
    auto token = required_string(*body, "token", 256);
    if (!token) co_return error_response(token.error());
    const client_info client = client_of(req);
    auto task = [&ctx, &token, &client] { return ctx.recovery.confirm_email(*token, client, ctx.api.clock.now()); };
    auto res = co_await run_hot(ctx.api, std::move(task));
    if (!res) co_return error_response(res.error());
    json::object o;
    o["email"] = *res;
    co_return json_response(200, o);
}

}  // namespace

void add_recovery_routes(router& r, recovery_context& ctx) {
    r.add(method::post, "/api/v1/recovery/identifier", bind_to<recovery_context, post_identifier>(ctx));
    r.add(method::post, "/api/v1/recovery/password", bind_to<recovery_context, post_password_request>(ctx));
    r.add(method::post, "/api/v1/recovery/password/reset", bind_to<recovery_context, post_password_reset>(ctx));
    r.add(method::post, "/api/v1/recovery/password/{flow_id}/resend", bind_to<recovery_context, post_password_resend>(ctx));
    r.add(method::post, "/api/v1/recovery/password/{flow_id}/verify", bind_to<recovery_context, post_password_verify>(ctx));
    r.add(method::post, "/api/v1/activation", bind_to<recovery_context, post_activation>(ctx));
    r.add(method::post, "/api/v1/activation/complete", bind_to<recovery_context, post_activation_complete>(ctx));
    r.add(method::post, "/api/v1/activation/{flow_id}/resend", bind_to<recovery_context, post_activation_resend>(ctx));
    r.add(method::post, "/api/v1/activation/{flow_id}/verify", bind_to<recovery_context, post_activation_verify>(ctx));
    r.add(method::post, "/api/v1/me/email", bind_to<recovery_context, post_me_email>(ctx));
    r.add(method::post, "/api/v1/email/confirm", bind_to<recovery_context, post_email_confirm>(ctx));
}

}  // namespace sesame::net
