// A Beast request header as our request view (net/http.hpp): the verb as
// `method`, target split into path and query, the headers the handlers read.
// Shared by the server and the request fuzz target. Depends on Beast's
// message header only.
#pragma once

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/verb.hpp>

#include "net/http.hpp"

namespace sesame::net {

inline method to_method(boost::beast::http::verb v) {
    using boost::beast::http::verb;
    switch (v) {
        case verb::get: return method::get;
        case verb::head: return method::head;
        case verb::post: return method::post;
        case verb::put: return method::put;
        case verb::patch: return method::patch;
        case verb::delete_: return method::del;
        case verb::options: return method::options;
        default: return method::other;
    }
}

// Views into `h`: valid while the header lives.
inline void fill_request(request& req, const boost::beast::http::request_header<>& h) {
    using boost::beast::http::field;
    req.verb = to_method(h.method());
    req.method_text = h.method_string();
    req.target = h.target();
    const auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    req.query = q == std::string_view::npos ? std::string_view{} : req.target.substr(q + 1);
    req.content_type = h[field::content_type];
    req.origin = h[field::origin];
    req.cookie = h[field::cookie];
    req.user_agent = h[field::user_agent];
    req.authorization = h[field::authorization];
    req.accept_encoding = h[field::accept_encoding];
    req.if_none_match = h[field::if_none_match];
}

}  // namespace sesame::net
