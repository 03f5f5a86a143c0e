// A small Prometheus-style registry: counters, gauges (or callbacks) and
// histograms with fixed buckets, lock-free on the hot path, rendered in the
// text exposition format by /metrics. Standard library only.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sesame {

class counter {
public:
    void inc(std::uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> v_{0};
};

class gauge {
public:
    void add(std::int64_t n) { v_.fetch_add(n, std::memory_order_relaxed); }
    void set(std::int64_t n) { v_.store(n, std::memory_order_relaxed); }
    std::int64_t value() const { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> v_{0};
};

// Latency histogram in seconds, buckets from 0.5 ms to 10 s.
class histogram {
public:
    static constexpr std::array<double, 14> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,    0.25,  0.5,    1.0,   2.5,   5.0,  10.0};
    void observe(double seconds);
    std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
    void render(std::string& out, const std::string& name, const std::string& labels) const;

private:
    std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets_{};
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_us_{0};
};

class metrics_registry {
public:
    // Registration returns a reference that stays valid for the registry's life.
    // `labels` is the inside of the braces, e.g. `channel="sms",outcome="sent"`.
    counter& add_counter(const std::string& name, const std::string& help, const std::string& labels = {});
    gauge& add_gauge(const std::string& name, const std::string& help, const std::string& labels = {});
    histogram& add_histogram(const std::string& name, const std::string& help, const std::string& labels = {});
    void add_callback(const std::string& name, const std::string& help, std::function<double()> read);

    std::string render() const;

private:
    struct family {
        std::string name, help, type;
    };
    struct entry {
        std::size_t family;
        std::string labels;
        std::unique_ptr<counter> c;
        std::unique_ptr<gauge> g;
        std::unique_ptr<histogram> h;
        std::function<double()> read;
    };
    std::size_t family_index(const std::string& name, const std::string& help, const std::string& type);

    mutable std::mutex mu_;
    std::vector<family> families_;
    std::deque<entry> entries_;
};

}  // namespace sesame
