// The threads that run Asio: one io_context per thread (no locking inside
// a context), handed out round-robin to connections and workers. run()
// blocks until every context is out of work after release(). Depends on Asio.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace sesame::net {

class io_runtime {
public:
    explicit io_runtime(std::size_t threads);
    io_runtime(const io_runtime&) = delete;
    io_runtime& operator=(const io_runtime&) = delete;

    std::size_t size() const { return contexts_.size(); }
    boost::asio::io_context& at(std::size_t i) { return *contexts_[i]; }
    // Round-robin choice, for spreading connections.
    std::pair<std::size_t, boost::asio::io_context*> next();

    // Runs one thread per context (the caller's thread runs context 0) and
    // returns when all have stopped.
    void run();
    // Lets contexts stop once they run out of work (graceful end).
    void release();
    // Stops every context now (work in flight is abandoned).
    void stop();

private:
    using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
    std::vector<guard> guards_;
    std::atomic<std::size_t> next_{0};
};

}  // namespace sesame::net
