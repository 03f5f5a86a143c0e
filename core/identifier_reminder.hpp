// Forgotten identifier (SPEC §2): the identifiers of the active accounts
// of a mobile (parent) or of a validated e-mail (pupil) are sent there; the
// answer is always the same reference, and nothing is sent to a contact on
// no active account. Over the shared flow engine (core/flow_engine.hpp).
// Depends on core only.
#pragma once

#include <string>
#include <string_view>

#include "core/flow_engine.hpp"

namespace sesame {

struct identifier_request_result {
    std::string reference;
};

// Pure: whether `acc` is one a reminder for `contact` (normalised, of
// profile `prof`) names.
bool reminder_names(const account& acc, profile prof, std::string_view contact);

class identifier_reminder_service {
public:
    explicit identifier_reminder_service(flow_engine& engine);

    // POST /recovery/identifier: always the same answer.
    result<identifier_request_result> request(profile prof, std::string_view contact, const client_info& client,
                                              timestamp now);

private:
    flow_engine& engine_;
};

}  // namespace sesame
