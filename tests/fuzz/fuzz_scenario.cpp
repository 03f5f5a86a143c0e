// libFuzzer target for the bench suite's scenario files (bench/scenario.hpp):
// parse_scenario on any input, then the invariants a parsed scenario keeps
// (names, weights, stages, bounds) and the canonical text's round trip:
// to_text parses back to a scenario with the same canonical text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bench/scenario.hpp"

namespace {

void check(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz_scenario: invariant violated: %s\n", what);
    std::abort();
}

bool is_name(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace sesame::bench;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    scenario s;
    std::string error;
    if (!parse_scenario(text, s, error)) {
        check(!error.empty(), "a refusal without a message");
        return 0;
    }
    check(is_name(s.name), "scenario name");
    check(s.kind == "http" || s.kind == "import" || s.kind == "delivery", "kind");
    check(s.kind != "http" || !s.routes.empty(), "an http scenario without routes");
    check(s.connections >= 1 && s.connections <= 20000 && s.threads >= 1 && s.threads <= 256, "bounds");
    check(s.rate >= 0 && s.rate <= 1e7, "rate");
    check(!s.stages.empty() && s.duration_ms() > 0 && s.duration_ms() <= 86'400'000, "stages");
    for (const auto& st : s.stages) check(st.ms >= 0 && st.level_permille >= 0 && st.level_permille <= 10'000, "stage");
    for (std::int64_t t : {std::int64_t{0}, s.duration_ms() / 2, s.duration_ms(), s.duration_ms() + 1}) {
        const auto level = s.level_at(t);
        check(level >= 0 && level <= 10'000, "level out of range");
    }
    for (const auto& r : s.routes) {
        check(is_name(r.name) && r.weight >= 1 && !r.path.empty() && r.path.front() == '/', "route");
        for (unsigned code : r.expect) check(code >= 100 && code <= 599, "expected status");
    }
    for (std::size_t i = 0; i < s.kill_at_permille.size(); ++i)
        check(s.kill_at_permille[i] >= 0 && s.kill_at_permille[i] <= 1000 &&
                  (i == 0 || s.kill_at_permille[i] > s.kill_at_permille[i - 1]),
              "kill_at");
    for (const auto& t : s.thresholds) check(t.op == "<" || t.op == "<=" || t.op == ">" || t.op == ">=" || t.op == "==", "op");

    const std::string canonical = to_text(s);
    scenario again;
    check(parse_scenario(canonical, again, error), "the canonical text does not parse");
    check(to_text(again) == canonical, "the canonical text is not stable");

    scenario scaled = s;
    scaled.scale_to(12'345);
    check(scaled.duration_ms() == 12'345, "scale_to");
    return 0;
}
