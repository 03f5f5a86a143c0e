#include "workers/delivery_attempt.hpp"

#include <algorithm>

#include "core/contact.hpp"

namespace sesame::workers {

namespace {

constexpr std::size_t detail_limit = 300;  // bytes of a gateway answer kept in the history

// A gateway answer cut to detail_limit bytes on a UTF-8 boundary.
std::string bounded_detail(std::string s) {
    if (s.size() <= detail_limit) return s;
    std::size_t n = detail_limit;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    s.resize(n);
    s += "…";
    return s;
}

}  // namespace

duration retry_backoff(const delivery_options& o, std::uint32_t attempts) {
    duration d = std::max(o.retry_initial, duration{1});
    for (std::uint32_t i = 1; i < attempts && d < o.retry_max; ++i) d *= 2;
    return std::min(d, std::max(o.retry_max, duration{1}));
}

const char* to_string(attempt_verdict v) {
    switch (v) {
        case attempt_verdict::refused_destination: return "refused_destination";
        case attempt_verdict::expired: return "expired";
        case attempt_verdict::sent: return "sent";
        case attempt_verdict::retry: return "retry";
        case attempt_verdict::abandoned_permanent: return "abandoned_permanent";
        case attempt_verdict::abandoned_exhausted: return "abandoned_exhausted";
    }
    return "retry";
}

std::optional<attempt_verdict> check_before_send(outbox_message& m, timestamp now) {
    // SMS pumping: whatever reached the outbox, an SMS goes only to a
    // French mobile (metropolitan 06/07, the overseas mobile ranges), never
    // to a premium, fixed or foreign number.
    if (m.ch == channel::sms && normalize_french_mobile(m.to) != m.to) {
        m.status = message_status::abandoned;
        m.history.push_back(delivery_attempt{now, "refused", "destination hors des mobiles français : non envoyé"});
        return attempt_verdict::refused_destination;
    }
    if (m.not_after && now >= *m.not_after) {
        m.status = message_status::expired;
        m.history.push_back(delivery_attempt{now, "expired", "code expiré avant l'envoi"});
        return attempt_verdict::expired;
    }
    return std::nullopt;
}

attempt_record record_send(outbox_message& m, send_result r, timestamp done_at, const delivery_options& o,
                           std::mt19937_64& rng) {
    m.attempts += 1;
    std::string detail = bounded_detail(std::move(r.detail));
    if (!r.gateway_id.empty()) detail += " [gateway_id " + r.gateway_id + "]";
    m.history.push_back(delivery_attempt{done_at, to_string(r.outcome), detail});
    switch (r.outcome) {
        case send_result::accepted:
            m.status = message_status::sent;
            return {attempt_verdict::sent, std::move(detail)};
        case send_result::permanent_failure:
            m.status = message_status::abandoned;
            return {attempt_verdict::abandoned_permanent, std::move(detail)};
        case send_result::temporary_failure:
            break;
    }
    if (m.attempts >= std::max<std::uint32_t>(o.max_attempts, 1)) {
        m.status = message_status::abandoned;
        m.history.push_back(delivery_attempt{
            done_at, "abandoned", "abandonné après " + std::to_string(m.attempts) + " tentatives : " + detail});
        return {attempt_verdict::abandoned_exhausted, std::move(detail)};
    }
    const auto ceiling = retry_backoff(o, m.attempts);
    std::uniform_int_distribution<std::int64_t> jitter(ceiling.count() / 2, ceiling.count());
    m.next_attempt_at = done_at + duration{jitter(rng)};
    return {attempt_verdict::retry, std::move(detail)};
}

}  // namespace sesame::workers
