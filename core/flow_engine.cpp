#include "core/flow_engine.hpp"

#include <algorithm>

#include "core/journal_entry.hpp"

namespace sesame {

namespace {

constexpr std::string_view reference_alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

bool six_digits(std::string_view s) {
    return s.size() == 6 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Keys of the sliding windows.
std::string ip_key(const char* what, const client_info& c) { return std::string(what) + ":" + c.ip; }

}  // namespace

flow_engine::flow_engine(account_ports ports, flow_repository& flows, crypto& c, recovery_policy policy,
                         std::string server_secret)
    : ports_(ports), flows_(flows), crypto_(c), policy_(std::move(policy)), server_secret_(std::move(server_secret)) {}

void flow_engine::set_metrics(metrics_registry& r) {
    const char* help = "Messages not sent because a destination cap stopped them (limits.sends_per_destination, "
                       "limits.sms_per_hour).";
    refused_destination_ = &r.add_counter("sesame_sends_refused_total", help, "reason=\"destination_limit\"");
    refused_sms_hourly_ = &r.add_counter("sesame_sends_refused_total", help, "reason=\"sms_hourly_limit\"");
}

std::optional<domain_error> flow_engine::take_request_budget(const client_info& client, timestamp now) {
    if (auto d = ports_.limits.take(ip_key("recovery_ip", client), policy_.recovery_per_ip, now); !d.allowed)
        return rate_limited(d.retry_after);
    return std::nullopt;
}

recovery_flow flow_engine::new_flow(flow_kind kind, const client_info& client, timestamp now) {
    recovery_flow f;
    f.id = base64url(crypto_.random_bytes(16));
    f.kind = kind;
    const std::string bytes = crypto_.random_bytes(8);
    f.reference = "R-";
    for (std::size_t i = 0; i < 8; ++i) {
        if (i == 4) f.reference.push_back('-');
        f.reference.push_back(reference_alphabet[static_cast<unsigned char>(bytes[i]) & 31]);
    }
    f.created_at = now;
    f.last_sent_at = now;
    f.code_expires_at = now + policy_.code_ttl;
    f.ip = client.ip;
    f.user_agent = client.user_agent.substr(0, 256);
    return f;
}

std::string flow_engine::new_code() {
    // HOTP (RFC 4226) over a fresh per-code random secret, which is then
    // forgotten: only the HMAC of the code is kept.
    return crypto_.hotp6(crypto_.random_bytes(20), 0);
}

std::string flow_engine::code_hmac(const recovery_flow& f, std::string_view code) {
    return crypto_.hmac_sha256(server_secret_, f.id + ":" + std::string(code));
}

std::string flow_engine::new_secret() { return base64url(crypto_.random_bytes(32)); }

std::string flow_engine::digest(std::string_view secret) { return crypto_.sha256(secret); }

message_context flow_engine::context(const recovery_flow& f, const std::string& identifier, timestamp now) {
    return message_context{to_hex(crypto_.random_bytes(16)), f.reference, identifier, policy_.public_url,
                           policy_.public_host, now};
}

bool flow_engine::admit_send(outbox_message& m, flow_outcome& refused_because, timestamp now) {
    const auto dest = ports_.limits.take("send_dest:" + m.to, policy_.sends_per_destination, now);
    std::string refusal;
    if (!dest.allowed) {
        refusal = "limite d'envois vers ce destinataire atteinte (limits.sends_per_destination)";
        refused_because = flow_outcome::destination_limit;
        if (refused_destination_) refused_destination_->inc();
    } else if (m.ch == channel::sms && !ports_.limits.take("sms_global", policy_.sms_per_hour, now).allowed) {
        refusal = "plafond global de SMS atteint (limits.sms_per_hour)";
        refused_because = flow_outcome::sms_hourly_limit;
        if (refused_sms_hourly_) refused_sms_hourly_->inc();
    }
    if (refusal.empty()) return true;
    m.status = message_status::refused;
    m.history.push_back({now, "refused", refusal});
    return false;
}

void flow_engine::queue_message(recovery_flow& f, outbox_message m, changes& out, timestamp now) {
    flow_outcome refused_because = flow_outcome::sent;
    const bool admitted = admit_send(m, refused_because, now);
    f.message_ids.push_back(m.id);
    if (!admitted) {
        f.outcome = refused_because;
        f.detail = "Message non envoyé : " + m.history.back().detail + ".";
    }
    out.outbox.push_back(std::move(m));
}

void flow_engine::commit(const changes& c) {
    if (c.empty()) return;
    ports_.sink.apply(c);
    std::vector<std::string> ids;
    for (const auto& m : c.outbox)
        if (m.status == message_status::pending) ids.push_back(m.id);
    if (!ids.empty()) ports_.notifier.notify(ids);
}

std::optional<std::uint64_t> flow_engine::current_epoch(const recovery_flow& f) {
    if (f.decoy || f.identifier.empty()) return std::nullopt;
    auto acc = ports_.accounts.find_account(f.identifier);
    if (!acc) return f.account_epoch + 1;  // the account is gone: the flow is dead
    return acc->recovery_epoch;
}

result<duration> flow_engine::resend(std::string_view flow_id, flow_kind kind, const client_info& client,
                                     timestamp now, const code_message& message) {
    auto guard = flows_.lock_flow(flow_id);
    auto f = flows_.find_flow(flow_id, now);
    if (!f || f->kind != kind) return make_error(errc::flow_closed);
    if (auto blocked = resend_blocker(*f, current_epoch(*f), policy_.max_attempts, policy_.resend_cooldown, now))
        return *blocked;

    const std::string code = new_code();
    renew_code(*f, code_hmac(*f, code), policy_.code_ttl, now);  // the previous code is dead
    changes out;
    if (!f->decoy) {
        const auto accounts = flow_accounts(*f);
        const message_context ctx = context(*f, accounts.empty() ? std::string{} : accounts.front(), now);
        queue_message(*f, message(*f, code, ctx), out, now);
        if (out.outbox.back().status == message_status::pending)
            for (const auto& id : accounts)
                out.add_journal(id, make_journal_entry(now, journal_type::code_sent, client, "system",
                                                       "Nouveau code envoyé (demande " + f->reference + ")."));
    }
    out.flows_put.push_back(*f);
    commit(out);
    return policy_.code_ttl;
}

result<verified_flow> flow_engine::verify(std::string_view flow_id, flow_kind kind,
                                          std::optional<std::string_view> code,
                                          std::optional<std::string_view> link_token, const client_info& client,
                                          timestamp now, const on_verified& finish) {
    const std::string ip_window = ip_key("code_fail_ip", client);
    if (auto d = ports_.limits.check(ip_window, policy_.code_failures_per_ip, now); !d.allowed)
        return rate_limited(d.retry_after);

    auto flow_guard = flows_.lock_flow(flow_id);
    auto f = flows_.find_flow(flow_id, now);
    if (!f) return make_error(errc::flow_expired);  // unknown, or past its keeping time
    if (f->kind != kind) return make_error(errc::flow_closed);
    if (auto blocker = verify_blocker(*f, current_epoch(*f), policy_.max_attempts, now)) return make_error(*blocker);

    // Every verify of the account (across its flows) is serialised, so the
    // daily cap of wrong codes is exact.
    auto account_guard = ports_.accounts.lock_account(f->limit_key);
    const std::string account_window = "code_fail_acct:" + f->limit_key;
    if (auto d = ports_.limits.check(account_window, policy_.code_failures_per_account, now); !d.allowed)
        return rate_limited(d.retry_after);

    bool right = false;
    if (!f->decoy) {
        if (code) right = six_digits(*code) && constant_time_equal(code_hmac(*f, *code), f->code_hmac);
        else if (link_token && !f->link_digest.empty())
            right = constant_time_equal(digest(*link_token), f->link_digest);
    }
    const std::string secret = right ? new_secret() : std::string{};
    const code_verdict verdict =
        decide_code(*f, right, right ? digest(secret) : std::string{}, policy_.max_attempts, policy_.token_ttl, now);

    changes out;
    out.flows_put.push_back(*f);
    if (!verdict.verified) {
        out.synced = false;
        ports_.limits.add(account_window, policy_.code_failures_per_account, now);
        ports_.limits.add(ip_window, policy_.code_failures_per_ip, now);
        for (const auto& id : flow_accounts(*f))
            out.add_journal(id, make_journal_entry(now, journal_type::code_failed, client, "self",
                                                   verdict.journal_detail));
        commit(out);
        domain_error e = make_error(errc::invalid_code);
        e.attempts_left = int(verdict.attempts_left);
        return e;
    }
    commit(out);  // synced: the code is consumed
    verified_flow v{make_flow_token(f->id, secret), policy_.token_ttl, 0};
    if (finish) finish(*f, v);
    return v;
}

}  // namespace sesame
