// The table of configuration keys: how each one is parsed into, and shown
// from, the settings. Internal to config/. Standard library only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"

namespace sesame::config {

struct key_spec {
    std::string_view key;
    std::string_view default_text;  // empty: show() of the default settings
    std::string_view meaning;
    // Stores `value` into the settings, or returns the problem in French
    // (without the key; never echoing a secret).
    std::function<std::optional<std::string>(settings&, const std::string& value)> apply;
    // The effective value, secrets masked.
    std::function<std::string(const settings&)> show;
};

// Every key once, in documentation order; built on first use, then immutable.
const std::vector<key_spec>& key_specs();
const key_spec* find_key_spec(std::string_view key);

// The longest duration any key accepts (10 years), so that now + d never overflows.
inline constexpr duration max_config_duration = std::chrono::hours(24 * 365 * 10);

inline constexpr std::string_view unset_text = "(non défini)";

}  // namespace sesame::config
