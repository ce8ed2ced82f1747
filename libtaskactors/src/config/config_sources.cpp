// The sources of a configuration: a TOML file (or text), the environment and --set, read in
// that order over the defaults, then validated once.

#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "config/config_internal.hpp"
#include "os/worker_env.hpp"
#include "taskactors/errc.hpp"
#include "taskactors/spdlog_sink.hpp"

extern char** environ;

namespace taskactors {

namespace {

using detail::config_error;
using detail::raw_value;

struct file_closer {
  void operator()(std::FILE* file) const noexcept { std::fclose(file); }
};

/// The whole file at `path`, or why it cannot be read (the system's reason included).
caf::expected<std::string> read_whole_file(const std::string& path) {
  auto why = [&](int code) {
    return config_error(
        fmt::format("{}: cannot read the file: {}", path, std::generic_category().message(code)));
  };
  std::unique_ptr<std::FILE, file_closer> file{std::fopen(path.c_str(), "rb")};
  if (!file)
    return why(errno);
  std::string content;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0)
    content.append(buffer, n);
  if (std::ferror(file.get()))
    return why(errno != 0 ? errno : EIO);
  return content;
}

class loader {
public:
  loader(manager_config& cfg, detail::log_settings& log) : target_{cfg, log} {}

  caf::error apply(std::string_view key, const raw_value& v) {
    auto def = detail::find_key(key);
    if (def == nullptr)
      return config_error(
          fmt::format("unknown key '{}' ({}){}", key, v.origin, detail::suggest_key(key)));
    if (auto why = def->set(target_, v))
      return config_error(fmt::format("{} = {} ({}): {}", key, v.shown(), v.origin, *why));
    origins_[std::string{key}] = v.origin;
    return {};
  }

  /// Reads a TOML document: from `path`, or the text `text` named `path` in messages.
  caf::error read_file(const std::string& path, std::optional<std::string_view> text = {}) {
    std::string content;
    if (!text) {
      auto read = read_whole_file(path);
      if (!read)
        return std::move(read.error());
      content = std::move(*read);
      text = content;
    }
    if (auto bad = detail::check_toml_text(*text))
      return config_error(fmt::format("{}:{}: {}", path, bad->line, bad->why));
    toml::table doc;
    try {
      doc = toml::parse(*text, std::string_view{path});
    } catch (const toml::parse_error& err) {
      auto& where = err.source().begin;
      return config_error(
          fmt::format("{}:{}:{}: {}", path, where.line, where.column, err.description()));
    }
    for (auto& [section, node] : doc) {
      auto origin = origin_of(path, node);
      auto table = node.as_table();
      if (table == nullptr)
        return config_error(fmt::format("unknown key '{}' ({}): keys live in sections such as "
                                        "[quota] or [workers]",
                                        section.str(), origin));
      for (auto& [name, value] : *table) {
        auto key = fmt::format("{}.{}", section.str(), name.str());
        if (auto err = apply(key, raw_value{&value, {}, origin_of(path, value)}))
          return err;
      }
    }
    return {};
  }

  caf::error read_environment() {
    static constexpr std::string_view prefix = "TASKACTORS_";
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
      std::string_view var = *entry;
      if (!var.starts_with(prefix))
        continue;
      auto eq = var.find('=');
      auto name = std::string{var.substr(0, eq)};
      auto value = eq == std::string_view::npos ? std::string{} : std::string{var.substr(eq + 1)};
      // Reserved: what the manager tells its workers, and the test suite's own switches.
      if (name == detail::env_parent_pid || name == detail::env_heartbeat_ms ||
          name.starts_with("TASKACTORS_TEST_"))
        continue;
      auto def = detail::find_variable(name);
      if (def == nullptr)
        return config_error(fmt::format("unknown variable {} (environment): it names no "
                                        "configuration key{}",
                                        name, detail::suggest_variable(name)));
      auto origin = fmt::format("environment {}", name);
      if (auto err = apply(def->doc.name, raw_value{nullptr, value, origin}))
        return err;
    }
    return {};
  }

  caf::error read_overrides(const std::vector<std::string>& overrides) {
    for (auto& item : overrides) {
      auto eq = item.find('=');
      if (eq == std::string::npos || eq == 0)
        return config_error(fmt::format("--set {}: expected KEY=VALUE", item));
      auto key = item.substr(0, eq);
      if (auto err =
              apply(key, raw_value{nullptr, item.substr(eq + 1), fmt::format("--set {}", item)}))
        return err;
    }
    return {};
  }

  /// Adds where the keys a validation error names came from.
  caf::error annotate(const caf::error& err) const {
    auto text = render(err);
    // Drop the "taskactors::invalid_config: " prefix that rendering adds.
    if (auto colon = text.find(": "); colon != std::string::npos)
      text = text.substr(colon + 2);
    std::vector<std::string> from;
    for (auto& [key, origin] : origins_)
      if (text.find(key) != std::string::npos)
        from.push_back(fmt::format("{} from {}", key, origin));
    if (!from.empty())
      text += fmt::format(" ({})", fmt::join(from, "; "));
    return config_error(std::move(text));
  }

private:
  static std::string origin_of(const std::string& path, const toml::node& node) {
    auto& where = node.source().begin;
    return fmt::format("{}:{}", path, where.line);
  }

  detail::config_target target_;
  std::map<std::string, std::string> origins_;
};

caf::expected<std::shared_ptr<log_sink>> make_sink(const detail::log_settings& log) {
  if (log.sink == "none" || log.level == log_level::off)
    return make_null_sink();
  if (log.sink == "stderr")
    return make_stderr_sink(log.level);
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (log.sink == "stdout")
      logger = std::make_shared<spdlog::logger>("taskactors",
                                                std::make_shared<spdlog::sinks::stdout_sink_mt>());
    else
      logger = std::make_shared<spdlog::logger>(
          "taskactors", std::make_shared<spdlog::sinks::basic_file_sink_mt>(log.sink.substr(5)));
  } catch (const std::exception& ex) {
    return config_error(fmt::format("log.sink = '{}': {}", log.sink, ex.what()));
  }
  logger->set_level(static_cast<spdlog::level::level_enum>(log.level));
  return make_spdlog_sink(std::move(logger));
}

// Reads what `read` reads into `cfg`, then validates once and builds the log sink.
template <class Read>
caf::expected<manager_config> load(manager_config cfg, Read read) {
  detail::log_settings log;
  loader from{cfg, log};
  if (auto err = read(from))
    return err;
  if (auto err = cfg.validate())
    return from.annotate(err);
  if (log.set || !cfg.log) {
    auto sink = make_sink(log);
    if (!sink)
      return std::move(sink.error());
    cfg.log = std::move(*sink);
  }
  return cfg;
}

} // namespace

caf::expected<manager_config> load_config(const config_sources& sources, manager_config defaults) {
  return load(std::move(defaults), [&](loader& from) -> caf::error {
    if (sources.file)
      if (auto err = from.read_file(*sources.file))
        return err;
    if (sources.environment)
      if (auto err = from.read_environment())
        return err;
    return from.read_overrides(sources.overrides);
  });
}

caf::expected<manager_config> load_config_text(std::string_view text, const std::string& name,
                                               manager_config defaults) {
  return load(std::move(defaults), [&](loader& from) { return from.read_file(name, text); });
}

caf::expected<config_sources> take_config_args(std::vector<std::string>& args) {
  config_sources result;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto& arg = args[i];
    auto take = [&](std::string_view flag) -> caf::expected<std::optional<std::string>> {
      if (arg == flag) {
        if (i + 1 >= args.size())
          return config_error(fmt::format("{} needs a value", flag));
        return std::optional<std::string>{args[++i]};
      }
      if (arg.size() > flag.size() && arg.starts_with(flag) && arg[flag.size()] == '=')
        return std::optional<std::string>{arg.substr(flag.size() + 1)};
      return std::optional<std::string>{};
    };
    auto file = take("--config");
    if (!file)
      return std::move(file.error());
    if (*file) {
      result.file = std::move(**file);
      continue;
    }
    auto set = take("--set");
    if (!set)
      return std::move(set.error());
    if (*set) {
      result.overrides.push_back(std::move(**set));
      continue;
    }
    rest.push_back(std::move(arg));
  }
  args = std::move(rest);
  return result;
}

} // namespace taskactors
