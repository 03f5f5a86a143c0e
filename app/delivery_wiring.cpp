#include "app/delivery_wiring.hpp"

#include "workers/file_sender.hpp"

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
    (void)ex;
    out->sms = file_sender();
    out->sms_kind = "file";
    out->email = file_sender();
    out->email_kind = "file";
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

void add_delivery_routes(net::router&, net::api_context&, outbox_repository&, const config::settings&) {}

}  // namespace sesame::app
