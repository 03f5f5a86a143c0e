// Mix file parsing and request rendering (see mix.hpp). Standard library only.
#include "bench/mix.hpp"

#include "bench/text.hpp"

#include <algorithm>
#include <charconv>

namespace sesame::bench {

namespace {

using text::blanks;
using text::trim;

// Splits off the first whitespace-delimited word of `s`.
std::string_view next_word(std::string_view& s) {
    s = trim(s);
    const auto e = s.find_first_of(blanks);
    const std::string_view w = s.substr(0, e);
    s = e == std::string_view::npos ? std::string_view{} : s.substr(e);
    return w;
}

bool is_method_token(std::string_view m) {
    if (m.empty() || m.size() > 16) return false;
    return std::all_of(m.begin(), m.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool is_path(std::string_view p) {
    if (p.empty() || p.front() != '/') return false;
    return std::none_of(p.begin(), p.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
}

}  // namespace

text_template text_template::parse(std::string_view s, std::vector<std::string>* value_names) {
    text_template t;
    std::string literal;
    auto flush = [&] {
        if (!literal.empty()) t.parts_.push_back({part_kind::literal, std::move(literal)});
        literal.clear();
    };
    while (!s.empty()) {
        if (s.starts_with("{seq}")) {
            flush();
            t.parts_.push_back({part_kind::seq, {}});
            s.remove_prefix(5);
        } else if (s.starts_with("{rand}")) {
            flush();
            t.parts_.push_back({part_kind::rand, {}});
            s.remove_prefix(6);
        } else if (value_names && (s.starts_with("{@") || s.starts_with("{#")) && s.find('}') != std::string_view::npos) {
            const std::string name(s.substr(2, s.find('}') - 2));
            auto it = std::find(value_names->begin(), value_names->end(), name);
            if (it == value_names->end()) it = value_names->insert(value_names->end(), name);
            flush();
            t.parts_.push_back({s[1] == '@' ? part_kind::value : part_kind::next_value, {},
                                std::size_t(it - value_names->begin())});
            s.remove_prefix(name.size() + 3);
        } else {
            literal += s.front();
            s.remove_prefix(1);
        }
    }
    flush();
    return t;
}

bool text_template::uses(part_kind kind) const {
    return std::any_of(parts_.begin(), parts_.end(), [kind](const part& p) { return p.kind == kind; });
}

void text_template::value_slots(std::vector<std::size_t>& out, part_kind kind) const {
    for (const auto& p : parts_)
        if (p.kind == kind && std::find(out.begin(), out.end(), p.slot) == out.end()) out.push_back(p.slot);
}

bool request_mix::add(std::uint64_t weight, std::string_view method, std::string_view path,
                      std::string_view body, int line, std::string& error) {
    const std::string where = line > 0 ? "line " + std::to_string(line) + ": " : std::string{};
    if (!is_method_token(method)) {
        error = where + "method must be an upper-case token such as GET or POST, got '" + std::string(method) + "'";
        return false;
    }
    if (!is_path(path)) {
        error = where + "path must start with '/' and contain no spaces or control characters, got '" +
                std::string(path) + "'";
        return false;
    }
    if (std::any_of(body.begin(), body.end(), [](unsigned char c) { return c == '\n' || c == '\r'; })) {
        error = where + "the body must fit on one line";
        return false;
    }
    request_kind k;
    k.weight = weight;
    k.method = std::string(method);
    k.path = text_template::parse(path);
    k.has_body = !body.empty();
    k.body = text_template::parse(body);
    k.is_head = method == "HEAD";
    k.line = line;
    using pk = text_template::part_kind;
    k.uses_seq = k.path.uses(pk::seq) || k.body.uses(pk::seq);
    k.uses_rand = k.path.uses(pk::rand) || k.body.uses(pk::rand);
    k.index = kinds_.size();
    kinds_.push_back(std::move(k));
    total_weight_ += weight;
    cumulative_.push_back(total_weight_);
    return true;
}

bool request_mix::parse(std::string_view rest, std::string& error) {
    int line_no = 0;
    for (std::string_view line; text::next_line(rest, line);) {
        ++line_no;
        if (line.empty() || line.front() == '#') continue;

        const std::string_view weight_text = next_word(line);
        std::uint64_t weight = 0;
        const auto [end, ec] = std::from_chars(weight_text.data(), weight_text.data() + weight_text.size(), weight);
        if (ec != std::errc{} || end != weight_text.data() + weight_text.size() || weight == 0 ||
            weight > 1'000'000) {
            error = "line " + std::to_string(line_no) + ": weight must be an integer from 1 to 1000000, got '" +
                    std::string(weight_text) + "'";
            return false;
        }
        const std::string_view method = next_word(line);
        const std::string_view path = next_word(line);
        if (path.empty()) {
            error = "line " + std::to_string(line_no) + ": expected 'WEIGHT METHOD PATH [JSON-BODY]'";
            return false;
        }
        if (!add(weight, method, path, trim(line), line_no, error)) return false;
    }
    if (kinds_.empty()) {
        error = "the mix has no request line";
        return false;
    }
    return true;
}

bool request_mix::add_single(std::string_view method, std::string_view path, std::string_view body,
                             std::string& error) {
    return add(1, method, path, body, 0, error);
}

bool request_mix::add_route(std::string_view name, std::uint64_t weight, std::string_view method, std::string_view path,
                            std::string_view body, std::string_view content_type,
                            const std::vector<std::string>& headers, std::string& error) {
    if (!add(weight, method, "/", body, 0, error)) return false;
    request_kind& k = kinds_.back();
    k.name = std::string(name);
    k.path = text_template::parse(path, &value_names_);
    k.body = text_template::parse(body, &value_names_);
    if (!content_type.empty()) k.content_type = std::string(content_type);
    using pk = text_template::part_kind;
    for (const auto kind : {pk::value, pk::next_value}) {
        auto& slots = kind == pk::value ? k.value_slots : k.in_order;
        k.path.value_slots(slots, kind);
        k.body.value_slots(slots, kind);
    }
    for (const auto& h : headers) {
        k.headers.push_back(text_template::parse(h, &value_names_));
        k.headers.back().value_slots(k.value_slots, pk::value);
        k.headers.back().value_slots(k.in_order, pk::next_value);
        k.uses_seq = k.uses_seq || k.headers.back().uses(pk::seq);
        k.uses_rand = k.uses_rand || k.headers.back().uses(pk::rand);
    }
    for (const std::size_t slot : k.in_order)  // one line per file per request: in order wins
        if (std::find(k.value_slots.begin(), k.value_slots.end(), slot) == k.value_slots.end())
            k.value_slots.push_back(slot);
    k.uses_seq = k.uses_seq || k.path.uses(pk::seq) || k.body.uses(pk::seq);
    k.uses_rand = k.uses_rand || k.path.uses(pk::rand) || k.body.uses(pk::rand);
    values_.resize(value_names_.size());
    return true;
}

void request_mix::set_values(std::string_view name, std::vector<std::string> lines) {
    auto it = std::find(value_names_.begin(), value_names_.end(), name);
    if (it == value_names_.end()) it = value_names_.insert(value_names_.end(), std::string(name));
    values_.resize(value_names_.size());
    lines.erase(std::remove(lines.begin(), lines.end(), std::string{}), lines.end());
    values_[std::size_t(it - value_names_.begin())] = std::move(lines);
}

std::vector<std::string> request_mix::missing_values() const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < value_names_.size(); ++i)
        if (i >= values_.size() || values_[i].empty()) out.push_back(value_names_[i]);
    return out;
}

void request_mix::append_headers(std::string& out, const request_kind& k, std::size_t body_size, std::uint64_t seq,
                                 std::uint64_t rand) const {
    out += " HTTP/1.1\r\nHost: ";
    out += host_;
    out += "\r\nUser-Agent: sesame-loadgen\r\n";
    out += extra_headers_;
    for (const auto& h : k.headers) {
        h.render(out, seq, rand, &picked_);
        out += "\r\n";
    }
    if (k.has_body) {
        out += "Content-Type: ";
        out += k.content_type;
        out += "\r\nContent-Length: ";
        out += std::to_string(body_size);
        out += "\r\n";
    } else if (k.method == "POST" || k.method == "PUT" || k.method == "PATCH") {
        out += "Content-Length: 0\r\n";
    }
    out += "\r\n";
}

void request_mix::finalize(std::string_view host, std::string_view extra_headers) {
    host_ = std::string(host);
    extra_headers_ = std::string(extra_headers);
    next_line_ = std::make_shared<std::vector<std::atomic<std::uint64_t>>>(values_.size());
    for (auto& k : kinds_) {
        if (k.uses_seq || k.uses_rand || !k.value_slots.empty()) continue;
        k.fixed_wire = k.method + ' ';
        k.path.render(k.fixed_wire, 0, 0);
        std::string body;
        if (k.has_body) k.body.render(body, 0, 0);
        append_headers(k.fixed_wire, k, body.size());
        k.fixed_wire += body;
    }
}

}  // namespace sesame::bench
