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
    const auto parts = split_path(req.path);
    route_match m;
    std::vector<std::string> allowed;
    for (const auto& r : routes_) {
        if (r.segments.size() != parts.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < parts.size() && same; ++i)
            same = is_param(r.segments[i]) ? !parts[i].empty() : r.segments[i] == parts[i];
        if (!same) continue;
        const bool method_ok = r.verb == req.verb || (r.verb == method::get && req.verb == method::head);
        if (!method_ok) {
            allowed.emplace_back(to_string(r.verb));
            if (r.verb == method::get) allowed.emplace_back("HEAD");
            continue;
        }
        req.params.clear();
        for (std::size_t i = 0; i < parts.size(); ++i)
            if (is_param(r.segments[i]))
                req.params.emplace_back(std::string_view(r.segments[i]).substr(1, r.segments[i].size() - 2), parts[i]);
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
