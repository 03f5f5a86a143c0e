#include "app/delivery_wiring.hpp"

#include "net/hook_routes.hpp"
#include "workers/dkim.hpp"
#include "workers/file_sender.hpp"
#include "workers/smtp_sender.hpp"
#include "workers/sms_sender.hpp"

namespace sesame::app {

namespace {

// Both channels share one file sender (one file, whole lines).
class shared_sender final : public workers::sender {
public:
    explicit shared_sender(std::shared_ptr<workers::sender> target) : target_(std::move(target)) {}
    boost::asio::awaitable<workers::send_result> send(const outbox_message& m) override { return target_->send(m); }

private:
    std::shared_ptr<workers::sender> target_;
};

}  // namespace

std::unique_ptr<message_senders> make_senders(const config::settings& cfg, boost::asio::any_io_executor ex,
                                              const sesame::clock& clock) {
    auto out = std::make_unique<message_senders>();
    std::shared_ptr<workers::sender> file;
    auto file_sender = [&]() -> std::unique_ptr<workers::sender> {
        if (!file) {
            try {
                file = std::make_shared<workers::file_sender>(cfg.outbox.file, clock);
            } catch (const std::exception& e) {
                throw std::runtime_error("outbox.file : impossible d'ouvrir « " + cfg.outbox.file + " » (" + e.what() + ")");
            }
        }
        return std::make_unique<shared_sender>(file);
    };
    if (cfg.sms.url) {
        workers::sms_options so;
        so.url = *cfg.sms.url;
        so.format = cfg.sms.format;
        so.timeout = cfg.sms.timeout;
        so.max_connections = cfg.sms.concurrency;
        if (cfg.sms.callback_secret) {
            so.callback_url = cfg.http.public_url + "/api/v1/hooks/sms-status?secret=" +
                              workers::sms_sender::percent_encode(*cfg.sms.callback_secret);
        }
        try {
            out->sms = std::make_unique<workers::sms_sender>(ex, so);
        } catch (const std::exception& e) {
            throw std::runtime_error(std::string("sms.url : ") + e.what());
        }
        out->sms_kind = cfg.sms.format;
    } else {
        out->sms = file_sender();
        out->sms_kind = "file";
    }
    if (cfg.smtp.url) {
        workers::smtp_options so;
        so.url = *cfg.smtp.url;
        so.from = cfg.smtp.from;
        so.verify_tls = cfg.smtp.verify_tls;
        so.max_connections = cfg.smtp.concurrency;
        so.timeout = cfg.smtp.timeout;
        if (cfg.dkim.domain && cfg.dkim.selector && cfg.dkim.key_file) {
            try {
                so.dkim = workers::dkim_options{*cfg.dkim.domain, *cfg.dkim.selector,
                                                workers::dkim::read_key_file(*cfg.dkim.key_file)};
            } catch (const std::exception& e) {
                throw std::runtime_error("dkim.key_file : " + std::string(e.what()));
            }
        }
        try {
            out->email = std::make_unique<workers::smtp_sender>(ex, std::move(so));
        } catch (const std::exception& e) {
            throw std::runtime_error(std::string("smtp.url : ") + e.what());
        }
        out->email_kind = "smtp";
    } else {
        out->email = file_sender();
        out->email_kind = "file";
    }
    return out;
}

workers::delivery_options make_delivery_options(const config::settings& cfg) {
    workers::delivery_options o;
    o.retry_initial = cfg.workers.retry_initial;
    o.retry_max = cfg.workers.retry_max;
    o.max_attempts = cfg.workers.max_attempts;
    o.queue_capacity = cfg.workers.queue_capacity;
    o.sms_concurrency = cfg.sms.concurrency;
    o.email_concurrency = cfg.smtp.concurrency;
    return o;
}

std::unique_ptr<net::hook_context> add_delivery_routes(net::router& routes, net::api_context& api,
                                                       outbox_repository& outbox, const config::settings& cfg) {
    auto hooks = std::make_unique<net::hook_context>(net::hook_context{api, outbox, cfg.sms.callback_secret});
    net::add_hook_routes(routes, *hooks);
    return hooks;
}

}  // namespace sesame::app
