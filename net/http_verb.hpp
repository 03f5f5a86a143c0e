// Beast's request verb as our `method` (net/http.hpp), shared by the server
// and the request fuzz target. Depends on Beast's verb header only.
#pragma once

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

}  // namespace sesame::net
