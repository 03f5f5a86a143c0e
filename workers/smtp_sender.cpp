#include "workers/smtp_sender.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>

#include "core/contact.hpp"
#include "core/log.hpp"
#include "workers/connection_pool.hpp"
#include "workers/mime.hpp"
#include "workers/smtp_session.hpp"
#include "workers/tls_client.hpp"

namespace sesame::workers {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

namespace {

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string random_hex(std::size_t bytes) {
    static std::atomic<std::uint64_t> counter{0};
    std::string out;
    unsigned char buf[16];
    bytes = std::min(bytes, sizeof buf);
    if (RAND_bytes(buf, static_cast<int>(bytes)) != 1) {
        // Uniqueness is all a boundary needs: fall back to a counter.
        const std::uint64_t v = ++counter ^ static_cast<std::uint64_t>(steady::now().time_since_epoch().count());
        for (std::size_t i = 0; i < bytes; ++i) buf[i] = static_cast<unsigned char>(v >> (8 * (i % 8)));
    }
    static constexpr char hex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < bytes; ++i) {
        out += hex[buf[i] >> 4];
        out += hex[buf[i] & 15];
    }
    return out;
}

send_result permanent(std::string detail) { return {send_result::permanent_failure, std::move(detail), {}}; }
send_result temporary(std::string detail) { return {send_result::temporary_failure, std::move(detail), {}}; }

}  // namespace

// The sender: the message (MIME, DKIM, dot-stuffing), a pooled session
// (smtp_session.hpp) to carry it, one retry on a new session when a reused
// one turns out stale, and the log lines.
struct smtp_sender::impl {
    asio::any_io_executor ex;
    smtp_options opts;
    mime::mailbox from;
    boost::asio::ssl::context tls_ctx{boost::asio::ssl::context::tls_client};
    smtp::session_config session_cfg;
    std::string server;  // host:port, for the logs
    std::optional<dkim::signer> signer;

    connection_pool<smtp::session> pool;
    std::uint64_t opened = 0;

    impl(asio::any_io_executor e, smtp_options o)
        : ex(std::move(e)), opts(std::move(o)), pool(opts.max_connections, opts.max_idle) {
        auto parsed = smtp::parse_url(opts.url);
        if (!parsed) throw std::invalid_argument("smtp.url: expected smtp://, smtp+starttls:// or smtps://host[:port]");
        auto mb = mime::parse_mailbox(opts.from);
        if (!mb) throw std::invalid_argument("smtp.from: not a usable address");
        from = std::move(*mb);
        std::string helo = opts.helo_name.empty() ? std::string(mime::domain_of(from.address)) : opts.helo_name;
        if (helo.empty() || !is_ascii(helo) || helo.find_first_of(" \r\n\t") != std::string::npos)
            throw std::invalid_argument("smtp: invalid HELO name");
        if (opts.timeout <= duration::zero()) throw std::invalid_argument("smtp.timeout must be positive");
        if (opts.dkim) signer.emplace(std::move(*opts.dkim));
        opts.dkim.reset();
        try {
            tls_ctx = tls_client::make_context(opts.verify_tls, opts.ca_file);
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(std::string("smtp: ") + e.what());
        }
        server = parsed->host + ":" + std::to_string(parsed->port);
        session_cfg = smtp::session_config{std::move(*parsed), std::move(helo), from.address, opts.timeout,
                                           opts.verify_tls, &tls_ctx};
    }

    asio::awaitable<send_result> send(const outbox_message& m) {
        if (m.ch != channel::email) co_return permanent("message non e-mail confié à l'expéditeur SMTP");
        if (!mime::is_safe_address(m.to)) co_return permanent("adresse du destinataire inutilisable");
        const std::string masked = mask_email(m.to);

        const timestamp now = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
        std::string message = mime::build_message(m, from, now, mime::make_boundary(m.id, random_hex(8)));
        if (signer) {
            try {
                const auto unix_time = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
                message.insert(0, signer->sign(message, unix_time));
            } catch (const std::exception& e) {
                log::warn("smtp_dkim_failed", {{"id", m.id}, {"to", masked}, {"error", e.what()}});
                co_return temporary(std::string("signature DKIM impossible : ") + e.what());
            }
        }
        const std::string data = mime::dot_stuff(message);
        const bool needs_utf8 = !is_ascii(m.to) || !is_ascii(from.address);

        for (int attempt = 0;; ++attempt) {
            const auto deadline = steady::now() + opts.timeout;
            auto l = co_await pool.acquire(deadline);
            if (!l) {
                log::warn("smtp_pool_exhausted", {{"id", m.id}, {"to", masked}});
                co_return temporary("aucune connexion SMTP libre dans le délai");
            }
            const bool reused = l.reused();
            if (!reused) {
                l.connection = std::make_unique<smtp::session>(ex, session_cfg);
                ++opened;
                if (auto failed = co_await l.connection->open()) {
                    co_await throw_if_cancelled();
                    log::warn("smtp_session_failed", {{"id", m.id},
                                                      {"to", masked},
                                                      {"server", server},
                                                      {"outcome", to_string(failed->result.outcome)},
                                                      {"detail", failed->result.detail}});
                    co_return std::move(failed->result);
                }
            }
            smtp::outcome o = co_await l.connection->transaction(reused, m.to, data, needs_utf8);
            if (o.result.outcome != send_result::accepted) co_await throw_if_cancelled();
            if (o.stale && attempt == 0) {
                log::info("smtp_session_stale", {{"detail", o.result.detail}});
                continue;  // the lease discards the stale session; next turn opens a new one
            }
            // Bytes left unread after the final reply would desynchronise the next transaction.
            if (o.keep && l.connection->in_step()) {
                l.connection->park();
                l.keep();
            }
            if (o.result.outcome != send_result::accepted)
                log::warn("smtp_send_failed", {{"id", m.id},
                                               {"to", masked},
                                               {"outcome", to_string(o.result.outcome)},
                                               {"detail", o.result.detail}});
            co_return std::move(o.result);
        }
    }

    asio::awaitable<void> close_all() {
        auto idle = pool.take_idle();
        for (auto& c : idle) co_await c->quit();
    }
};

smtp_sender::smtp_sender(asio::any_io_executor ex, smtp_options opts)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(opts))) {}

smtp_sender::~smtp_sender() = default;

asio::awaitable<send_result> smtp_sender::send(const outbox_message& m) { return impl_->send(m); }

asio::awaitable<void> smtp_sender::close() { return impl_->close_all(); }

std::uint64_t smtp_sender::sessions_opened() const { return impl_->opened; }

std::size_t smtp_sender::idle_sessions() const { return impl_->pool.idle(); }

}  // namespace sesame::workers
