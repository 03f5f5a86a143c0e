// The one way to make an account's journal line (core/account.hpp's
// journal_entry): who (`actor`: "self", "system" or a staff login), from
// where (`client`; empty for batch jobs), what and when. Depends on core only.
#pragma once

#include <string>

#include "core/account.hpp"

namespace sesame {

// `type` is one of journal_type; the user agent is cut to 256 bytes.
journal_entry make_journal_entry(timestamp now, const char* type, const client_info& client, std::string actor,
                                 std::string detail = {});

}  // namespace sesame
