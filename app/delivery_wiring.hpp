// Choosing the message senders from the settings (SMTP or file for e-mail,
// SMS gateway or file for SMS), the delivery options, and the delivery
// report route.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "config/settings.hpp"
#include "core/ports.hpp"
#include "core/time.hpp"
#include "net/api_support.hpp"
#include "net/hook_routes.hpp"
#include "net/router.hpp"
#include "workers/delivery.hpp"
#include "workers/sender.hpp"

namespace sesame::app {

struct message_senders {
    std::unique_ptr<workers::sender> sms;
    std::unique_ptr<workers::sender> email;
    std::string sms_kind;    // "file", "json", "kannel"
    std::string email_kind;  // "file", "smtp"
    std::vector<std::shared_ptr<void>> keep;  // shared parts (one file sender for both channels)
};

// Throws with a French message naming the key when a sender cannot be set
// up (unreadable DKIM key, unwritable outbox file...).
std::unique_ptr<message_senders> make_senders(const config::settings& cfg, boost::asio::any_io_executor ex,
                                              const sesame::clock& clock);

workers::delivery_options make_delivery_options(const config::settings& cfg);

// The delivery-report hook (GET/POST /api/v1/hooks/sms-status). The
// returned context must outlive the routes.
std::unique_ptr<net::hook_context> add_delivery_routes(net::router& routes, net::api_context& api,
                                                       outbox_repository& outbox, const config::settings& cfg);

}  // namespace sesame::app
