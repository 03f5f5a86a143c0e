// Builds the concrete parts from the settings: policies for core, the
// store and its repository, crypto and hashing. Only app/ knows all of them.
#pragma once

#include <memory>
#include <string>

#include "config/settings.hpp"
#include "core/account_service.hpp"
#include "core/recovery_service.hpp"

namespace sesame::app {

account_policy make_account_policy(const config::settings& cfg);
recovery_policy make_recovery_policy(const config::settings& cfg);

// The host part of http.public_url, for message texts ("127.0.0.1:8080").
std::string public_host(const std::string& public_url);

}  // namespace sesame::app
