#include "net/http_metrics.hpp"

namespace sesame::net {

http_metrics::http_metrics(const std::vector<std::string>& route_names) {
    for (const auto& n : route_names) {
        routes_.push_back(std::make_unique<per_route>());
        routes_.back()->name = n;
    }
    routes_.push_back(std::make_unique<per_route>());
    routes_.back()->name = "unmatched";
}

void http_metrics::observe(std::size_t route_id, unsigned status, double seconds) {
    if (route_id >= routes_.size()) route_id = unmatched_id();
    auto& r = *routes_[route_id];
    if (status >= 100 && status < 600) r.by_status[status - 100].fetch_add(1, std::memory_order_relaxed);
    r.latency.observe(seconds);
}

void http_metrics::render(std::string& out) const {
    out += "# HELP sesame_http_requests_total HTTP requests by route and status.\n"
           "# TYPE sesame_http_requests_total counter\n";
    for (const auto& r : routes_)
        for (std::size_t i = 0; i < r->by_status.size(); ++i)
            if (const auto n = r->by_status[i].load(std::memory_order_relaxed))
                out += "sesame_http_requests_total{route=\"" + r->name + "\",status=\"" + std::to_string(i + 100) +
                       "\"} " + std::to_string(n) + "\n";
    out += "# HELP sesame_http_request_duration_seconds Time from a request's last byte to its response.\n"
           "# TYPE sesame_http_request_duration_seconds histogram\n";
    for (const auto& r : routes_)
        if (r->latency.count() > 0)
            r->latency.render(out, "sesame_http_request_duration_seconds", "route=\"" + r->name + "\"");
    out += "# HELP sesame_http_open_connections Connections currently open.\n"
           "# TYPE sesame_http_open_connections gauge\n"
           "sesame_http_open_connections " + std::to_string(open_connections_.value()) + "\n";
    out += "# HELP sesame_http_connections_total Connections accepted since start.\n"
           "# TYPE sesame_http_connections_total counter\n"
           "sesame_http_connections_total " + std::to_string(accepted_.value()) + "\n";
    out += "# HELP sesame_http_connections_refused_total Connections closed at once: past http.max_connections "
           "(limit=\"total\") or http.max_connections_per_ip (limit=\"per_ip\").\n"
           "# TYPE sesame_http_connections_refused_total counter\n"
           "sesame_http_connections_refused_total{limit=\"total\"} " + std::to_string(refused_total_.value()) + "\n"
           "sesame_http_connections_refused_total{limit=\"per_ip\"} " + std::to_string(refused_per_ip_.value()) + "\n";
}

}  // namespace sesame::net
