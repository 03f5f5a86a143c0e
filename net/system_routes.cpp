#include "net/system_routes.hpp"

namespace sesame::net {

void add_system_routes(router& r, const system_probes& probes) {
    route_options immediate;
    immediate.never_waits = true;
    r.add(
        method::get, "/healthz",
        [](request&) -> boost::asio::awaitable<response> { co_return response::text(200, "ok\n"); }, immediate);
    r.add(method::get, "/readyz", [&probes](request&) -> boost::asio::awaitable<response> {
        if (probes.ready && probes.ready()) co_return response::text(200, "ready\n");
        co_return response::text(503, "not ready\n");
    });
    r.add(method::get, "/metrics", [&probes](request&) -> boost::asio::awaitable<response> {
        std::string out = probes.registry ? probes.registry->render() : std::string{};
        if (probes.http) probes.http->render(out);
        co_return response::text(200, std::move(out), "text/plain; version=0.0.4; charset=utf-8");
    });
}

}  // namespace sesame::net
