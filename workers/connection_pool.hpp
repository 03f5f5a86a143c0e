// The pool of reusable connections behind a sender (SMTP sessions, the SMS
// gateway's keep-alive connections): at most `max_open` open at once (idle
// and leased), an idle one reused most recently used first and closed once
// idle longer than `max_idle`; callers past the limit wait, each up to its
// own deadline, and are woken in arrival order. Depends on Asio only.
//
// Threads: no lock. Every call comes from coroutines running on one strand
// (the delivery service's, as workers/sender.hpp promises), so the pool's
// state changes only between suspension points. Timers use the awaiting
// coroutine's executor.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <list>
#include <memory>
#include <utility>
#include <vector>

namespace sesame::workers {

template <class Connection>
class connection_pool {
public:
    using steady = std::chrono::steady_clock;

    // One slot of the pool, held by one send. `connection` is a reused idle
    // connection, or null on a new slot (the holder connects and stores it
    // there). Let go without keep(), the connection is closed (destroyed) and
    // the slot freed, exceptions included. An empty lease holds no slot.
    class lease {
    public:
        lease() = default;
        lease(lease&& o) noexcept
            : connection(std::move(o.connection)), pool_(std::exchange(o.pool_, nullptr)), reused_(o.reused_) {}
        lease& operator=(lease&& o) noexcept {
            if (this != &o) {
                discard();
                connection = std::move(o.connection);
                pool_ = std::exchange(o.pool_, nullptr);
                reused_ = o.reused_;
            }
            return *this;
        }
        ~lease() { discard(); }

        explicit operator bool() const { return pool_ != nullptr; }
        bool reused() const { return reused_; }  // `connection` came from the idle list

        // Gives `connection` back for reuse (it must be set and idle: no
        // deadline armed, nothing left unread). The lease is empty after.
        void keep() {
            if (!pool_) return;
            auto* p = std::exchange(pool_, nullptr);
            if (connection)
                p->put_idle(std::move(connection));
            else
                p->free_slot();
        }
        // Closes the connection now and frees the slot. The lease is empty after.
        void discard() {
            if (!pool_) return;
            connection.reset();
            std::exchange(pool_, nullptr)->free_slot();
        }

        std::unique_ptr<Connection> connection;

    private:
        friend class connection_pool;
        lease(connection_pool* p, std::unique_ptr<Connection> c, bool reused)
            : connection(std::move(c)), pool_(p), reused_(reused) {}
        connection_pool* pool_ = nullptr;
        bool reused_ = false;
    };

    connection_pool(std::size_t max_open, steady::duration max_idle)
        : max_open_(std::max<std::size_t>(max_open, 1)), max_idle_(max_idle) {}
    // Closes the idle connections. No lease may outlive the pool.
    ~connection_pool() = default;
    connection_pool(const connection_pool&) = delete;
    connection_pool& operator=(const connection_pool&) = delete;

    // Completes with a lease on the most recently used idle connection
    // (closing first those idle longer than max_idle), else on a new slot
    // when fewer than max_open are open, else waits for one to be given back
    // or freed; an empty lease once `deadline` passes first. Cancellation:
    // a cancelled wait throws system_error(operation_aborted), passing its
    // turn on if it had just been woken.
    boost::asio::awaitable<lease> acquire(steady::time_point deadline) {
        namespace asio = boost::asio;
        for (;;) {
            close_expired(steady::now());
            if (!idle_.empty()) {
                auto c = std::move(idle_.back().connection);
                idle_.pop_back();
                co_return lease(this, std::move(c), true);
            }
            if (open_ < max_open_) {
                ++open_;
                co_return lease(this, nullptr, false);
            }
            if (steady::now() >= deadline) co_return lease{};
            const auto ex = co_await asio::this_coro::executor;
            waiter w{asio::steady_timer(ex)};
            w.timer.expires_at(deadline);
            waiters_.push_back(&w);
            const unlink_unless_woken guard{waiters_, std::prev(waiters_.end()), w};
            auto [ec] = co_await w.timer.async_wait(asio::as_tuple(asio::use_awaitable));
            const asio::cancellation_state cs = co_await asio::this_coro::cancellation_state;
            const bool cancelled = cs.cancelled() != asio::cancellation_type::none ||
                                   (!w.woken && ec == asio::error::operation_aborted);
            if (cancelled) {
                if (w.woken) wake_one();
                throw boost::system::system_error(asio::error::operation_aborted);
            }
        }
    }

    // Removes every idle connection and frees their slots: the caller says
    // goodbye on each (SMTP QUIT) and closes it.
    std::vector<std::unique_ptr<Connection>> take_idle() {
        std::vector<std::unique_ptr<Connection>> out;
        for (auto& e : idle_) out.push_back(std::move(e.connection));
        idle_.clear();
        open_ -= out.size();
        for (std::size_t i = 0; i < out.size(); ++i) wake_one();
        return out;
    }

    std::size_t idle() const { return idle_.size(); }
    std::size_t open() const { return open_; }  // idle and leased
    std::size_t waiting() const { return waiters_.size(); }

private:
    struct idle_entry {
        std::unique_ptr<Connection> connection;
        steady::time_point since;
    };
    struct waiter {
        boost::asio::steady_timer timer;
        bool woken = false;
    };

    // Takes a waiter that was not woken (deadline, cancellation, a frame
    // destroyed while suspended) off the list.
    struct unlink_unless_woken {
        std::list<waiter*>& list;
        typename std::list<waiter*>::iterator at;
        waiter& w;
        ~unlink_unless_woken() {
            if (!w.woken) list.erase(at);
        }
    };

    void close_expired(steady::time_point now) {
        while (!idle_.empty() && now - idle_.front().since > max_idle_) {
            idle_.pop_front();
            --open_;
        }
    }
    void put_idle(std::unique_ptr<Connection> c) {
        idle_.push_back(idle_entry{std::move(c), steady::now()});
        wake_one();
    }
    void free_slot() {
        --open_;
        wake_one();
    }
    void wake_one() {
        if (waiters_.empty()) return;
        waiter* w = waiters_.front();
        waiters_.pop_front();
        w->woken = true;
        w->timer.cancel();
    }

    std::size_t max_open_;
    steady::duration max_idle_;
    std::deque<idle_entry> idle_;  // most recently used at the back
    std::size_t open_ = 0;
    std::list<waiter*> waiters_;   // in arrival order; each lives in its coroutine's frame
};

}  // namespace sesame::workers
