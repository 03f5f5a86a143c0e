#include "core/journal_entry.hpp"

namespace sesame {

journal_entry make_journal_entry(timestamp now, const char* type, const client_info& client, std::string actor,
                                 std::string detail) {
    journal_entry e;
    e.at = now;
    e.type = type;
    e.ip = client.ip;
    e.user_agent = client.user_agent.substr(0, 256);
    e.actor = std::move(actor);
    e.detail = std::move(detail);
    return e;
}

}  // namespace sesame
