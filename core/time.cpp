#include "core/time.hpp"

#include <cstdio>

namespace sesame {

timestamp system_clock::now() const {
    return std::chrono::time_point_cast<duration>(std::chrono::system_clock::now());
}

std::string format_rfc3339(timestamp t) {
    const auto secs = std::chrono::floor<std::chrono::seconds>(t);
    const auto days = std::chrono::floor<std::chrono::days>(secs);
    const std::chrono::year_month_day ymd{days};
    const std::chrono::hh_mm_ss hms{secs - days};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                  int(hms.minutes().count()), int(hms.seconds().count()));
    return buf;
}

std::optional<timestamp> parse_rfc3339(std::string_view s) {
    int y, mo, d, h, mi, sec;
    if (s.size() < 20) return std::nullopt;
    std::string str(s);
    char tail[32] = {};
    if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%31s", &y, &mo, &d, &h, &mi, &sec, tail) != 7)
        return std::nullopt;
    std::string_view rest(tail);
    std::int64_t frac_ms = 0;
    if (!rest.empty() && rest.front() == '.') {
        rest.remove_prefix(1);
        int digits = 0;
        while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
            if (digits < 3) frac_ms = frac_ms * 10 + (rest.front() - '0');
            ++digits;
            rest.remove_prefix(1);
        }
        if (digits == 0) return std::nullopt;
        for (; digits < 3; ++digits) frac_ms *= 10;
    }
    if (rest != "Z") return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(mo)},
                                          std::chrono::day{unsigned(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
    const auto tp = std::chrono::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
                    std::chrono::seconds{sec} + duration{frac_ms};
    return std::chrono::time_point_cast<duration>(tp);
}

}  // namespace sesame
