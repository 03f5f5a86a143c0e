// Per-route request counters (by exact status) and latency histograms,
// preallocated so the hot path is a few relaxed atomic increments.
// Rendered after the shared registry by /metrics. Depends on core/metrics.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics.hpp"

namespace sesame::net {

class http_metrics {
public:
    // Route names are the patterns; one extra slot, "unmatched", is added last.
    explicit http_metrics(const std::vector<std::string>& route_names);
    std::size_t unmatched_id() const { return routes_.size() - 1; }
    void observe(std::size_t route_id, unsigned status, double seconds);
    gauge& open_connections() { return open_connections_; }
    counter& accepted_connections() { return accepted_; }
    // Connections closed at once: past http.max_connections, or past
    // http.max_connections_per_ip for their address.
    counter& refused_connections(bool per_ip) { return per_ip ? refused_per_ip_ : refused_total_; }
    void render(std::string& out) const;

private:
    struct per_route {
        std::string name;
        std::array<std::atomic<std::uint64_t>, 500> by_status{};  // 100..599
        histogram latency;
    };
    std::vector<std::unique_ptr<per_route>> routes_;
    gauge open_connections_;
    counter accepted_;
    counter refused_total_;
    counter refused_per_ip_;
};

}  // namespace sesame::net
