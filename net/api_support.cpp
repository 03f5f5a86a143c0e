#include "net/api_support.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include <cstdlib>
#include <boost/json/serialize.hpp>

#include "net/blocking.hpp"

namespace sesame::net {

result<boost::json::object> parse_json_object(std::string_view body) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    if (ec || !v.is_object()) return invalid_field("body", "Le corps de la requête doit être un objet JSON valide.");
    return std::move(v.as_object());
}

result<std::optional<std::string>> optional_string(const boost::json::object& o, std::string_view key,
                                                   std::size_t max_bytes) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return std::optional<std::string>{};
    if (!v->is_string()) return invalid_field(std::string(key), "Le champ « " + std::string(key) + " » doit être une chaîne.");
    const auto& s = v->as_string();
    if (s.size() > max_bytes) return invalid_field(std::string(key), "Le champ « " + std::string(key) + " » est trop long.");
    return std::optional<std::string>{std::string(s.data(), s.size())};
}

result<std::string> required_string(const boost::json::object& o, std::string_view key, std::size_t max_bytes) {
    auto r = optional_string(o, key, max_bytes);
    if (!r) return r.error();
    if (!r->has_value()) return invalid_field(std::string(key), "Le champ « " + std::string(key) + " » est obligatoire.");
    return std::move(**r);
}

response json_response(unsigned status, const boost::json::object& body) {
    return response::json(status, boost::json::serialize(body));
}

client_info client_of(const request& req) {
    return client_info{req.client_ip, std::string(req.user_agent.substr(0, 256))};
}

std::string session_cookie(const std::string& token, duration max_age, bool secure) {
    std::string c = std::string(session_cookie_name) + "=" + token + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                    std::to_string(std::chrono::duration_cast<std::chrono::seconds>(max_age).count());
    if (secure) c += "; Secure";
    return c;
}

std::string cleared_session_cookie(bool secure) {
    std::string c = std::string(session_cookie_name) + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0";
    if (secure) c += "; Secure";
    return c;
}

boost::asio::awaitable<result<authenticated>> require_session(api_context& ctx, const request& req,
                                                              bool allow_pending_change) {
    const std::string token(req.cookie_value(session_cookie_name));
    if (token.empty()) co_return make_error(errc::unauthenticated);
    const client_info client = client_of(req);
    auto task = [&ctx, &token, &client] { return ctx.accounts.authenticate(token, client, ctx.clock.now()); };
    result<authenticated> who = co_await run_hot(ctx, std::move(task));
    if (who && who->acc.must_change_password && !allow_pending_change)
        co_return make_error(errc::password_change_required);
    co_return who;
}

result<page_query> parse_page_query(const request& req) {
    page_query q;
    if (auto l = req.query_param("limit")) {
        char* end = nullptr;
        const long v = std::strtol(l->c_str(), &end, 10);
        if (l->empty() || *end != '\0' || v < 1 || v > 100)
            return invalid_field("limit", "« limit » doit être un entier entre 1 et 100.");
        q.limit = std::size_t(v);
    }
    q.before = req.query_param("before").value_or("");
    if (q.before.size() > 128) return invalid_field("before", "Curseur invalide.");
    return q;
}

boost::json::object journal_body(const journal_page& page) {
    boost::json::array events;
    for (const auto& e : page.entries) {
        boost::json::object o;
        o["at"] = format_rfc3339(e.at);
        o["type"] = e.type;
        o["ip"] = e.ip;
        o["user_agent"] = e.user_agent;
        o["actor"] = e.actor;
        o["detail"] = e.detail;
        events.push_back(std::move(o));
    }
    boost::json::object o;
    o["events"] = std::move(events);
    o["next"] = page.next.empty() ? boost::json::value(nullptr) : boost::json::value(page.next);
    return o;
}

void add_staff_fields(boost::json::object& o, const std::optional<staff_info>& staff) {
    if (!staff) return;
    o["role"] = to_string(staff->role);
    boost::json::array scope;
    for (const auto& s : staff->scope) scope.emplace_back(s);
    o["scope"] = std::move(scope);
}

response overloaded_response(const api_context& ctx) {
    domain_error e = make_error(errc::overloaded);
    e.retry_after_s = std::max<std::int64_t>(1, ceil_seconds(ctx.overload_retry_after));
    return error_response(e);
}

}  // namespace sesame::net
