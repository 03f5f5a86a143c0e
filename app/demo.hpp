// Demo accounts for a newcomer's first run (demo.seed = true): created once
// on an empty store, with the credentials the README lists.
#pragma once

#include "core/crypto.hpp"
#include "core/ports.hpp"

namespace sesame::app {

// Returns true when the accounts were created (false: already there).
bool seed_demo_accounts(account_repository& accounts, change_sink& sink, crypto& c, password_hasher& hasher,
                        timestamp now);

// Printed on standard output when the demo accounts exist.
const char* demo_banner();

}  // namespace sesame::app
