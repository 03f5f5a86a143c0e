// Scenario file parsing and canonical printing (see scenario.hpp).
// Standard library only.
#include "bench/scenario.hpp"

#include "bench/text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>

namespace sesame::bench {

namespace {

using text::trim;
constexpr std::string_view spaces = text::blanks;
constexpr std::int64_t max_ms = 86'400'000;         // one day
constexpr std::int64_t max_permille = 10'000;       // 1000 %
constexpr double max_rate = 10'000'000;

std::vector<std::string_view> words(std::string_view s) {
    std::vector<std::string_view> out;
    while (true) {
        s = trim(s);
        if (s.empty()) return out;
        const auto e = s.find_first_of(spaces);
        out.push_back(s.substr(0, e));
        if (e == std::string_view::npos) return out;
        s = s.substr(e);
    }
}

bool is_name(std::string_view s) {
    return !s.empty() && s.size() <= 64 &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

bool is_metric(std::string_view s) {
    if (s.empty() || s.size() > 200) return false;
    std::size_t start = 0;
    while (true) {
        const auto dot = s.find('.', start);
        if (!is_name(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start))) return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

template <class Int>
bool parse_int(std::string_view s, Int lo, Int hi, Int& out) {
    Int v{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v < lo || v > hi) return false;
    out = v;
    return true;
}

bool parse_double(std::string_view s, double& out) {
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) return false;
    out = v;
    return true;
}

// 10s, 500ms, 2m, 1h or a number of seconds; rounded to the millisecond.
bool parse_ms(std::string_view s, std::int64_t& out) {
    double factor = 1000.0;
    if (s.ends_with("ms")) { factor = 1.0; s.remove_suffix(2); }
    else if (s.ends_with("s")) { s.remove_suffix(1); }
    else if (s.ends_with("m")) { factor = 60'000.0; s.remove_suffix(1); }
    else if (s.ends_with("h")) { factor = 3'600'000.0; s.remove_suffix(1); }
    double v = 0;
    if (!parse_double(s, v) || v < 0 || v * factor > double(max_ms)) return false;
    out = std::llround(v * factor);
    return true;
}

// 12.5% -> 125 permille.
bool parse_percent(std::string_view s, std::int64_t& out) {
    if (!s.ends_with("%")) return false;
    s.remove_suffix(1);
    double v = 0;
    if (!parse_double(s, v) || v < 0 || v * 10 > double(max_permille)) return false;
    out = std::llround(v * 10);
    return true;
}

bool is_path(std::string_view p) {
    if (p.empty() || p.front() != '/' || p.size() > 8192) return false;
    return std::none_of(p.begin(), p.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
}

bool is_method(std::string_view m) {
    return !m.empty() && m.size() <= 16 && std::all_of(m.begin(), m.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool is_header_line(std::string_view h, std::string& why) {
    const auto colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) { why = "a header is 'Name: value'"; return false; }
    const auto name = h.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        })) {
        why = "a header name is letters, digits and '-'";
        return false;
    }
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; });
    if (lower == "host" || lower == "content-length" || lower == "content-type" || lower == "transfer-encoding") {
        why = "header " + std::string(name) + " is set by loadgen (use content_type for the type)";
        return false;
    }
    if (trim(h.substr(colon + 1)).empty()) { why = "a header needs a value"; return false; }
    if (std::any_of(h.begin(), h.end(), [](unsigned char c) { return c < 0x20 && c != '\t'; })) {
        why = "a header may not hold control characters";
        return false;
    }
    return true;
}

bool is_content_type(std::string_view t) {
    return !t.empty() && t.size() <= 200 &&
           std::none_of(t.begin(), t.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }) && t.find('/') != std::string_view::npos;
}

std::string permille_text(std::int64_t p) {
    return std::to_string(p / 10) + (p % 10 ? "." + std::to_string(p % 10) : std::string{}) + "%";
}

std::string double_text(double v) {
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", v);
    return text;
}

enum class section { none, scenario, route, ratios, thresholds };

class parser {
public:
    explicit parser(scenario& s) : s_(s) {}

    bool run(std::string_view rest, std::string& error) {
        int line_no = 0;
        for (std::string_view line; text::next_line(rest, line);) {
            ++line_no;
            if (line.empty() || line.front() == '#' || line.front() == ';') continue;
            std::string why;
            if (!(line.front() == '[' ? open_section(line, why) : key_value(line, why))) {
                error = "line " + std::to_string(line_no) + ": " + why;
                return false;
            }
        }
        std::string why;
        if (!finish(why)) {
            error = why;
            return false;
        }
        return true;
    }

private:
    bool open_section(std::string_view line, std::string& why) {
        if (line.back() != ']') { why = "a section header ends with ']'"; return false; }
        const auto w = words(line.substr(1, line.size() - 2));
        seen_.clear();
        if (w.size() == 1 && w[0] == "scenario") {
            if (had_scenario_) { why = "[scenario] appears twice"; return false; }
            had_scenario_ = true;
            current_ = section::scenario;
        } else if (w.size() == 2 && w[0] == "route") {
            if (!is_name(w[1])) { why = "a route name is [a-z0-9_]+, got '" + std::string(w[1]) + "'"; return false; }
            if (!route_names_.insert(std::string(w[1])).second) { why = "route " + std::string(w[1]) + " appears twice"; return false; }
            if (s_.routes.size() >= 64) { why = "at most 64 routes"; return false; }
            s_.routes.push_back({});
            s_.routes.back().name = std::string(w[1]);
            current_ = section::route;
        } else if (w.size() == 1 && w[0] == "ratios") {
            current_ = section::ratios;
        } else if (w.size() == 1 && w[0] == "thresholds") {
            current_ = section::thresholds;
        } else {
            why = "unknown section '" + std::string(line) + "' ([scenario], [route NAME], [ratios], [thresholds])";
            return false;
        }
        return true;
    }

    bool key_value(std::string_view line, std::string& why) {
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) { why = "expected 'key = value'"; return false; }
        const std::string key(trim(line.substr(0, eq)));
        const std::string_view value = trim(line.substr(eq + 1));
        if (value.empty()) { why = key + " needs a value"; return false; }
        switch (current_) {
        case section::none: why = "'" + key + "' before any section"; return false;
        case section::scenario: return scenario_key(key, value, why);
        case section::route: return route_key(s_.routes.back(), key, value, why);
        case section::ratios: return ratio(key, value, why);
        case section::thresholds: return threshold(key, value, why);
        }
        return false;
    }

    bool once(const std::string& key, std::string& why) {
        if (!seen_.insert(key).second) { why = key + " appears twice in this section"; return false; }
        return true;
    }

    bool scenario_key(const std::string& key, std::string_view v, std::string& why) {
        auto bad = [&](const std::string& wants) { why = key + " wants " + wants + ", got '" + std::string(v) + "'"; return false; };
        if (key != "stage" && key != "server" && !once(key, why)) return false;
        if (key == "name") {
            if (!is_name(v)) return bad("[a-z0-9_]+");
            s_.name = std::string(v);
        } else if (key == "description") {
            if (v.size() > 2000) return bad("at most 2000 bytes");
            s_.description = std::string(v);
        } else if (key == "kind") {
            if (v != "http" && v != "import" && v != "delivery") return bad("http, import or delivery");
            s_.kind = std::string(v);
        } else if (key == "connections") {
            if (!parse_int(v, 1, 20000, s_.connections)) return bad("an integer from 1 to 20000");
        } else if (key == "threads") {
            if (!parse_int(v, 1, 256, s_.threads)) return bad("an integer from 1 to 256");
        } else if (key == "rate") {
            if (!parse_double(v, s_.rate) || s_.rate < 0 || s_.rate > max_rate) return bad("requests/s from 0 to 10000000");
        } else if (key == "think") {
            if (!parse_ms(v, s_.think_ms)) return bad("a duration such as 100ms");
        } else if (key == "warmup") {
            if (!parse_ms(v, s_.warmup_ms)) return bad("a duration such as 1s");
        } else if (key == "timeout") {
            if (!parse_ms(v, s_.timeout_ms) || s_.timeout_ms == 0) return bad("a positive duration such as 5s");
        } else if (key == "honor_retry_after") {
            if (!parse_ms(v, s_.honor_retry_after_ms)) return bad("a duration such as 2s");
        } else if (key == "start") {
            if (!parse_percent(v, s_.start_permille)) return bad("a percentage from 0% to 1000%");
        } else if (key == "stage") {
            const auto w = words(v);
            scenario_stage st{};
            if (w.size() != 2 || !parse_ms(w[0], st.ms) || !parse_percent(w[1], st.level_permille))
                return bad("'DURATION LEVEL%' such as '30s 100%'");
            if (s_.stages.size() >= 100) { why = "at most 100 stages"; return false; }
            s_.stages.push_back(st);
        } else if (key == "kill_at") {
            const auto w = words(v);
            if (w.empty() || w.size() > 100) return bad("1 to 100 percentages of the run, such as '20% 60%'");
            for (const auto word : w) {
                std::int64_t p = 0;
                if (!parse_percent(word, p) || p > 1000 ||
                    (!s_.kill_at_permille.empty() && p <= s_.kill_at_permille.back()))
                    return bad("increasing percentages of the run from 0% to 100%, such as '20% 60%'");
                s_.kill_at_permille.push_back(p);
            }
        } else if (key == "kill_window") {
            if (!parse_ms(v, s_.kill_window_ms)) return bad("a duration such as 5s");
        } else if (key == "check_delivery") {
            if (!is_name(v)) return bad("a route name");
            s_.check_delivery = std::string(v);
        } else if (key == "references") {
            for (auto w : words(v)) {
                if (!is_name(w)) return bad("names [a-z0-9_]+ separated by spaces");
                s_.references.emplace_back(w);
            }
        } else if (key == "server") {
            if (s_.server_flags.size() >= 100) { why = "at most 100 server lines"; return false; }
            if (!v.starts_with("--")) return bad("flags such as '--limits.recovery_per_ip 1000/1h'");
            std::string line;
            for (auto w : words(v)) line += (line.empty() ? "" : " ") + std::string(w);
            s_.server_flags.push_back(std::move(line));
        } else {
            why = "unknown key '" + key + "' in [scenario]";
            return false;
        }
        return true;
    }

    bool route_key(scenario_route& r, const std::string& key, std::string_view v, std::string& why) {
        auto bad = [&](const std::string& wants) { why = key + " wants " + wants + ", got '" + std::string(v) + "'"; return false; };
        if (key != "header" && !once(key, why)) return false;
        if (key == "weight") {
            if (!parse_int<std::uint64_t>(v, 1, 1'000'000, r.weight)) return bad("an integer from 1 to 1000000");
        } else if (key == "method") {
            if (!is_method(v)) return bad("an upper-case token such as GET");
            r.method = std::string(v);
        } else if (key == "path") {
            if (!is_path(v)) return bad("a path starting with '/' without spaces or control characters");
            r.path = std::string(v);
        } else if (key == "body") {
            if (v.size() > 65536) return bad("at most 64 KiB");
            r.body = std::string(v);
        } else if (key == "content_type") {
            if (!is_content_type(v)) return bad("a media type such as application/json");
            r.content_type = std::string(v);
        } else if (key == "header") {
            if (!is_header_line(v, why)) return false;
            if (r.headers.size() >= 32) { why = "at most 32 headers per route"; return false; }
            const auto colon = v.find(':');
            r.headers.push_back(std::string(trim(v.substr(0, colon))) + ": " + std::string(trim(v.substr(colon + 1))));
        } else if (key == "expect") {
            for (auto w : words(v)) {
                unsigned code = 0;
                if (!parse_int(w, 100u, 599u, code)) return bad("HTTP statuses (100 to 599) separated by spaces");
                if (std::find(r.expect.begin(), r.expect.end(), code) == r.expect.end()) r.expect.push_back(code);
            }
            std::sort(r.expect.begin(), r.expect.end());
        } else if (key == "record") {
            if (!is_name(v)) return bad("a JSON field name [a-z0-9_]+");
            r.record = std::string(v);
        } else {
            why = "unknown key '" + key + "' in [route " + r.name + "]";
            return false;
        }
        return true;
    }

    bool ratio(const std::string& key, std::string_view v, std::string& why) {
        if (!is_name(key)) { why = "a ratio name is [a-z0-9_]+, got '" + key + "'"; return false; }
        if (!ratio_names_.insert(key).second) { why = "ratio " + key + " appears twice"; return false; }
        const auto slash = v.find('/');
        const auto a = trim(v.substr(0, slash));
        const auto b = slash == std::string_view::npos ? std::string_view{} : trim(v.substr(slash + 1));
        if (!is_metric(a) || !is_metric(b)) { why = "a ratio is 'METRIC / METRIC', got '" + std::string(v) + "'"; return false; }
        if (s_.ratios.size() >= 64) { why = "at most 64 ratios"; return false; }
        s_.ratios.push_back({key, std::string(a), std::string(b)});
        return true;
    }

    bool threshold(const std::string& key, std::string_view v, std::string& why) {
        if (!is_name(key)) { why = "a threshold name is [a-z0-9_]+, got '" + key + "'"; return false; }
        if (!threshold_names_.insert(key).second) { why = "threshold " + key + " appears twice"; return false; }
        const auto at = v.find_first_of("<>=");
        scenario_threshold t;
        t.name = key;
        if (at != std::string_view::npos) {
            t.metric = std::string(trim(v.substr(0, at)));
            auto rest = v.substr(at);
            for (std::string_view op : {"<=", ">=", "==", "<", ">"}) {
                if (rest.starts_with(op)) {
                    t.op = std::string(op);
                    rest.remove_prefix(op.size());
                    break;
                }
            }
            if (!t.op.empty() && is_metric(t.metric) && parse_double(trim(rest), t.value)) {
                if (s_.thresholds.size() >= 64) { why = "at most 64 thresholds"; return false; }
                s_.thresholds.push_back(std::move(t));
                return true;
            }
        }
        why = "a threshold is 'METRIC OP NUMBER' with OP one of < <= > >= ==, got '" + std::string(v) + "'";
        return false;
    }

    bool finish(std::string& why) {
        if (!had_scenario_) { why = "no [scenario] section"; return false; }
        if (s_.name.empty()) { why = "[scenario] needs a name"; return false; }
        if (s_.kind == "http" && s_.routes.empty()) { why = "an http scenario needs at least one [route NAME]"; return false; }
        if (s_.kind != "http" && !s_.routes.empty()) { why = "only http scenarios have routes"; return false; }
        for (const auto& r : s_.routes)
            if (r.path.empty()) { why = "[route " + r.name + "] needs a path"; return false; }
        if (s_.stages.empty()) s_.stages.push_back({10'000, 1000});
        std::int64_t total = s_.warmup_ms;
        for (const auto& st : s_.stages) total += st.ms;
        if (total > max_ms) { why = "the stages and warmup last more than a day"; return false; }
        if (s_.duration_ms() == 0) { why = "the stages last 0 s"; return false; }
        if (!s_.check_delivery.empty()) {
            const auto it = std::find_if(s_.routes.begin(), s_.routes.end(), [&](const auto& r) { return r.name == s_.check_delivery; });
            if (it == s_.routes.end() || it->record != "reference") {
                why = "check_delivery names a route that records 'reference'";
                return false;
            }
        }
        return true;
    }

    scenario& s_;
    section current_ = section::none;
    bool had_scenario_ = false;
    std::set<std::string> seen_, route_names_, ratio_names_, threshold_names_;
};

}  // namespace

bool scenario_route::expected(unsigned status) const {
    if (expect.empty()) return status >= 200 && status < 400;
    return std::binary_search(expect.begin(), expect.end(), status);
}

bool scenario_threshold::holds(double measured) const {
    if (op == "<") return measured < value;
    if (op == "<=") return measured <= value;
    if (op == ">") return measured > value;
    if (op == ">=") return measured >= value;
    return measured == value;
}

std::int64_t scenario::duration_ms() const {
    std::int64_t total = 0;
    for (const auto& st : stages) total += st.ms;
    return total;
}

std::int64_t scenario::level_at(std::int64_t ms) const {
    std::int64_t from = start_permille;
    for (const auto& st : stages) {
        if (ms < st.ms) return from + (st.level_permille - from) * ms / st.ms;
        ms -= st.ms;
        from = st.level_permille;
    }
    return from;
}

void scenario::scale_to(std::int64_t total_ms) {
    const std::int64_t before = duration_ms();
    if (before <= 0 || total_ms <= 0) return;
    std::int64_t done = 0, scaled_done = 0;
    for (auto& st : stages) {
        done += st.ms;
        const std::int64_t end = static_cast<std::int64_t>((static_cast<__int128>(done) * total_ms) / before);
        st.ms = end - scaled_done;
        scaled_done = end;
    }
}

bool parse_scenario(std::string_view text, scenario& out, std::string& error) {
    scenario s;
    parser p(s);
    if (!p.run(text, error)) return false;
    out = std::move(s);
    return true;
}

std::string to_text(const scenario& s) {
    std::string out = "[scenario]\nname = " + s.name + "\n";
    if (!s.description.empty()) out += "description = " + s.description + "\n";
    out += "kind = " + s.kind + "\n";
    out += "connections = " + std::to_string(s.connections) + "\n";
    out += "threads = " + std::to_string(s.threads) + "\n";
    out += "rate = " + double_text(s.rate) + "\n";
    out += "think = " + std::to_string(s.think_ms) + "ms\n";
    out += "warmup = " + std::to_string(s.warmup_ms) + "ms\n";
    out += "timeout = " + std::to_string(s.timeout_ms) + "ms\n";
    out += "honor_retry_after = " + std::to_string(s.honor_retry_after_ms) + "ms\n";
    out += "start = " + permille_text(s.start_permille) + "\n";
    for (const auto& st : s.stages) out += "stage = " + std::to_string(st.ms) + "ms " + permille_text(st.level_permille) + "\n";
    if (!s.kill_at_permille.empty()) {
        out += "kill_at =";
        for (const auto p : s.kill_at_permille) out += " " + permille_text(p);
        out += "\n";
    }
    out += "kill_window = " + std::to_string(s.kill_window_ms) + "ms\n";
    if (!s.check_delivery.empty()) out += "check_delivery = " + s.check_delivery + "\n";
    if (!s.references.empty()) {
        out += "references =";
        for (const auto& r : s.references) out += " " + r;
        out += "\n";
    }
    for (const auto& f : s.server_flags) out += "server = " + f + "\n";
    for (const auto& r : s.routes) {
        out += "\n[route " + r.name + "]\nweight = " + std::to_string(r.weight) + "\nmethod = " + r.method + "\npath = " + r.path + "\n";
        if (!r.body.empty()) out += "body = " + r.body + "\n";
        if (!r.content_type.empty()) out += "content_type = " + r.content_type + "\n";
        for (const auto& h : r.headers) out += "header = " + h + "\n";
        if (!r.expect.empty()) {
            out += "expect =";
            for (auto c : r.expect) {
                out += ' ';
                out += std::to_string(c);
            }
            out += "\n";
        }
        if (!r.record.empty()) out += "record = " + r.record + "\n";
    }
    if (!s.ratios.empty()) {
        out += "\n[ratios]\n";
        for (const auto& r : s.ratios) out += r.name + " = " + r.numerator + " / " + r.denominator + "\n";
    }
    if (!s.thresholds.empty()) {
        out += "\n[thresholds]\n";
        for (const auto& t : s.thresholds) out += t.name + " = " + t.metric + " " + t.op + " " + double_text(t.value) + "\n";
    }
    return out;
}

}  // namespace sesame::bench
