// Demo accounts for a newcomer's first run (demo.seed = true): created once
// on an empty store, with the credentials the README lists.
#pragma once

#include <string>

#include "core/crypto.hpp"
#include "core/ports.hpp"

namespace sesame::app {

// Returns true when the accounts were created (false: already there).
bool seed_demo_accounts(account_repository& accounts, change_sink& sink, crypto& c, password_hasher& hasher,
                        timestamp now);

// The demo staff: `admin` and `secretariat` (scope 0751234A), password as
// the demo accounts, a fixed TOTP secret that demo_banner() prints. Each is
// created when its login is free; returns true when one was.
bool seed_demo_staff(account_repository& accounts, change_sink& sink, password_hasher& hasher, timestamp now);

// Printed on standard output when the demo accounts exist.
std::string demo_banner();

}  // namespace sesame::app
