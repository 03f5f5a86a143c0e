#include "core/outbox.hpp"

#include <algorithm>

namespace sesame {

const char* to_string(channel c) { return c == channel::sms ? "sms" : "email"; }

const char* to_string(message_status s) {
    switch (s) {
        case message_status::pending: return "pending";
        case message_status::sent: return "sent";
        case message_status::delivered: return "delivered";
        case message_status::failed: return "failed";
        case message_status::expired: return "expired";
        case message_status::abandoned: return "abandoned";
        case message_status::refused: return "refused";
    }
    return "pending";
}

std::optional<message_status> parse_message_status(std::string_view s) {
    for (auto st : {message_status::pending, message_status::sent, message_status::delivered, message_status::failed,
                    message_status::expired, message_status::abandoned, message_status::refused})
        if (s == to_string(st)) return st;
    return std::nullopt;
}

void keep_reports(outbox_message& ours, const outbox_message& stored) {
    for (const auto& h : stored.history) {
        if (h.result.rfind("report:", 0) != 0) continue;
        const bool known = std::any_of(ours.history.begin(), ours.history.end(), [&](const delivery_attempt& a) {
            return a.result == h.result && a.detail == h.detail && a.at == h.at;
        });
        if (!known) ours.history.push_back(h);
    }
    if (stored.status == message_status::delivered || stored.status == message_status::failed)
        ours.status = stored.status;
}

outbox_message retained_form(outbox_message m) {
    if (m.status != message_status::pending) {
        m.text.clear();
        m.html.clear();
    }
    return m;
}

}  // namespace sesame
