#include "workers/task_group.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <utility>

#include "core/error.hpp"
#include "core/log.hpp"

namespace sesame::workers {

namespace asio = boost::asio;

task_group::task_group(asio::any_io_executor strand, const char* failure_event)
    : strand_(std::move(strand)), failure_event_(failure_event), empty_(strand_) {}

void task_group::spawn(const char* name, asio::awaitable<void> a) {
    task& t = tasks_.emplace_back();
    t.name = name;
    ++live_;
    auto on_done = [this, tp = &t](std::exception_ptr e) {
        tp->running = false;
        if (e) log::error(failure_event_, {{"task", tp->name}, {"error", what_of(e)}});
        if (--live_ == 0) empty_.cancel();
    };
    asio::co_spawn(strand_, std::move(a), asio::bind_cancellation_slot(t.signal.slot(), std::move(on_done)));
}

asio::awaitable<bool> task_group::wait(std::chrono::steady_clock::time_point deadline) {
    if (live_ == 0) co_return true;
    empty_.expires_at(deadline);
    boost::system::error_code ec;
    co_await empty_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return live_ == 0;
}

void task_group::cancel_all() {
    for (auto& t : tasks_)
        if (t.running) t.signal.emit(asio::cancellation_type::terminal);
}

}  // namespace sesame::workers
