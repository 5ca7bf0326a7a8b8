#pragma once

#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "modproxy/config/config.h"

// The config file's arrays of tables, which have no flag or environment
// form: [[route]], [[rewrite]] and [[credentials]] (issue 5).
namespace modproxy::config {

bool IsRuleTableKey(std::string_view key);

// Reads the rule tables of `table` (the parsed file at `path`) into config.
// kInvalidArgument naming the file, table and field on any problem.
Result<void> ApplyRuleTables(const toml::table& table, const std::string& path, Config& config);

}  // namespace modproxy::config
