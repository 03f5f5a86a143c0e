// The HTTP/1.1 server: an acceptor coroutine spreading connections over the
// io_runtime's contexts, one tracked coroutine per connection (plain or TLS)
// running net/http_session.hpp's request loop, a deadline sweeper per
// context (reads, writes and handlers), connection caps, and a graceful
// shutdown. Beast stays inside the .cpp files. Depends on net/router.hpp,
// net/http_metrics.hpp, config/settings.hpp.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config/settings.hpp"
#include "net/http.hpp"
#include "net/http_metrics.hpp"
#include "net/io_runtime.hpp"
#include "net/router.hpp"

namespace sesame::net {

class http_server {
public:
    http_server(io_runtime& runtime, const config::http_settings& settings, const router& routes,
                http_metrics& metrics);
    ~http_server();

    // Binds http.listen (and loads the TLS certificate if configured).
    // Throws std::runtime_error with a French message naming the address.
    void listen();
    // The bound address, e.g. "127.0.0.1:34567" (the real port when 0 was asked).
    std::string local_endpoint() const;
    // Starts the accept loop (tracked coroutine on context 0).
    void start();
    // Graceful shutdown, callable from any thread, once: stop accepting,
    // close idle connections, let requests in flight finish and answer with
    // "Connection: close", force-close what is left after
    // http.shutdown_timeout, then call `done` (on context 0).
    void shutdown(std::function<void()> done);
    bool stopping() const;

    // The page served for unknown paths outside /api/ (portal 404).
    void set_not_found_page(std::function<response(const request&)> page);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace sesame::net
