// What every API handler shares: JSON body parsing into fields with the
// `invalid_request` + `field` errors of API.md, the session cookie, the
// session check, and JSON response helpers. Depends on Boost.JSON, net and
// core.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "core/account_service.hpp"
#include "core/time.hpp"
#include "net/blocking.hpp"
#include "net/deferred.hpp"
#include "net/error_response.hpp"
#include "net/http.hpp"

namespace sesame::net {

inline constexpr const char* session_cookie_name = "sesame_session";

// What the API handlers need, wired once by app.
struct api_context {
    account_service& accounts;
    boost::asio::thread_pool& blocking;  // store calls
    job_queue& hashing;                  // Argon2 (login, password changes): workers::hash_pool
    const sesame::clock& clock;
    bool secure_cookies = false;
    duration overload_retry_after = std::chrono::seconds(2);
    // When set, the hot path's use cases run on the network thread and await
    // their group fsync (run_hot); else everything goes to `blocking`.
    commit_log* commits = nullptr;
};

// A use case bounded by point reads and one write batch (recovery requests
// and code checks, session lookups): inline under ctx.commits when the
// server has one (net/deferred.hpp), else on the blocking pool. Pass a named
// callable.
template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> run_hot(api_context& ctx, F f) {
    if (ctx.commits) co_return co_await run_deferred(*ctx.commits, std::move(f));
    co_return co_await run_blocking(ctx.blocking, std::move(f));
}

// A JSON object body; invalid_request with field "body" when it is not one.
result<boost::json::object> parse_json_object(std::string_view body);

// A required string field (invalid_request, field = key, when missing or not
// a string, or longer than max_bytes).
result<std::string> required_string(const boost::json::object& o, std::string_view key, std::size_t max_bytes = 4096);
// An optional string field: nullopt when absent or null; error when ill-typed.
result<std::optional<std::string>> optional_string(const boost::json::object& o, std::string_view key,
                                                   std::size_t max_bytes = 4096);

response json_response(unsigned status, const boost::json::object& body);
client_info client_of(const request& req);

std::string session_cookie(const std::string& token, duration max_age, bool secure);
std::string cleared_session_cookie(bool secure);

// The account behind the request's cookie (on the blocking pool).
// 401 unauthenticated without one; 403 password_change_required when the
// account must change its password, unless `allow_pending_change`.
boost::asio::awaitable<result<authenticated>> require_session(api_context& ctx, const request& req,
                                                              bool allow_pending_change = false);

// `limit` (1 to 100, default 20) and `before` (a cursor) of a paged journal.
struct page_query {
    std::size_t limit = 20;
    std::string before;
};
result<page_query> parse_page_query(const request& req);
// {events: [{at, type, ip, user_agent, actor, detail}], next}
boost::json::object journal_body(const journal_page& page);
// For a staff account: `role` and `scope` (API.md: the login answer and GET /me).
void add_staff_fields(boost::json::object& o, const std::optional<staff_info>& staff);

// 503 overloaded with Retry-After.
response overloaded_response(const api_context& ctx);

}  // namespace sesame::net
