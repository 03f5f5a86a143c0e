#include "net/account_routes.hpp"

#include <boost/json/array.hpp>

#include "core/contact.hpp"
#include "net/blocking.hpp"
#include "net/hashing.hpp"

namespace sesame::net {

namespace json = boost::json;
using boost::asio::awaitable;

namespace {

json::object me_body(const account& a) {
    json::object o;
    o["identifier"] = a.identifier;
    o["profile"] = to_string(a.prof);
    o["first_name"] = a.first_name;
    o["last_name"] = a.last_name;
    o["establishment"] = a.establishment;
    o["phone_masked"] = a.phone ? json::value(mask_phone(*a.phone)) : json::value(nullptr);
    // An address waiting for its confirmation link shows as not validated;
    // until confirmed, the previous validated one keeps receiving recovery mail.
    const std::string& shown = a.pending_email.empty() ? a.email : a.pending_email;
    o["email"] = shown.empty() ? json::value(nullptr) : json::value(shown);
    o["email_validated"] = a.pending_email.empty() && a.email_validated;
    o["must_change_password"] = a.must_change_password;
    add_staff_fields(o, a.staff);
    return o;
}

awaitable<response> post_session(api_context& ctx, request& req) {
    auto body = parse_json_object(req.body);
    if (!body) co_return error_response(body.error());
    auto identifier = required_string(*body, "identifier", 256);
    if (!identifier) co_return error_response(identifier.error());
    auto password = required_string(*body, "password", 4096);
    if (!password) co_return error_response(password.error());
    auto otp = optional_string(*body, "otp", 16);
    if (!otp) co_return error_response(otp.error());

    login_input in{std::move(*identifier), std::move(*password), std::move(*otp), client_of(req)};
    auto task = [&ctx, &in] { return ctx.accounts.login(in, ctx.clock.now()); };
    auto outcome = co_await run_hashing(ctx.hashing, std::move(task));
    if (!outcome) co_return overloaded_response(ctx);
    if (!*outcome) co_return error_response(outcome->error());
    const login_success& ok = outcome->value();
    json::object o;
    o["identifier"] = ok.acc.identifier;
    o["profile"] = to_string(ok.acc.prof);
    o["first_name"] = ok.acc.first_name;
    o["last_name"] = ok.acc.last_name;
    o["must_change_password"] = ok.acc.must_change_password;
    o["expires_at"] = format_rfc3339(ok.expires_at);
    add_staff_fields(o, ok.acc.staff);
    response r = json_response(200, o);
    r.headers.emplace_back("Set-Cookie", session_cookie(ok.token, ctx.accounts.policy().session_absolute,
                                                        ctx.secure_cookies || req.secure));
    co_return r;
}

awaitable<response> delete_session(api_context& ctx, request& req) {
    const std::string token(req.cookie_value(session_cookie_name));
    if (!token.empty()) {
        auto task = [&ctx, &token] { ctx.accounts.logout(token, ctx.clock.now()); };
        co_await run_blocking(ctx.blocking, std::move(task));
    }
    response r = response::no_content();
    r.headers.emplace_back("Set-Cookie", cleared_session_cookie(ctx.secure_cookies || req.secure));
    co_return r;
}

awaitable<response> get_me(api_context& ctx, request& req) {
    auto who = co_await require_session(ctx, req, true);
    if (!who) co_return error_response(who.error());
    co_return json_response(200, me_body(who->acc));
}

awaitable<response> post_me_password(api_context& ctx, request& req) {
    auto who = co_await require_session(ctx, req, true);
    if (!who) co_return error_response(who.error());
    auto body = parse_json_object(req.body);
    if (!body) co_return error_response(body.error());
    auto current = required_string(*body, "current_password", 4096);
    if (!current) co_return error_response(current.error());
    auto next = required_string(*body, "new_password", 4096);
    if (!next) co_return error_response(next.error());
    password_change_input in{std::move(*current), std::move(*next), client_of(req)};
    auto task = [&ctx, &who, &in] { return ctx.accounts.change_password(*who, in, ctx.clock.now()); };
    auto outcome = co_await run_hashing(ctx.hashing, std::move(task));
    if (!outcome) co_return overloaded_response(ctx);
    if (!*outcome) co_return error_response(outcome->error());
    co_return response::no_content();
}

awaitable<response> get_sessions(api_context& ctx, request& req) {
    auto who = co_await require_session(ctx, req);
    if (!who) co_return error_response(who.error());
    auto task = [&ctx, &who] { return ctx.accounts.sessions(*who, ctx.clock.now()); };
    const auto list = co_await run_blocking(ctx.blocking, std::move(task));
    json::array arr;
    for (const auto& s : list) {
        json::object o;
        o["id"] = s.public_id();
        o["created_at"] = format_rfc3339(s.created_at);
        o["last_seen_at"] = format_rfc3339(s.last_seen_at);
        o["ip"] = s.ip;
        o["user_agent"] = s.user_agent;
        o["current"] = s.digest == who->session.digest;
        arr.push_back(std::move(o));
    }
    json::object o;
    o["sessions"] = std::move(arr);
    co_return json_response(200, o);
}

awaitable<response> delete_one_session(api_context& ctx, request& req) {
    auto who = co_await require_session(ctx, req);
    if (!who) co_return error_response(who.error());
    const std::string id(req.param("id"));
    const client_info client = client_of(req);
    auto task = [&ctx, &who, &id, &client] { return ctx.accounts.revoke_session(*who, id, client, ctx.clock.now()); };
    const status st = co_await run_blocking(ctx.blocking, std::move(task));
    if (!st) co_return error_response(st.error());
    co_return response::no_content();
}

awaitable<response> delete_other_sessions(api_context& ctx, request& req) {
    auto who = co_await require_session(ctx, req);
    if (!who) co_return error_response(who.error());
    const client_info client = client_of(req);
    auto task = [&ctx, &who, &client] { ctx.accounts.revoke_other_sessions(*who, client, ctx.clock.now()); };
    co_await run_blocking(ctx.blocking, std::move(task));
    co_return response::no_content();
}

awaitable<response> get_activity(api_context& ctx, request& req) {
    auto who = co_await require_session(ctx, req);
    if (!who) co_return error_response(who.error());
    auto page_query = parse_page_query(req);
    if (!page_query) co_return error_response(page_query.error());
    auto task = [&ctx, &who, &page_query] {
        return ctx.accounts.activity(*who, page_query->limit, page_query->before, ctx.clock.now());
    };
    const journal_page page = co_await run_blocking(ctx.blocking, std::move(task));
    co_return json_response(200, journal_body(page));
}

}  // namespace

void add_account_routes(router& r, api_context& ctx) {
    r.add(method::post, "/api/v1/session", bind_to<api_context, post_session>(ctx));
    r.add(method::del, "/api/v1/session", bind_to<api_context, delete_session>(ctx), {0, false});
    r.add(method::get, "/api/v1/me", bind_to<api_context, get_me>(ctx));
    r.add(method::post, "/api/v1/me/password", bind_to<api_context, post_me_password>(ctx));
    r.add(method::get, "/api/v1/me/sessions", bind_to<api_context, get_sessions>(ctx));
    r.add(method::del, "/api/v1/me/sessions", bind_to<api_context, delete_other_sessions>(ctx), {0, false});
    r.add(method::del, "/api/v1/me/sessions/{id}", bind_to<api_context, delete_one_session>(ctx), {0, false});
    r.add(method::get, "/api/v1/me/activity", bind_to<api_context, get_activity>(ctx));
}

}  // namespace sesame::net
