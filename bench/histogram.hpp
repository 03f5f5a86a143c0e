// Latency histogram for the load generator: log-linear buckets in the style of
// HdrHistogram (about 0.4% relative precision, nanoseconds up to ~2^62), one
// per thread, merged at the end. Standard library only.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <limits>

namespace sesame::bench {

// Values below 2^SubBits are exact; above, each power-of-two range is split
// into 2^(SubBits-1) equal buckets: SubBits 9 gives ~0.4% precision (28 KB),
// SubBits 4 ~6% (4 KB, for the per-second series of the report).
template <int SubBits>
class basic_latency_histogram {
public:
    static constexpr int sub_bits = SubBits;
    static constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;
    static constexpr std::uint64_t half = sub_count / 2;
    static constexpr std::size_t bucket_count = sub_count + (64 - sub_bits) * half;

    void record(std::uint64_t ns) {
        ++counts_[index_of(ns)];
        ++total_;
        sum_ += ns;
        max_ = std::max(max_, ns);
        min_ = std::min(min_, ns);
    }

    void merge(const basic_latency_histogram& o) {
        for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += o.counts_[i];
        total_ += o.total_;
        sum_ += o.sum_;
        max_ = std::max(max_, o.max_);
        min_ = std::min(min_, o.min_);
    }

    std::uint64_t count() const { return total_; }
    std::uint64_t max() const { return total_ ? max_ : 0; }
    std::uint64_t min() const { return total_ ? min_ : 0; }
    double mean() const { return total_ ? double(sum_) / double(total_) : 0.0; }

    // The smallest recorded value v such that at least q of the samples are
    // <= v, reported as the upper edge of its bucket (never above max()).
    std::uint64_t quantile(double q) const {
        if (total_ == 0) return 0;
        q = std::clamp(q, 0.0, 1.0);
        auto rank = static_cast<std::uint64_t>(q * double(total_) + 0.999999);
        rank = std::clamp<std::uint64_t>(rank, 1, total_);
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < bucket_count; ++i) {
            seen += counts_[i];
            if (seen >= rank) return std::min(upper_edge(i), max_);
        }
        return max_;
    }

    // Calls f(upper edge, count) for every non-empty bucket, in increasing order.
    template <class F>
    void for_each_bucket(F&& f) const {
        for (std::size_t i = 0; i < bucket_count; ++i)
            if (counts_[i]) f(upper_edge(i), counts_[i]);
    }

    static std::size_t index_of(std::uint64_t v) {
        if (v < sub_count) return static_cast<std::size_t>(v);
        const int msb = 63 - std::countl_zero(v);   // >= sub_bits
        const int shift = msb - (sub_bits - 1);     // >= 1
        const std::uint64_t mantissa = v >> shift;  // in [half, sub_count)
        return static_cast<std::size_t>(sub_count + std::uint64_t(shift - 1) * half + (mantissa - half));
    }

    static std::uint64_t upper_edge(std::size_t i) {
        if (i < sub_count) return i;
        const std::uint64_t k = i - sub_count;
        const int shift = static_cast<int>(k / half) + 1;
        const std::uint64_t mantissa = half + k % half;
        return ((mantissa + 1) << shift) - 1;  // the top bucket wraps to 2^64 - 1
    }

private:
    std::array<std::uint64_t, bucket_count> counts_{};
    std::uint64_t total_ = 0;
    std::uint64_t sum_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
};

using latency_histogram = basic_latency_histogram<9>;
using coarse_histogram = basic_latency_histogram<4>;

}  // namespace sesame::bench
