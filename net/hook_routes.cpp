#include "net/hook_routes.hpp"

#include "core/delivery_report.hpp"
#include "core/log.hpp"
#include "net/blocking.hpp"

namespace sesame::net {

using boost::asio::awaitable;

namespace {

constexpr std::size_t max_id_bytes = 64;
constexpr std::size_t max_detail_bytes = 1024;

// Time depends on the length of what was given, never on the secret's
// content or length.
bool secret_matches(std::string_view given, std::string_view expected) {
    if (expected.empty()) return false;
    unsigned diff = given.size() == expected.size() ? 0u : 1u;
    for (std::size_t i = 0; i < given.size(); ++i)
        diff |= static_cast<unsigned char>(given[i]) ^ static_cast<unsigned char>(expected[i % expected.size()]);
    return diff == 0;
}

bool authorized(const hook_context& ctx, const request& req) {
    if (!ctx.callback_secret) return false;
    const auto given = req.query_param("secret");
    return given && secret_matches(*given, *ctx.callback_secret);
}

bool valid_message_id(std::string_view id) {
    if (id.empty() || id.size() > max_id_bytes) return false;
    for (char c : id) {
        const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                        c == '_';
        if (!ok) return false;
    }
    return true;
}

domain_error bad_message_id() {
    return invalid_field("message_id", "Identifiant de message manquant ou invalide.");
}

awaitable<response> apply(hook_context& ctx, const std::string& id, report_status st, const std::string& detail) {
    const char* word = to_string(st);
    auto task = [&ctx, &id, word, &detail] {
        return apply_delivery_report(ctx.outbox, id, word, detail, ctx.api.clock.now());
    };
    const status res = co_await run_blocking(ctx.api.blocking, std::move(task));
    if (!res) {
        log::warn("sms_report_refused", {{"message_id", id}, {"status", word}, {"error", to_string(res.error().code)}});
        co_return error_response(res.error());
    }
    log::info("sms_report", {{"message_id", id}, {"status", word}});
    co_return response::no_content();
}

// Kannel's dlr-url: ?secret=S&message_id=ID&status=%d[&detail=...|&answer=%A]
awaitable<response> get_report(hook_context& ctx, request& req) {
    if (!authorized(ctx, req)) co_return error_response(errc::unauthenticated);
    const auto id = req.query_param("message_id");
    if (!id || !valid_message_id(*id)) co_return error_response(bad_message_id());
    const auto number = req.query_param("status");
    std::optional<kannel_dlr> dlr;
    if (number && !number->empty() && number->size() <= 3 &&
        number->find_first_not_of("0123456789") == std::string::npos)
        dlr = kannel_dlr_of(std::stoul(*number));
    if (!dlr)
        co_return error_response(
            invalid_field("status", "Statut Kannel attendu : 1, 2, 4, 8 ou 16."));
    std::string detail = "kannel " + *number + " " + dlr->meaning;
    auto extra = req.query_param("detail");
    if (!extra) extra = req.query_param("answer");
    if (extra && !extra->empty()) detail += ": " + extra->substr(0, max_detail_bytes);
    co_return co_await apply(ctx, *id, dlr->status, detail);
}

// JSON: {"message_id": ID, "status": "delivered"|"failed"|"buffered", "detail": "..."}
awaitable<response> post_report(hook_context& ctx, request& req) {
    if (!authorized(ctx, req)) co_return error_response(errc::unauthenticated);
    auto body = parse_json_object(req.body);
    if (!body) co_return error_response(body.error());
    auto id = required_string(*body, "message_id", max_id_bytes);
    if (!id || !valid_message_id(*id)) co_return error_response(bad_message_id());
    auto word = required_string(*body, "status", 16);
    if (!word) co_return error_response(word.error());
    const auto st = parse_report_status(*word);
    if (!st)
        co_return error_response(
            invalid_field("status", "Le statut doit être « delivered », « failed » ou « buffered »."));
    auto detail = optional_string(*body, "detail", max_detail_bytes);
    if (!detail) co_return error_response(detail.error());
    const std::string text = detail->value_or("");
    co_return co_await apply(ctx, *id, *st, text);
}

}  // namespace

void add_hook_routes(router& r, hook_context& ctx) {
    r.add(method::get, "/api/v1/hooks/sms-status", bind_to<hook_context, get_report>(ctx));
    r.add(method::post, "/api/v1/hooks/sms-status", bind_to<hook_context, post_report>(ctx), {8 * 1024, true});
}

}  // namespace sesame::net
