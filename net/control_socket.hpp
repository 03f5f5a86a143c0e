// The running server's control channel: a Unix-domain socket in the data
// directory ({store.path}/control.sock) through which `sesame backup` asks a
// server that holds the store's lock to write a checkpoint. One line in
// ("checkpoint <dir>"), one line out ("ok" or "error <French message>").
// Connections are served one at a time, each with a deadline on its read and
// its write, so a silent local client can neither hold the channel nor keep
// the server from stopping. Depends on Asio (local sockets) and
// net/io_runtime.hpp.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "core/time.hpp"
#include "net/io_runtime.hpp"

namespace sesame::net {

std::string control_socket_path(const std::string& store_path);

class control_server {
public:
    // `checkpoint` runs on `pool` (it blocks); it throws on failure. A client
    // must send its line, and take the reply, within `io_timeout` each.
    control_server(io_runtime& runtime, boost::asio::thread_pool& pool, std::string socket_path,
                   duration io_timeout, std::function<void(const std::string& dir)> checkpoint);
    ~control_server();
    void start();  // removes a stale socket file, binds, accepts (tracked coroutine)
    // Closes the acceptor and the connection being served, and removes the
    // socket file; the accept loop then ends (a checkpoint already running
    // finishes first). Call it on context 0, or once the runtime has stopped.
    void stop();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// Client side: returns empty on success, else the French error.
std::string request_checkpoint(const std::string& socket_path, const std::string& dir);

}  // namespace sesame::net
