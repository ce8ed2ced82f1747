#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "taskactors/export.hpp"
#include "taskactors/manager_config.hpp"

namespace taskactors {

/// Where a manager's configuration comes from, in increasing precedence after the built-in
/// defaults: the file, then the environment, then the command line. Every field has a default,
/// so a designated initializer names only what it changes: `load_config({.file = "x.toml"})`.
struct config_sources {
  /// A TOML file (see docs/configuration.md); none if unset.
  std::optional<std::string> file{};
  /// Read `TASKACTORS_*` variables: `TASKACTORS_QUOTA_GLOBAL=64` sets `quota.global` (the key
  /// upper-cased, `.` and `-` turned into `_`).
  bool environment = true;
  /// `key=value` settings from the command line (`--set quota.global=64`), applied in order.
  std::vector<std::string> overrides{};
};

/// One configuration key, for documentation and tools.
struct config_key {
  std::string name{};
  std::string type{};
  std::string fallback{};
  std::string meaning{};
};

/// Every key `load_config` knows, in documentation order.
TASKACTORS_API const std::vector<config_key>& config_keys();

/// The environment variable of a key: `quota.global` -> `TASKACTORS_QUOTA_GLOBAL`.
TASKACTORS_API std::string env_name(const std::string& key);

/// Builds a configuration from `defaults` and `sources`, and validates it once. Any error
/// (`errc::invalid_config`) names the key, the value and where it came from (`file.toml:12`,
/// `environment TASKACTORS_QUOTA_GLOBAL`, `--set quota.global=...`): an unknown key, a value of
/// the wrong type, an out-of-range or contradictory value, a worker executable that cannot run.
TASKACTORS_API caf::expected<manager_config> load_config(const config_sources& sources,
                                                         manager_config defaults = {});

/// Like `load_config` with only a file, for TOML text that comes from elsewhere (a secret store,
/// a test); `name` stands for the file in error messages.
TASKACTORS_API caf::expected<manager_config>
load_config_text(std::string_view text, const std::string& name, manager_config defaults = {});

/// Takes the library's own command-line options out of `args`: `--config FILE` (or
/// `--config=FILE`) and `--set KEY=VALUE` (or `--set=KEY=VALUE`), repeatable. Returns the
/// sources they name; `args` keeps the rest, in order. A flag without its value is an error.
TASKACTORS_API caf::expected<config_sources> take_config_args(std::vector<std::string>& args);

} // namespace taskactors
