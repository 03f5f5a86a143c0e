#include "store/wal_syncer.hpp"

#include <algorithm>

#include "store/error.hpp"

namespace sesame::store {

wal_syncer::wal_syncer(latest_fn latest, sync_fn sync)
    : latest_(std::move(latest)), sync_(std::move(sync)), thread_([this] { run(); }) {}

wal_syncer::~wal_syncer() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    wanted_.notify_one();
    thread_.join();
}

void wal_syncer::request(std::uint64_t seq) {
    if (seq > requested_) {
        requested_ = seq;
        wanted_.notify_one();
    }
}

void wal_syncer::wait(std::uint64_t seq) {
    std::unique_lock lk(mu_);
    request(seq);
    done_.wait(lk, [&] { return reached_ >= seq || !failure_.empty(); });
    if (reached_ < seq) throw store_error("store: synchronisation du journal impossible : " + failure_);
}

void wal_syncer::when_durable(std::uint64_t seq, std::function<void(bool)> done) {
    std::unique_lock lk(mu_);
    if (!failure_.empty() || reached_ >= seq) {
        const bool ok = failure_.empty();
        lk.unlock();
        done(ok);
        return;
    }
    waiters_.emplace_back(seq, std::move(done));
    request(seq);
}

std::uint64_t wal_syncer::rounds() const {
    std::lock_guard lk(mu_);
    return rounds_;
}

void wal_syncer::answer_waiters(std::unique_lock<std::mutex>& lk) {
    if (waiters_.empty()) return;
    const bool failed = !failure_.empty();
    std::vector<std::pair<std::uint64_t, std::function<void(bool)>>> settled, waiting;
    for (auto& w : waiters_) (failed || w.first <= reached_ ? settled : waiting).push_back(std::move(w));
    waiters_ = std::move(waiting);
    lk.unlock();
    for (auto& [seq, done] : settled) done(!failed);
    lk.lock();
}

void wal_syncer::run() {
    std::unique_lock lk(mu_);
    for (;;) {
        wanted_.wait(lk, [&] { return stop_ || requested_ > reached_; });
        if (requested_ <= reached_) return;  // stopping with nothing left to sync
        // Everything with a sequence up to `target` is already in the log file.
        const std::uint64_t target = latest_();
        lk.unlock();
        const auto error = sync_();
        lk.lock();
        ++rounds_;
        if (!error) reached_ = std::max(reached_, target);
        else failure_ = *error;
        done_.notify_all();
        answer_waiters(lk);
        if (!failure_.empty()) return;
    }
}

}  // namespace sesame::store
