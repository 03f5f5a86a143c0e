#include "core/recovery_service.hpp"

namespace sesame {

recovery_service::recovery_service(account_ports ports, flow_repository& flows, account_service& accounts, crypto& c,
                                   password_hasher& hasher, recovery_policy policy, std::string server_secret)
    : engine_(ports, flows, c, std::move(policy), std::move(server_secret)),
      password_reset_(engine_, accounts, hasher),
      identifier_reminder_(engine_),
      activation_(engine_, accounts, hasher),
      email_confirmation_(engine_) {}

result<duration> recovery_service::resend(std::string_view flow_id, flow_kind kind, const client_info& client,
                                          timestamp now) {
    if (kind == flow_kind::activation) return activation_.resend(flow_id, client, now);
    if (kind == flow_kind::password_reset) return password_reset_.resend(flow_id, client, now);
    return make_error(errc::flow_closed);
}

result<verified_flow> recovery_service::verify(std::string_view flow_id, flow_kind kind,
                                               std::optional<std::string_view> code,
                                               std::optional<std::string_view> link_token, const client_info& client,
                                               timestamp now) {
    if (kind == flow_kind::activation) return activation_.verify(flow_id, code, client, now);
    if (kind == flow_kind::password_reset) return password_reset_.verify(flow_id, code, link_token, client, now);
    return engine_.verify(flow_id, kind, code, link_token, client, now);  // net sends no other kind
}

outbox_message recovery_service::contact_notice(const account& acc, channel ch, const std::string& to,
                                                const std::string& what, timestamp now) {
    recovery_flow none;  // no flow: a notice has no reference
    message_context ctx = engine_.context(none, acc.identifier, now);
    return contact_changed_notice(ctx, ch, to, what);
}

}  // namespace sesame
