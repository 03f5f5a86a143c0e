// `sesame check`: reads every record of a store and verifies what must hold
// between them (API.md "Command line"): each record decodes; each account's
// index records exist with the right value and no index record points at a
// missing account or a contact the account no longer has; each flow's
// reference and per-account entries point at it, its account exists and its
// messages are in the outbox; each outbox message decodes and its account
// exists. With `repair`, the indexes are rewritten from the accounts and the
// stale index records deleted (flows and messages are reported only: they
// cannot be derived). Depends on store/database.hpp and store/records.hpp.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace sesame::store {

struct integrity_report {
    std::size_t accounts = 0, index_records = 0, flows = 0, messages = 0;
    std::vector<std::string> problems;  // French, one per finding (at most max_problems kept)
    std::size_t problem_count = 0;      // all of them
    std::size_t repaired = 0;           // index records written or deleted by a repair
    bool clean() const { return problem_count == 0; }
};

inline constexpr std::size_t max_problems = 200;

// Blocks for a full read of the store (seconds per million accounts).
integrity_report check_store(database& db, bool repair, timestamp now);

}  // namespace sesame::store
