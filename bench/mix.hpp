// Request mixes for the load generator: parsing the mix file format, choosing
// a request kind by weight and rendering it as HTTP/1.1 bytes, with the
// {seq}, {rand}, {@NAME} and {#NAME} placeholders (one value of each per
// request).
// Sans-I/O: standard library only.
//
// Mix file, one request kind per line (blank lines and `#` lines ignored):
//   WEIGHT METHOD PATH [JSON-BODY]
// e.g.  `3 POST /api/v1/recovery/password {"identifier":"u{seq}","profile":"parent"}`
// The body is the rest of the line, sent with Content-Type: application/json.
// Scenario files (scenario.hpp) add request kinds with add_route: a name,
// headers, a content type, {@NAME} placeholders drawing a random line of a
// values file (set_values), and {#NAME} ones drawing its lines in order, each
// once per run across every thread (then from the first again): values that
// work once, such as authorization codes.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sesame::bench {

// A small, fast, per-thread generator (splitmix64); not for secrets.
struct fast_rng {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n), n > 0 (multiply-shift; bias negligible for our use).
    std::uint64_t below(std::uint64_t n) {
        return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
    }
};

// A path or body with placeholders, split into literal and placeholder parts.
class text_template {
public:
    enum class part_kind { literal, seq, rand, value, next_value };
    struct part {
        part_kind kind;
        std::string text;   // literal only
        std::size_t slot = 0;  // value and next_value: index into the mix's value names
    };

    // `value_names`: where {@NAME} and {#NAME} placeholders are registered
    // (their slot is the index); without it, they stay literal text.
    static text_template parse(std::string_view s, std::vector<std::string>* value_names = nullptr);
    bool uses(part_kind kind) const;
    // Adds the slots of its placeholders of that kind (value or next_value)
    // to `out`, each once.
    void value_slots(std::vector<std::size_t>& out, part_kind kind = part_kind::value) const;
    // Appends the text to `out`, with `seq` for every {seq}, `rand` for
    // every {rand} and values[slot] for every {@NAME} and {#NAME}.
    void render(std::string& out, std::uint64_t seq, std::uint64_t rand,
                const std::vector<std::string_view>* values = nullptr) const {
        for (const auto& p : parts_) {
            switch (p.kind) {
            case part_kind::literal: out += p.text; break;
            case part_kind::seq: out += std::to_string(seq); break;
            case part_kind::rand: out += std::to_string(rand); break;
            case part_kind::value:
            case part_kind::next_value: if (values) out += (*values)[p.slot]; break;
            }
        }
    }

private:
    std::vector<part> parts_;
};

struct request_kind {
    std::string name;      // scenario route name (empty in mix files)
    std::size_t index = 0;  // position in the mix
    std::uint64_t weight = 1;
    std::string method;  // upper-case token, e.g. GET
    text_template path;
    text_template body;
    bool has_body = false;
    bool is_head = false;
    bool uses_seq = false;   // {seq} somewhere in path or body
    bool uses_rand = false;  // {rand} somewhere in path or body
    std::vector<text_template> headers;   // "Name: value", without CRLF
    std::string content_type = "application/json";
    std::vector<std::size_t> value_slots;  // {@NAME}s and {#NAME}s used, each once
    std::vector<std::size_t> in_order;     // those of value_slots used as {#NAME}
    std::string fixed_wire;  // the whole request when there is no placeholder
    int line = 0;            // in the mix file, for messages
};

class request_mix {
public:
    // Parses a mix file's text; on error returns false and sets `error` to a
    // message naming the line.
    bool parse(std::string_view text, std::string& error);
    // One request kind, as --method/--path/--body give it.
    bool add_single(std::string_view method, std::string_view path, std::string_view body, std::string& error);
    // A named request kind of a scenario (already validated by its parser).
    bool add_route(std::string_view name, std::uint64_t weight, std::string_view method, std::string_view path,
                   std::string_view body, std::string_view content_type, const std::vector<std::string>& headers,
                   std::string& error);
    // The lines of the values file NAME, for {@NAME}; empty lines dropped.
    void set_values(std::string_view name, std::vector<std::string> lines);
    // Value names used by some kind but without lines (set_values), if any.
    std::vector<std::string> missing_values() const;
    // Pre-renders the kinds without placeholders, makes the run-wide {#NAME}
    // counters (shared by copies of the mix); `host` is the Host header.
    // `extra_headers`: complete "Name: value\r\n" lines sent with every request.
    void finalize(std::string_view host, std::string_view extra_headers = {});

    bool empty() const { return kinds_.empty(); }
    const std::vector<request_kind>& kinds() const { return kinds_; }

    const request_kind& pick(fast_rng& rng) const {
        if (kinds_.size() == 1) return kinds_.front();
        const std::uint64_t r = rng.below(total_weight_);
        std::size_t lo = 0, hi = cumulative_.size() - 1;
        while (lo < hi) {  // first cumulative weight > r
            const std::size_t mid = (lo + hi) / 2;
            if (cumulative_[mid] > r) hi = mid; else lo = mid + 1;
        }
        return kinds_[lo];
    }

    // Writes the request bytes into `out` (cleared first) and returns them,
    // or returns the pre-rendered bytes when the kind has no placeholder.
    // One {seq} value (from `next_seq()`) and one {rand} value per request:
    // every occurrence in its path and body gets the same number.
    template <class SeqFn>
    std::string_view wire(const request_kind& k, std::string& out, SeqFn&& next_seq, fast_rng& rng) const {
        if (!k.fixed_wire.empty()) return k.fixed_wire;
        const std::uint64_t seq = k.uses_seq ? next_seq() : 0;
        const std::uint64_t rand = k.uses_rand ? 10000000 + rng.below(90000000) : 0;
        picked_.resize(values_.size());
        for (const std::size_t slot : k.value_slots) {
            const auto& lines = values_[slot];
            if (lines.empty()) {
                picked_[slot] = {};
                continue;
            }
            const bool in_order = std::find(k.in_order.begin(), k.in_order.end(), slot) != k.in_order.end();
            const std::uint64_t i = in_order ? (*next_line_)[slot].fetch_add(1, std::memory_order_relaxed) % lines.size()
                                             : rng.below(lines.size());
            picked_[slot] = lines[i];
        }
        out.clear();
        body_scratch_.clear();
        if (k.has_body) k.body.render(body_scratch_, seq, rand, &picked_);
        out += k.method;
        out += ' ';
        k.path.render(out, seq, rand, &picked_);
        append_headers(out, k, body_scratch_.size(), seq, rand);
        out += body_scratch_;
        return out;
    }

private:
    bool add(std::uint64_t weight, std::string_view method, std::string_view path, std::string_view body,
             int line, std::string& error);
    void append_headers(std::string& out, const request_kind& k, std::size_t body_size, std::uint64_t seq = 0,
                        std::uint64_t rand = 0) const;

    std::vector<request_kind> kinds_;
    std::vector<std::uint64_t> cumulative_;
    std::uint64_t total_weight_ = 0;
    std::string host_;
    std::string extra_headers_;
    std::vector<std::string> value_names_;           // slot -> NAME
    std::vector<std::vector<std::string>> values_;   // slot -> lines
    // slot -> the next line's index for {#NAME}, run-wide (made by finalize).
    std::shared_ptr<std::vector<std::atomic<std::uint64_t>>> next_line_;
    // Scratch space for rendering; one request_mix copy per thread.
    mutable std::string body_scratch_;
    mutable std::vector<std::string_view> picked_;
};

}  // namespace sesame::bench
