// /healthz, /readyz and /metrics. Depends on net/router.hpp and core/metrics.
#pragma once

#include <functional>

#include "core/metrics.hpp"
#include "net/http_metrics.hpp"
#include "net/router.hpp"

namespace sesame::net {

struct system_probes {
    std::function<bool()> ready;  // store open and workers running
    const metrics_registry* registry = nullptr;
    const http_metrics* http = nullptr;  // set once the server's metrics exist
};

// `probes` must outlive the router.
void add_system_routes(router& r, const system_probes& probes);

}  // namespace sesame::net
