#include "net/control_socket.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cstdint>
#include <filesystem>
#include <istream>
#include <thread>

#include "core/error.hpp"
#include "core/log.hpp"
#include "net/blocking.hpp"

namespace sesame::net {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string control_socket_path(const std::string& store_path) {
    return (std::filesystem::path(store_path) / "control.sock").string();
}

struct control_server::impl {
    io_runtime& runtime;
    boost::asio::thread_pool& pool;
    std::string path;
    duration io_timeout;
    std::function<void(const std::string&)> checkpoint;
    std::unique_ptr<local::acceptor> acceptor;
    // The connection being served and its deadline; touched on context 0 only.
    local::socket* client = nullptr;
    std::uint64_t served = 0;  // connections so far: tells a late timer from the current one
    std::unique_ptr<asio::steady_timer> deadline;

    // Closes the client if its pending read or write has not finished
    // within io_timeout (which aborts that operation).
    void arm_deadline() {
        deadline->expires_after(io_timeout);
        deadline->async_wait([this, connection = served](const boost::system::error_code& ec) {
            if (!ec && connection == served) close_client();
        });
    }

    void close_client() {
        if (!client) return;
        boost::system::error_code ignored;
        client->close(ignored);
    }

    asio::awaitable<std::string> reply_to(const std::string& line) {
        if (!line.starts_with("checkpoint ")) co_return "error commande inconnue\n";
        const std::string dir = line.substr(11);
        // The checkpoint blocks on disk: it runs on the blocking pool.
        // (A named task, not a temporary: GCC 12 mishandles temporaries
        // with destructors inside co_await expressions.)
        auto task = [this, dir]() -> std::string {
            try {
                checkpoint(dir);
                return "ok\n";
            } catch (const std::exception& e) {
                return std::string("error ") + e.what() + "\n";
            }
        };
        std::string reply = co_await run_blocking(pool, std::move(task));
        log::info("backup_written", {{"ok", reply == "ok\n"}});
        co_return reply;
    }

    asio::awaitable<void> serve_one(local::socket& socket) {
        asio::streambuf in(4096);
        arm_deadline();
        auto [ec, n] = co_await asio::async_read_until(socket, in, '\n', use_tuple);
        deadline->cancel();  // the checkpoint itself is not bounded: it must not be cut
        if (ec) {
            // Closed by its deadline, or by stop() (then not worth a line).
            if (acceptor && ec != asio::error::eof) log::warn("control_read_failed", {{"error", ec.message()}});
            co_return;
        }
        std::istream is(&in);
        std::string line;
        std::getline(is, line);
        const std::string reply = co_await reply_to(line);
        arm_deadline();
        co_await asio::async_write(socket, asio::buffer(reply), use_tuple);
        deadline->cancel();
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor->async_accept(use_tuple);
            if (ec) co_return;
            ++served;
            client = &socket;
            co_await serve_one(socket);  // one at a time: backups are rare
            client = nullptr;
            if (!acceptor) co_return;  // stopped while serving
        }
    }
};

control_server::control_server(io_runtime& runtime, boost::asio::thread_pool& pool, std::string socket_path,
                               duration io_timeout, std::function<void(const std::string&)> checkpoint)
    : impl_(new impl{runtime, pool, std::move(socket_path), io_timeout, std::move(checkpoint), nullptr, nullptr, 0,
                     nullptr}) {}

control_server::~control_server() { stop(); }

void control_server::start() {
    auto& s = *impl_;
    std::error_code fec;
    std::filesystem::remove(s.path, fec);  // stale from a crash; we hold the store lock
    boost::system::error_code ec;
    s.acceptor = std::make_unique<local::acceptor>(s.runtime.at(0));
    s.acceptor->open(local(), ec);
    if (!ec) s.acceptor->bind(local::endpoint(s.path), ec);
    if (!ec) s.acceptor->listen(4, ec);
    if (ec) {
        log::warn("control_socket_unavailable", {{"error", ec.message()}});
        s.acceptor.reset();
        return;
    }
    std::filesystem::permissions(s.path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 fec);
    s.deadline = std::make_unique<asio::steady_timer>(s.runtime.at(0));
    asio::co_spawn(s.runtime.at(0), s.accept_loop(), [](std::exception_ptr e) {
        if (e) log::error("control_socket_failed", {{"what", what_of(e)}});
    });
}

void control_server::stop() {
    auto& s = *impl_;
    if (!s.acceptor) return;
    boost::system::error_code ec;
    s.acceptor->close(ec);
    s.close_client();
    if (s.deadline) s.deadline->cancel();
    std::error_code fec;
    std::filesystem::remove(s.path, fec);
    s.acceptor.reset();
}

std::string request_checkpoint(const std::string& socket_path, const std::string& dir) {
    try {
        asio::io_context ctx;
        local::socket socket(ctx);
        socket.connect(local::endpoint(socket_path));
        const std::string line = "checkpoint " + dir + "\n";
        asio::write(socket, asio::buffer(line));
        asio::streambuf in;
        asio::read_until(socket, in, '\n');
        std::istream is(&in);
        std::string reply;
        std::getline(is, reply);
        if (reply == "ok") return {};
        return reply.starts_with("error ") ? reply.substr(6) : "réponse inattendue du serveur";
    } catch (const std::exception& e) {
        return std::string("impossible de joindre le serveur qui tient la base (") + e.what() + ")";
    }
}

}  // namespace sesame::net
