// The routing table: method + path pattern ("/api/v1/me/sessions/{id}") to a
// handler coroutine. Lookup distinguishes "no such path" (404) from "path
// exists with other methods" (405 + Allow). Depends on net/http.hpp and the
// light Asio awaitable header.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http.hpp"

namespace sesame::net {

using handler = std::function<boost::asio::awaitable<response>(request&)>;

struct route_options {
    std::size_t max_body = 0;  // 0: http.max_body_bytes
    bool json_body = true;     // POST/PATCH bodies must be application/json (415 otherwise)
    // No Origin check: routes that no cookie authenticates (the OpenID
    // Connect token and userinfo endpoints, called by relying parties).
    bool any_origin = false;
    // The handler never waits (no store, no pool, no peer: /healthz, the
    // portal's files): it runs inside the connection's coroutine, without
    // the handler deadline's own coroutine and timer wait.
    bool never_waits = false;
};

struct route {
    method verb;
    std::string pattern;
    handler fn;
    route_options options;
    std::vector<std::string> segments;  // pattern split on '/'
    std::size_t id = 0;                 // index, for metrics
};

struct route_match {
    enum kind_t { found, no_path, wrong_method } kind = no_path;
    const route* matched = nullptr;
    std::string allow;  // for wrong_method: "GET, HEAD"
};

// A handler for `fn(ctx, req)`: route tables bind their handler functions
// to their context with it. `ctx` must outlive the router.
template <class Context, boost::asio::awaitable<response> (*fn)(Context&, request&)>
handler bind_to(Context& ctx) {
    return [&ctx](request& req) { return fn(ctx, req); };
}

class router {
public:
    void add(method verb, std::string pattern, handler fn, route_options options = {});
    // Fills req.params (views into req.path) when found.
    route_match find(request& req) const;
    const std::vector<route>& routes() const { return routes_; }

private:
    std::vector<route> routes_;
};

}  // namespace sesame::net
