#include "net/router.hpp"

#include <algorithm>

namespace sesame::net {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t start = 1;  // skip the leading '/'
    while (start <= path.size()) {
        const auto slash = path.find('/', start);
        const auto end = slash == std::string_view::npos ? path.size() : slash;
        out.push_back(path.substr(start, end - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return out;
}

bool is_param(std::string_view seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

}  // namespace

void router::add(method verb, std::string pattern, handler fn, route_options options) {
    route r{verb, pattern, std::move(fn), options, {}, routes_.size()};
    for (auto seg : split_path(pattern)) r.segments.emplace_back(seg);
    routes_.push_back(std::move(r));
}

route_match router::find(request& req) const {
    // Walks the path once per candidate route without allocating: the hot
    // path of every request.
    route_match m;
    std::string_view path = req.path;
    if (path.empty() || path.front() != '/') return m;
    std::vector<std::string> allowed;
    for (const auto& r : routes_) {
        std::string_view rest = path.substr(1);
        bool same = true;
        std::size_t i = 0;
        for (; i < r.segments.size(); ++i) {
            const auto slash = rest.find('/');
            const std::string_view part = rest.substr(0, slash);
            const std::string& seg = r.segments[i];
            if (is_param(seg) ? part.empty() : seg != part) {
                same = false;
                break;
            }
            if (slash == std::string_view::npos) {
                rest = {};
                ++i;
                break;
            }
            rest = rest.substr(slash + 1);
        }
        // Every segment matched and the path has nothing left (a trailing
        // slash counts as one more, empty, segment).
        if (!same || i != r.segments.size() || !rest.empty() || (path.back() == '/' && path.size() > 1)) continue;
        const bool method_ok = r.verb == req.verb || (r.verb == method::get && req.verb == method::head);
        if (!method_ok) {
            allowed.emplace_back(to_string(r.verb));
            if (r.verb == method::get) allowed.emplace_back("HEAD");
            continue;
        }
        req.params.clear();
        std::string_view walk = path.substr(1);
        for (const auto& seg : r.segments) {
            const auto slash = walk.find('/');
            if (is_param(seg)) req.params.emplace_back(std::string_view(seg).substr(1, seg.size() - 2), walk.substr(0, slash));
            walk = slash == std::string_view::npos ? std::string_view{} : walk.substr(slash + 1);
        }
        m.kind = route_match::found;
        m.matched = &r;
        return m;
    }
    if (!allowed.empty()) {
        std::sort(allowed.begin(), allowed.end());
        allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
        m.kind = route_match::wrong_method;
        for (const auto& a : allowed) m.allow += (m.allow.empty() ? "" : ", ") + a;
    }
    return m;
}

}  // namespace sesame::net
