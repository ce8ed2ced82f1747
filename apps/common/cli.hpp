// The command line the apps share: CLI11 with the configuration options and the exit codes of
// every app (0 after --help, 2 for a bad command line).

#pragma once

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "taskactors/config_loader.hpp"

namespace apps {

/// What `--config` and `--set` fill in.
struct config_options {
  std::string file;
  std::vector<std::string> overrides;

  /// The sources to load: the file, TASKACTORS_* variables, then the overrides in order.
  taskactors::config_sources sources() const {
    taskactors::config_sources result;
    if (!file.empty())
      result.file = file;
    result.overrides = overrides;
    return result;
  }
};

/// Adds `--config FILE` and `--set KEY=VALUE` (repeatable) to `app`.
inline void add_config_options(CLI::App& app, config_options& out) {
  app.add_option("--config", out.file, "a TOML configuration (docs/configuration.md)")
      ->type_name("FILE");
  app.add_option("--set", out.overrides,
                 "override one key, after the file and TASKACTORS_* variables (repeatable)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
}

/// Parses the command line. Returns the exit code when the app is to stop now: 0 after printing
/// the help on stdout, 2 after printing what was wrong and the help on stderr.
inline std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << app.get_name() << ": " << e.what() << "\n\n" << app.help();
    return 2;
  }
  return std::nullopt;
}

} // namespace apps
