// Light HTTP request/response types that handlers see, so that handler
// translation units never include Beast. The server (http_server.cpp) fills
// them from and writes them to Beast messages. Depends on core only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace sesame::net {

enum class method { get, head, post, put, patch, del, options, other };
const char* to_string(method m);

struct request {
    method verb = method::other;
    std::string_view method_text;
    std::string_view target;  // path and query as received
    std::string_view path;    // percent-decoding is left to handlers
    std::string_view query;   // without '?'
    // The headers handlers need; empty when absent.
    std::string_view content_type;
    std::string_view origin;
    std::string_view cookie;
    std::string_view user_agent;
    std::string_view authorization;  // OAuth client authentication and Bearer tokens
    std::string_view accept_encoding;  // for the precompressed forms of static assets
    std::string_view if_none_match;    // entity tags, for 304 Not Modified
    std::string body;
    std::string client_ip;  // after X-Forwarded-For from trusted proxies
    bool secure = false;    // served over TLS
    std::vector<std::pair<std::string_view, std::string_view>> params;  // {name} segments of the route

    std::string_view param(std::string_view name) const;
    // A query parameter, percent-decoded; nullopt when absent.
    std::optional<std::string> query_param(std::string_view name) const;
    // The value of one cookie, or empty.
    std::string_view cookie_value(std::string_view name) const;
    // Media type without parameters, lower-cased ("application/json").
    std::string media_type() const;
};

struct response {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Set-Cookie, Retry-After...)
    bool close = false;                                        // close the connection after this response
    // Static responses (net/static_routes): a body and preformatted header
    // lines ("Name: value\r\n"...) in static storage, written as they are
    // instead of `body` and `headers`, so serving an asset copies nothing.
    std::string_view static_body;
    std::string_view static_headers;
    // The same body in a file (the memfd the static site filled at start-up):
    // over plain TCP it goes out with sendfile(2), as nginx sends files,
    // without a copy through user space. -1: none.
    int static_fd = -1;
    std::uint64_t static_offset = 0;

    static response json(unsigned status, std::string body);
    static response text(unsigned status, std::string body, std::string content_type = "text/plain; charset=utf-8");
    static response no_content();
};

std::string percent_decode(std::string_view s, bool plus_is_space = true);

}  // namespace sesame::net
