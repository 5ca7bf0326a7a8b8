#pragma once

#include <optional>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "modproxy/config/config.h"

// The settings of issue 6 (TLS, mutual TLS, tokens, rate limits, connection
// hardening), kept apart from config.cc's general ones.
namespace modproxy::config {

// Their flag/key/env specs, appended to Settings().
const std::vector<SettingSpec>& SecuritySettingSpecs();

// Applies one of them; nullopt when `key` is not a security setting.
std::optional<Result<void>> ApplySecuritySetting(const std::string& key, const std::string& value,
                                                 Config& config);

// The config file's [limits.authenticated] and [[limits.identity]] tables.
bool IsLimitTableKey(std::string_view key);
Result<void> ApplyLimitTables(const toml::table& table, const std::string& path, Config& config);

// Settings that only make sense together: a certificate needs its key, client
// authentication needs TLS and a CA bundle.
Result<void> CheckSecuritySettings(const Config& config);

}  // namespace modproxy::config
