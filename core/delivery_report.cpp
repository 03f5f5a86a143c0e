#include "core/delivery_report.hpp"

#include <algorithm>

namespace sesame {

const char* to_string(report_status s) {
    switch (s) {
        case report_status::delivered: return "delivered";
        case report_status::failed: return "failed";
        case report_status::buffered: return "buffered";
    }
    return "buffered";
}

std::optional<report_status> parse_report_status(std::string_view s) {
    for (auto st : {report_status::delivered, report_status::failed, report_status::buffered})
        if (s == to_string(st)) return st;
    return std::nullopt;
}

std::optional<kannel_dlr> kannel_dlr_of(std::uint64_t type) {
    switch (type) {
        case 1: return kannel_dlr{report_status::delivered, "delivered to phone"};
        case 2: return kannel_dlr{report_status::failed, "non-delivered to phone"};
        case 4: return kannel_dlr{report_status::buffered, "queued on SMSC"};
        case 8: return kannel_dlr{report_status::buffered, "delivered to SMSC"};
        case 16: return kannel_dlr{report_status::failed, "non-delivered to SMSC"};
        default: return std::nullopt;
    }
}

namespace {

// Where an SMPP receipt's "text:" field starts ("... stat:DELIVRD err:000
// text:Votre code..."), at a word start, case-insensitive; npos if none.
std::size_t receipt_text_field(std::string_view s) {
    for (std::size_t i = 0; i + 5 <= s.size(); ++i) {
        if (i > 0 && s[i - 1] != ' ' && s[i - 1] != '\t') continue;
        const std::string_view w = s.substr(i, 5);
        bool match = true;
        for (std::size_t k = 0; k < 5 && match; ++k) {
            char c = w[k];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            match = c == "text:"[k];
        }
        if (match) return i;
    }
    return std::string_view::npos;
}

bool is_space(char c) { return c == ' '; }

}  // namespace

std::string sanitize_report_detail(std::string_view detail) {
    detail = detail.substr(0, receipt_text_field(detail));
    std::string out;
    out.reserve(std::min(detail.size(), report_detail_limit));
    for (char c : detail) {
        const auto u = static_cast<unsigned char>(c);
        out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
    }
    while (!out.empty() && is_space(out.back())) out.pop_back();
    std::size_t start = 0;
    while (start < out.size() && is_space(out[start])) ++start;
    out.erase(0, start);
    if (out.size() > report_detail_limit) {
        std::size_t n = report_detail_limit;
        // Back off continuation bytes so a multi-byte character is never cut.
        while (n > 0 && (static_cast<unsigned char>(out[n]) & 0xC0) == 0x80) --n;
        out.resize(n);
        while (!out.empty() && is_space(out.back())) out.pop_back();
    }
    return out;
}

status apply_delivery_report(outbox_repository& repo, std::string_view message_id, std::string_view report,
                             std::string_view detail, timestamp now) {
    const auto st = parse_report_status(report);
    if (!st) return invalid_field("status", "Le statut doit être « delivered », « failed » ou « buffered ».");
    auto guard = repo.lock_message(message_id);
    auto found = repo.find_message(message_id);
    if (!found) return make_error(errc::not_found);
    outbox_message& m = *found;

    const std::string result = std::string("report:") + to_string(*st);
    std::string kept = sanitize_report_detail(detail);
    if (!m.history.empty() && m.history.back().result == result && m.history.back().detail == kept) return ok_v;

    const message_status before = m.status;
    switch (*st) {
        case report_status::delivered:
            if (before == message_status::pending || before == message_status::sent ||
                before == message_status::failed || before == message_status::abandoned)
                m.status = message_status::delivered;
            break;
        case report_status::failed:
            if (before == message_status::pending || before == message_status::sent ||
                before == message_status::abandoned)
                m.status = message_status::failed;
            break;
        case report_status::buffered: break;
    }

    const auto report_lines = static_cast<std::size_t>(
        std::count_if(m.history.begin(), m.history.end(),
                      [](const delivery_attempt& a) { return a.result.rfind("report:", 0) == 0; }));
    const bool add_line = report_lines < max_report_lines;
    if (add_line) m.history.push_back(delivery_attempt{now, result, std::move(kept)});
    if (!add_line && m.status == before) return ok_v;
    repo.update_message(m, true);
    return ok_v;
}

}  // namespace sesame
