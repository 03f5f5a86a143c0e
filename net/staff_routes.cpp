#include "net/staff_routes.hpp"

#include <boost/json/array.hpp>

#include <cstdio>

#include "core/lockout.hpp"
#include "net/blocking.hpp"
#include "net/hashing.hpp"

namespace sesame::net {

namespace json = boost::json;
using boost::asio::awaitable;

namespace {

json::value text_or_null(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }

std::string iso_date(const std::chrono::year_month_day& d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(d.year()), unsigned(d.month()), unsigned(d.day()));
    return buf;
}

const char* status_of(const account& a, const lock_status& lock) {
    if (lock.locked) return "locked";
    return a.status == account_status::pending ? "pending" : "active";
}

json::object summary_body(const account& a, const lock_status& lock) {
    json::object o;
    o["identifier"] = a.identifier;
    o["profile"] = to_string(a.prof);
    o["first_name"] = a.first_name;
    o["last_name"] = a.last_name;
    o["establishment"] = a.establishment;
    o["class"] = text_or_null(a.class_name);
    o["status"] = status_of(a, lock);
    return o;
}

json::object diagnostic_body(const flow_diagnostic& d) {
    json::object o;
    o["reference"] = d.reference;
    o["kind"] = to_string(d.kind);
    o["created_at"] = format_rfc3339(d.created_at);
    o["ip"] = d.ip;
    o["user_agent"] = d.user_agent;
    o["channel"] = to_string(d.ch);
    o["destination"] = text_or_null(d.destination);
    o["state"] = d.state;
    o["outcome"] = to_string(d.outcome);
    o["detail"] = d.detail;
    o["failed_attempts"] = d.failed_attempts;
    json::array messages;
    for (const auto& m : d.messages) {
        json::object mo;
        mo["message_id"] = m.message_id;
        mo["channel"] = to_string(m.ch);
        mo["purpose"] = m.purpose;
        mo["destination"] = m.destination;
        mo["status"] = to_string(m.status);
        json::array attempts;
        for (const auto& a : m.attempts) {
            json::object ao;
            ao["at"] = format_rfc3339(a.at);
            ao["result"] = a.result;
            ao["detail"] = a.detail;
            attempts.push_back(std::move(ao));
        }
        mo["attempts"] = std::move(attempts);
        messages.push_back(std::move(mo));
    }
    o["messages"] = std::move(messages);
    return o;
}

json::object record_body(const account_record& r) {
    const account& a = r.acc;
    json::object o = summary_body(a, r.lock);
    o["academie"] = a.academie;
    o["external_id"] = a.external_id;
    o["birth_date"] = a.birth_date ? json::value(iso_date(*a.birth_date)) : json::value(nullptr);
    json::array children;
    for (const auto& c : a.children) children.emplace_back(c);
    o["children"] = std::move(children);
    o["phone"] = a.phone ? json::value(*a.phone) : json::value(nullptr);
    o["email"] = text_or_null(a.email);
    o["email_validated"] = a.email_validated && !a.email.empty();
    o["pending_email"] = text_or_null(a.pending_email);
    o["must_change_password"] = a.must_change_password;
    o["failed_logins"] = a.lockout.consecutive_failures;
    o["locked_until"] = r.lock.locked && r.lock.until ? json::value(format_rfc3339(*r.lock.until)) : json::value(nullptr);
    o["hard_locked"] = a.lockout.hard_locked;
    o["created_at"] = format_rfc3339(a.created_at);
    o["password_changed_at"] =
        a.password_changed_at ? json::value(format_rfc3339(*a.password_changed_at)) : json::value(nullptr);
    o["last_login_at"] = a.last_login_at ? json::value(format_rfc3339(*a.last_login_at)) : json::value(nullptr);
    json::array flows;
    for (const auto& f : r.flows) flows.push_back(diagnostic_body(f));
    o["flows"] = std::move(flows);
    return o;
}

json::object staff_body(const account& a) {
    json::object o;
    o["login"] = a.identifier;
    add_staff_fields(o, a.staff);
    o["created_at"] = format_rfc3339(a.created_at);
    o["last_login_at"] = a.last_login_at ? json::value(format_rfc3339(*a.last_login_at)) : json::value(nullptr);
    return o;
}

// Runs a staff use case on the blocking pool for an authenticated caller:
// `use(caller)` returns a result whose value `ok(value)` turns into the response.
template <class Use, class Ok>
awaitable<response> staff_call(staff_context& ctx, request& req, const Use& use, const Ok& ok) {
    auto caller = co_await require_staff(ctx, req);
    if (!caller) co_return error_response(caller.error());
    auto task = [&use, &caller] { return use(*caller); };
    auto outcome = co_await run_blocking(ctx.api.blocking, std::move(task));
    if (!outcome) co_return error_response(outcome.error());
    co_return ok(*outcome);
}

result<std::size_t> limit_param(const request& req, std::size_t fallback) {
    auto q = parse_page_query(req);
    if (!q) return q.error();
    return req.query_param("limit") ? q->limit : fallback;
}

// A JSON field that may be absent, null, or a string.
result<std::optional<std::optional<std::string>>> nullable_string(const json::object& o, std::string_view key,
                                                                  std::size_t max_bytes) {
    const auto* v = o.if_contains(key);
    if (!v) return std::optional<std::optional<std::string>>{};
    if (v->is_null()) return std::optional<std::optional<std::string>>{std::optional<std::string>{}};
    auto s = optional_string(o, key, max_bytes);
    if (!s) return s.error();
    return std::optional<std::optional<std::string>>{std::move(*s)};
}

// ---- accounts ----

awaitable<response> get_accounts(staff_context& ctx, request& req) {
    search_input in;
    in.q = req.query_param("q").value_or("");
    in.establishment = req.query_param("establishment").value_or("");
    in.cursor = req.query_param("cursor").value_or("");
    if (auto p = req.query_param("profile"); p && !p->empty()) {
        in.prof = parse_profile(*p);
        if (!in.prof) co_return error_response(invalid_field("profile", "Le profil doit être « parent » ou « eleve »."));
    }
    auto limit = limit_param(req, 20);
    if (!limit) co_return error_response(limit.error());
    in.limit = *limit;
    if (in.cursor.size() > 128 || in.establishment.size() > 32)
        co_return error_response(invalid_field(in.cursor.size() > 128 ? "cursor" : "establishment"));
    const timestamp now = ctx.api.clock.now();
    const lockout_policy policy = ctx.api.accounts.policy().lockout;
    auto use = [&](const staff_caller& who) { return ctx.staff.search(who, in, now); };
    auto ok = [&](const account_page& page) {
        json::array accounts;
        for (const auto& a : page.accounts) accounts.push_back(summary_body(a, lockout_status(a.lockout, policy, now)));
        json::object o;
        o["accounts"] = std::move(accounts);
        o["next"] = text_or_null(page.next);
        return json_response(200, o);
    };
    co_return co_await staff_call(ctx, req, use, ok);
}

awaitable<response> post_accounts(staff_context& ctx, request& req) {
    auto body = parse_json_object(req.body);
    if (!body) co_return error_response(body.error());
    std::array<std::string, csv_column_count> fields;
    for (std::size_t k = 0; k < csv_column_count; ++k) {
        const auto column = static_cast<csv_column>(k);
        const std::string name(column_name(column));
        if (column == csv_column::children) {
            const auto* v = body->if_contains(name);
            if (!v || v->is_null()) continue;
            if (!v->is_array()) co_return error_response(invalid_field(name, "« children » doit être une liste d'identifiants externes."));
            for (const auto& c : v->as_array()) {
                if (!c.is_string() || c.as_string().size() > 64 || c.as_string().find('|') != json::string::npos)
                    co_return error_response(invalid_field(name, "« children » doit être une liste d'identifiants externes."));
                if (!fields[k].empty()) fields[k] += '|';
                fields[k].append(c.as_string().data(), c.as_string().size());
            }
            continue;
        }
        auto value = optional_string(*body, name, 256);
        if (!value) co_return error_response(value.error());
        if (*value) fields[k] = std::move(**value);
    }
    auto use = [&](const staff_caller& who) { return ctx.staff.create(who, fields, ctx.api.clock.now()); };
    auto ok = [](const created_account& c) {
        json::object o;
        o["identifier"] = c.identifier;
        o["activation_code"] = c.activation_code;
        return json_response(201, o);
    };
    co_return co_await staff_call(ctx, req, use, ok);
}

awaitable<response> post_import(staff_context& ctx, request& req) {
    if (req.media_type() != "text/csv") co_return error_response(http_errc::unsupported_media_type);
    auto use = [&](const staff_caller& who) { return ctx.staff.import(who, req.body, ctx.api.clock.now()); };
    auto ok = [](const import_report& r) {
        json::array errors, credentials;
        for (const auto& e : r.errors) {
            json::object eo;
            eo["line"] = e.line;
            eo["error"] = e.error;
            errors.push_back(std::move(eo));
        }
        for (const auto& c : r.credentials) {
            json::object co;
            co["external_id"] = c.external_id;
            co["identifier"] = c.identifier;
            co["activation_code"] = c.activation_code;
            credentials.push_back(std::move(co));
        }
        json::object o;
        o["created"] = r.created;
        o["updated"] = r.updated;
        o["errors"] = std::move(errors);
        o["credentials"] = std::move(credentials);
        return json_response(200, o);
    };
    co_return co_await staff_call(ctx, req, use, ok);
}

awaitable<response> get_account(staff_context& ctx, request& req) {
    const std::string id(req.param("identifier"));
    auto use = [&](const staff_caller& who) { return ctx.staff.read(who, id, ctx.api.clock.now()); };
    auto ok = [](const account_record& r) { return json_response(200, record_body(r)); };
    co_return co_await staff_call(ctx, req, use, ok);
}

awaitable<response> patch_account(staff_context& ctx, request& req) {
    auto body = parse_json_object(req.body);
    if (!body) co_return error_response(body.error());
    account_patch patch;
    auto phone = nullable_string(*body, "phone", 64);
    if (!phone) co_return error_response(phone.error());
    patch.phone = std::move(*phone);
    auto email = nullable_string(*body, "email", 256);
    if (!email) co_return error_response(email.error());
    patch.email = std::move(*email);
    auto class_name = nullable_string(*body, "class", 256);
    if (!class_name) co_return error_response(class_name.error());
    if (*class_name) patch.class_name = (*class_name)->value_or("");
    const std::string id(req.param("identifier"));
    auto use = [&](const staff_caller& who) { return ctx.staff.update(who, id, patch, ctx.api.clock.now()); };
    auto ok = [](const account_record& r) { return json_response(200, record_body(r)); };
    co_return co_await staff_call(ctx, req, use, ok);
}

awaitable<response> post_unlock(staff_context& ctx, request& req) {
    const std::string id(req.param("identifier"));
    auto use = [&](const staff_caller& who) { return ctx.staff.unlock(who, id, ctx.api.clock.now()); };
    auto ok = [](const ok_t&) { return response::no_content(); };
    co_return co_await staff_call(ctx, req, use, ok);
}

awaitable<response> post_activation_code(staff_context& ctx, request& req) {
    const std::string id(req.param("identifier"));
    auto use = [&](const staff_caller& who) { return ctx.staff.issue_activation_code(who, id, ctx.api.clock.now()); };
    auto ok = [](const std::string& code) {
        json::object o;
        o["activation_code"] = code;
        return json_response(200, o);
    };
    co_return co_await staff_call(ctx, req, use, ok);
}

awaitable<response> get_account_activity(staff_context& ctx, request& req) {
    auto q = parse_page_query(req);
    if (!q) co_return error_response(q.error());
    const std::string id(req.param("identifier"));
    auto use = [&](const staff_caller& who) { return ctx.staff.activity(who, id, q->limit, q->before, ctx.api.clock.now()); };
    auto ok = [](const journal_page& page) { return json_response(200, journal_body(page)); };
    co_return co_await staff_call(ctx, req, use, ok);
}

awaitable<response> get_reference(staff_context& ctx, request& req) {
    const std::string ref = percent_decode(req.param("reference"), false);
    auto use = [&](const staff_caller& who) { return ctx.staff.reference(who, ref, ctx.api.clock.now()); };
    auto ok = [](const flow_diagnostic& d) {
        json::object o = diagnostic_body(d);
        o["identifier"] = text_or_null(d.identifier);
        o["asked"] = d.asked;
        return json_response(200, o);
    };
    co_return co_await staff_call(ctx, req, use, ok);
}

awaitable<response> get_audit(staff_context& ctx, request& req) {
    auto q = parse_page_query(req);
    if (!q) co_return error_response(q.error());
    auto use = [&](const staff_caller& who) { return ctx.staff.audit(who, q->limit, q->before, ctx.api.clock.now()); };
    auto ok = [](const audit_page& page) {
        json::array events;
        for (const auto& e : page.entries) {
            json::object o;
            o["at"] = format_rfc3339(e.at);
            o["actor"] = e.actor;
            o["role"] = e.role;
            o["action"] = e.action;
            o["target"] = e.target;
            o["ip"] = e.ip;
            o["detail"] = e.detail;
            events.push_back(std::move(o));
        }
        json::object o;
        o["events"] = std::move(events);
        o["next"] = text_or_null(page.next);
        return json_response(200, o);
    };
    co_return co_await staff_call(ctx, req, use, ok);
}

// ---- staff management ----

awaitable<response> post_staff(staff_context& ctx, request& req) {
    auto caller = co_await require_staff(ctx, req);
    if (!caller) co_return error_response(caller.error());
    auto body = parse_json_object(req.body);
    if (!body) co_return error_response(body.error());
    auto login = required_string(*body, "login", 64);
    if (!login) co_return error_response(login.error());
    auto role = required_string(*body, "role", 32);
    if (!role) co_return error_response(role.error());
    std::string scope;
    if (const auto* v = body->if_contains("scope"); v && !v->is_null()) {
        if (!v->is_array()) co_return error_response(invalid_field("scope", "« scope » doit être une liste."));
        for (const auto& s : v->as_array()) {
            if (!s.is_string() || s.as_string().size() > 64 || s.as_string().find(',') != json::string::npos)
                co_return error_response(invalid_field("scope", "« scope » doit être une liste d'UAI ou d'académies."));
            if (!scope.empty()) scope += ',';
            scope.append(s.as_string().data(), s.as_string().size());
        }
    }
    const staff_request r{std::move(*login), std::move(*role), std::move(scope)};
    // Argon2 hashes the provisional password: the hashing pool.
    auto task = [&ctx, &caller, &r] { return ctx.staff.create_staff(*caller, r, ctx.api.clock.now()); };
    auto outcome = co_await run_hashing(ctx.api.hashing, std::move(task));
    if (!outcome) co_return overloaded_response(ctx.api);
    if (!*outcome) co_return error_response(outcome->error());
    json::object o;
    o["login"] = (*outcome)->acc.identifier;
    o["password"] = (*outcome)->provisional_password;
    o["totp_uri"] = (*outcome)->totp_uri;
    co_return json_response(201, o);
}

awaitable<response> get_staff(staff_context& ctx, request& req) {
    auto use = [&](const staff_caller& who) { return ctx.staff.list_staff(who, ctx.api.clock.now()); };
    auto ok = [](const std::vector<account>& list) {
        json::array staff;
        for (const auto& a : list) staff.push_back(staff_body(a));
        json::object o;
        o["staff"] = std::move(staff);
        return json_response(200, o);
    };
    co_return co_await staff_call(ctx, req, use, ok);
}

awaitable<response> delete_staff(staff_context& ctx, request& req) {
    const std::string login(req.param("login"));
    auto use = [&](const staff_caller& who) { return ctx.staff.delete_staff(who, login, ctx.api.clock.now()); };
    auto ok = [](const ok_t&) { return response::no_content(); };
    co_return co_await staff_call(ctx, req, use, ok);
}

}  // namespace

awaitable<result<staff_caller>> require_staff(staff_context& ctx, const request& req) {
    auto who = co_await require_session(ctx.api, req);
    if (!who) co_return who.error();
    if (!who->acc.staff)
        co_return make_error(errc::forbidden, "Cet espace est réservé au personnel des établissements.");
    co_return staff_caller{std::move(who->acc), client_of(req)};
}

void add_staff_routes(router& r, staff_context& ctx) {
    r.add(method::get, "/api/v1/admin/accounts", bind_to<staff_context, get_accounts>(ctx));
    r.add(method::post, "/api/v1/admin/accounts", bind_to<staff_context, post_accounts>(ctx));
    r.add(method::post, "/api/v1/admin/import", bind_to<staff_context, post_import>(ctx), {ctx.max_import_bytes, false});
    r.add(method::get, "/api/v1/admin/accounts/{identifier}", bind_to<staff_context, get_account>(ctx));
    r.add(method::patch, "/api/v1/admin/accounts/{identifier}", bind_to<staff_context, patch_account>(ctx));
    r.add(method::post, "/api/v1/admin/accounts/{identifier}/unlock", bind_to<staff_context, post_unlock>(ctx), {0, false});
    r.add(method::post, "/api/v1/admin/accounts/{identifier}/activation-code", bind_to<staff_context, post_activation_code>(ctx),
          {0, false});
    r.add(method::get, "/api/v1/admin/accounts/{identifier}/activity", bind_to<staff_context, get_account_activity>(ctx));
    r.add(method::get, "/api/v1/admin/references/{reference}", bind_to<staff_context, get_reference>(ctx));
    r.add(method::get, "/api/v1/admin/audit", bind_to<staff_context, get_audit>(ctx));
    r.add(method::post, "/api/v1/admin/staff", bind_to<staff_context, post_staff>(ctx));
    r.add(method::get, "/api/v1/admin/staff", bind_to<staff_context, get_staff>(ctx));
    r.add(method::del, "/api/v1/admin/staff/{login}", bind_to<staff_context, delete_staff>(ctx), {0, false});
}

}  // namespace sesame::net
