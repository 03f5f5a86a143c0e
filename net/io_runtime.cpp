#include "net/io_runtime.hpp"

#include <thread>

#include "core/log.hpp"

namespace sesame::net {

io_runtime::io_runtime(std::size_t threads) {
    if (threads == 0) threads = 1;
    for (std::size_t i = 0; i < threads; ++i) {
        contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
        guards_.emplace_back(contexts_.back()->get_executor());
    }
}

std::pair<std::size_t, boost::asio::io_context*> io_runtime::next() {
    const auto i = next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size();
    return {i, contexts_[i].get()};
}

void io_runtime::run() {
    auto run_one = [](boost::asio::io_context& ctx) {
        for (;;) {
            try {
                ctx.run();
                return;
            } catch (const std::exception& e) {
                // Handlers catch their own errors; this is a last line of defence.
                log::error("io_context_exception", {{"what", e.what()}});
            }
        }
    };
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < contexts_.size(); ++i)
        threads.emplace_back([&, i] { run_one(*contexts_[i]); });
    run_one(*contexts_[0]);
    for (auto& t : threads) t.join();
}

void io_runtime::release() {
    for (auto& g : guards_) g.reset();
}

void io_runtime::stop() {
    for (auto& c : contexts_) c->stop();
}

}  // namespace sesame::net
