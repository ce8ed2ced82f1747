#include "taskactors/config_loader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
// Header-only: nothing of toml++ is needed at link time, by this library or its users.
#define TOML_HEADER_ONLY 1
#include <toml++/toml.h>

#include "taskactors/errc.hpp"
#include "taskactors/spdlog_sink.hpp"
#include "os/worker_env.hpp"

extern char** environ;

namespace taskactors {

namespace {

// -- values -------------------------------------------------------------------------------------

/// A value as a source gave it: a TOML node from a file, text from the environment or a flag.
struct raw_value {
  const toml::node* node = nullptr;
  std::string text;
  std::string origin;

  std::string shown() const {
    if (node == nullptr)
      return fmt::format("'{}'", text);
    std::ostringstream out;
    node->visit([&](auto&& x) { out << x; });
    return out.str();
  }
};

/// What a setter reports: empty when the value was taken, why not otherwise.
using problem = std::optional<std::string>;

/// The log settings, turned into a sink once every source was read.
struct log_settings {
  log_level level = log_level::warn;
  std::string sink = "stderr";
  bool set = false;
};

struct target {
  manager_config& cfg;
  log_settings& log;
};

std::optional<uint64_t> parse_uint(std::string_view text) {
  uint64_t x = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
    return std::nullopt;
  return x;
}

problem get_uint(const raw_value& v, uint64_t& out) {
  if (v.node != nullptr) {
    auto x = v.node->value_exact<int64_t>();
    if (!x)
      return "expected a non-negative integer";
    if (*x < 0)
      return "must not be negative";
    out = static_cast<uint64_t>(*x);
    return {};
  }
  auto x = parse_uint(v.text);
  if (!x)
    return "expected a non-negative integer";
  out = *x;
  return {};
}

// "64MiB", "512KiB", "1GiB" or a plain count of bytes.
problem get_bytes(const raw_value& v, uint64_t& out) {
  if (v.node != nullptr && v.node->is_integer())
    return get_uint(v, out);
  std::string text = v.node != nullptr ? v.node->value<std::string>().value_or("") : v.text;
  static const std::pair<std::string_view, uint64_t> units[] = {
      {"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}, {"B", 1}};
  for (auto& [suffix, scale] : units)
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      auto x = parse_uint(std::string_view{text}.substr(0, text.size() - suffix.size()));
      if (!x)
        break;
      out = *x * scale;
      return {};
    }
  if (auto x = parse_uint(text)) {
    out = *x;
    return {};
  }
  return "expected bytes, such as 67108864 or \"64MiB\" (units B, KiB, MiB, GiB)";
}

// "250ms", "2s", "1min"; "none" where a timeout may be disabled.
problem get_duration(const raw_value& v, caf::timespan& out, bool none_allowed) {
  std::string text;
  if (v.node != nullptr) {
    auto s = v.node->value_exact<std::string>();
    if (!s)
      return "expected a duration string such as \"250ms\" or \"2s\"";
    text = *s;
  } else {
    text = v.text;
  }
  if (text == "none") {
    if (!none_allowed)
      return "cannot be \"none\" here";
    out = no_timeout;
    return {};
  }
  static const std::pair<std::string_view, int64_t> units[] = {{"ns", 1},
                                                               {"us", 1'000},
                                                               {"ms", 1'000'000},
                                                               {"min", 60'000'000'000},
                                                               {"s", 1'000'000'000},
                                                               {"h", 3'600'000'000'000}};
  for (auto& [suffix, scale] : units)
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      auto x = parse_uint(std::string_view{text}.substr(0, text.size() - suffix.size()));
      if (!x)
        break;
      if (*x > static_cast<uint64_t>(INT64_MAX / scale))
        return "is too large";
      out = caf::timespan{static_cast<int64_t>(*x) * scale};
      return {};
    }
  return "expected a duration such as \"250ms\" or \"2s\" (units ns, us, ms, s, min, h)";
}

problem get_string(const raw_value& v, std::string& out) {
  if (v.node != nullptr) {
    auto s = v.node->value_exact<std::string>();
    if (!s)
      return "expected a string";
    out = *s;
    return {};
  }
  out = v.text;
  return {};
}

// A TOML array of strings, or comma-separated text.
problem get_list(const raw_value& v, std::vector<std::string>& out) {
  out.clear();
  if (v.node != nullptr) {
    auto arr = v.node->as_array();
    if (arr == nullptr)
      return "expected an array of strings";
    for (auto& item : *arr) {
      auto s = item.value_exact<std::string>();
      if (!s)
        return "expected an array of strings";
      out.push_back(*s);
    }
    return {};
  }
  std::string_view text = v.text;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    if (!item.empty())
      out.emplace_back(item);
    if (comma == std::string_view::npos)
      break;
    text.remove_prefix(comma + 1);
  }
  return {};
}

// -- keys ---------------------------------------------------------------------------------------

using setter = std::function<problem(target&, const raw_value&)>;

struct key_def {
  config_key doc;
  setter set;
};

template <class T>
setter count_of(T manager_config::*member) {
  return [member](target& t, const raw_value& v) -> problem {
    uint64_t x = 0;
    if (auto why = get_uint(v, x))
      return why;
    t.cfg.*member = static_cast<T>(x);
    return {};
  };
}

template <class T>
setter worker_count(T worker_config::*member) {
  return [member](target& t, const raw_value& v) -> problem {
    uint64_t x = 0;
    if (auto why = get_uint(v, x))
      return why;
    t.cfg.workers.*member = static_cast<T>(x);
    return {};
  };
}

template <class T>
setter worker_bytes(T worker_config::*member) {
  return [member](target& t, const raw_value& v) -> problem {
    uint64_t x = 0;
    if (auto why = get_bytes(v, x))
      return why;
    t.cfg.workers.*member = static_cast<T>(x);
    return {};
  };
}

setter duration_of(caf::timespan manager_config::*member, bool none_allowed = false) {
  return [member, none_allowed](target& t, const raw_value& v) {
    return get_duration(v, t.cfg.*member, none_allowed);
  };
}

setter worker_duration(caf::timespan worker_config::*member) {
  return [member](target& t, const raw_value& v) {
    return get_duration(v, t.cfg.workers.*member, false);
  };
}

const std::vector<key_def>& key_table() {
  static const std::vector<key_def> table = [] {
    std::vector<key_def> k;
    auto add = [&](const char* name, const char* type, const char* fallback, const char* meaning,
                   setter set) {
      k.push_back(key_def{config_key{name, type, fallback, meaning}, std::move(set)});
    };
    add("quota.global", "integer", "min(max(32, 4*cpu), 256)",
        "tasks running at once, all kinds (0: the default)",
        count_of(&manager_config::global_quota));
    add("quota.thread", "integer", "min(max(16, 2*global/3), 128)",
        "thread tasks running at once (0: the default); at most quota.global",
        count_of(&manager_config::thread_quota));
    add("quota.process", "integer", "max(1, min(cpu, 8))",
        "process tasks running at once (0: the default); at most quota.global",
        count_of(&manager_config::process_quota));
    add("manager.max-queue", "integer", "100000",
        "pending plus running tasks admitted at once; more are refused with queue_full",
        count_of(&manager_config::max_queue));
    add("manager.default-timeout", "duration", "none",
        "execution timeout of tasks submitted without one (\"none\": no timeout)",
        duration_of(&manager_config::default_timeout, true));
    add("manager.shutdown-timeout", "duration", "10s",
        "how long the facade's destructor lets a shutdown take",
        duration_of(&manager_config::shutdown_timeout));
    add("retention.count", "integer", "10000",
        "finished task records kept for queries, oldest dropped first",
        count_of(&manager_config::retain_count));
    add("retention.age", "duration", "10min", "how long a finished task record is kept",
        duration_of(&manager_config::retain_age));
    add("threads.idle-timeout", "duration", "10s",
        "how long an idle thread of the thread-task pool waits for work before it exits",
        duration_of(&manager_config::thread_idle_timeout));
    add("scheduler.threads", "integer", "0",
        "CAF scheduler threads when the library starts its own actor system (0: one per core)",
        count_of(&manager_config::scheduler_threads));
    add("scheduler.max-throughput", "integer", "300",
        "messages an actor handles before it yields its thread",
        count_of(&manager_config::scheduler_max_throughput));
    add("scheduler.policy", "string", "\"sharing\"",
        "\"sharing\" (one queue) or \"stealing\" (work stealing)",
        [](target& t, const raw_value& v) { return get_string(v, t.cfg.scheduler_policy); });
    add("workers.executable", "string", "\"\"",
        "the worker program for process tasks (empty: process tasks are disabled)",
        [](target& t, const raw_value& v) { return get_string(v, t.cfg.workers.executable); });
    add("workers.args", "list of strings", "[]", "the worker's arguments",
        [](target& t, const raw_value& v) { return get_list(v, t.cfg.workers.args); });
    add("workers.prespawn", "integer", "quota.process",
        "workers started with the manager (at most quota.process)",
        [](target& t, const raw_value& v) -> problem {
          uint64_t x = 0;
          if (auto why = get_uint(v, x))
            return why;
          t.cfg.workers.prespawn = static_cast<std::size_t>(x);
          return {};
        });
    add("workers.max-jobs", "integer", "0", "recycle a worker after this many jobs (0: never)",
        worker_count(&worker_config::max_jobs));
    add("workers.max-rss", "bytes", "0",
        "resident memory above which a worker is killed during a job or recycled after one "
        "(0: no limit)",
        worker_bytes(&worker_config::max_rss));
    add("workers.rss-interval", "duration", "100ms", "how often a busy worker's memory is checked",
        worker_duration(&worker_config::rss_interval));
    add("workers.kill-grace", "duration", "2s",
        "from SIGTERM to SIGKILL when a job is cancelled or times out",
        worker_duration(&worker_config::kill_grace));
    add("workers.start-timeout", "duration", "10s",
        "a worker that does not complete its handshake in time is killed",
        worker_duration(&worker_config::start_timeout));
    add("workers.restart-intensity", "integer", "5",
        "unexpected worker deaths tolerated within workers.restart-period",
        worker_count(&worker_config::restart_intensity));
    add("workers.restart-period", "duration", "10s", "the window of workers.restart-intensity",
        worker_duration(&worker_config::restart_period));
    add("workers.restart-backoff", "duration", "5s",
        "how long restarts pause once the intensity is exceeded (process jobs fail meanwhile)",
        worker_duration(&worker_config::restart_backoff));
    add("workers.heartbeat", "duration", "1s", "how often workers send a heartbeat (0s: never)",
        worker_duration(&worker_config::heartbeat));
    add("workers.heartbeat-timeout", "duration", "10s",
        "a worker silent this long is killed (0s: never)",
        worker_duration(&worker_config::heartbeat_timeout));
    add("workers.max-frame", "bytes", "64MiB", "the largest message a worker may send",
        worker_bytes(&worker_config::max_frame));
    add("workers.rlimit-as", "bytes", "0", "address-space limit of each worker (0: inherited)",
        worker_bytes(&worker_config::rlimit_address_space));
    add("workers.rlimit-cpu", "integer", "0", "CPU-seconds limit of each worker (0: inherited)",
        worker_count(&worker_config::rlimit_cpu_seconds));
    add("workers.rlimit-nofile", "integer", "0", "open-files limit of each worker (0: inherited)",
        worker_count(&worker_config::rlimit_open_files));
    add("workers.env-allow", "list of strings",
        "[\"PATH\", \"HOME\", \"LANG\", \"LC_ALL\", "
        "\"TZ\", \"TMPDIR\"]",
        "the host's environment variables a worker sees; nothing else is inherited",
        [](target& t, const raw_value& v) { return get_list(v, t.cfg.workers.env_allow); });
    add("log.level", "string", "\"warn\"",
        "\"trace\", \"debug\", \"info\", \"warn\", \"error\" or \"off\"",
        [](target& t, const raw_value& v) -> problem {
          std::string text;
          if (auto why = get_string(v, text))
            return why;
          static const char* names[] = {"trace", "debug", "info", "warn", "error", "off"};
          for (int i = 0; i < 6; ++i)
            if (text == names[i]) {
              t.log.level = static_cast<log_level>(i);
              t.log.set = true;
              return {};
            }
          return "expected \"trace\", \"debug\", \"info\", \"warn\", \"error\" or \"off\"";
        });
    add("log.sink", "string", "\"stderr\"",
        "\"stderr\", \"stdout\", \"none\", or \"file:PATH\" (appends to PATH)",
        [](target& t, const raw_value& v) -> problem {
          std::string text;
          if (auto why = get_string(v, text))
            return why;
          if (text != "stderr" && text != "stdout" && text != "none" &&
              !(text.starts_with("file:") && text.size() > 5))
            return "expected \"stderr\", \"stdout\", \"none\" or \"file:PATH\"";
          t.log.sink = text;
          t.log.set = true;
          return {};
        });
    return k;
  }();
  return table;
}

const key_def* find_key(std::string_view name) {
  for (auto& k : key_table())
    if (k.doc.name == name)
      return &k;
  return nullptr;
}

caf::error config_error(std::string text) {
  return caf::make_error(errc::invalid_config, std::move(text));
}

// toml++ 3.3 (Debian 12) reaches an unreachable branch, undefined behaviour, when it asks
// whether some non-ASCII characters are whitespace (its table is wrong for them), which it does
// outside strings and in some places inside them. A file holding one is refused here, with its
// line, before the parser sees it. These are the code points its table gets wrong.
constexpr std::pair<char32_t, char32_t> unsafe_ranges[] = {
    {0xA1, 0x499}, {0x2C5E, 0x2FFF}, {0x3001, 0x3057}, {0xFB26, 0xFEFE}};

// Returns {line, code point} of the first such character, or {0, 0}.
std::pair<std::size_t, char32_t> unsafe_character(std::string_view text) {
  std::size_t line = 1;
  auto at = [&](std::size_t i) {
    return static_cast<char32_t>(static_cast<unsigned char>(text[i]));
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = at(i);
    char32_t cp = 0;
    if (c == '\n') {
      ++line;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF && i + 1 < text.size())
      cp = ((c & 0x1Fu) << 6) | (at(i + 1) & 0x3Fu);
    else if (c >= 0xE0 && c <= 0xEF && i + 2 < text.size())
      cp = ((c & 0x0Fu) << 12) | ((at(i + 1) & 0x3Fu) << 6) | (at(i + 2) & 0x3Fu);
    for (auto [low, high] : unsafe_ranges)
      if (cp >= low && cp <= high)
        return {line, cp};
  }
  return {0, 0};
}

// -- sources ------------------------------------------------------------------------------------

class loader {
public:
  loader(manager_config& cfg, log_settings& log) : target_{cfg, log} {}

  caf::error apply(std::string_view key, const raw_value& v) {
    auto def = find_key(key);
    if (def == nullptr)
      return config_error(fmt::format("unknown key '{}' ({})", key, v.origin));
    if (auto why = def->set(target_, v))
      return config_error(fmt::format("{} = {} ({}): {}", key, v.shown(), v.origin, *why));
    origins_[std::string{key}] = v.origin;
    return {};
  }

  /// Reads a TOML document: from `path`, or the text `text` named `path` in messages.
  caf::error read_file(const std::string& path, std::optional<std::string_view> text = {}) {
    std::string content;
    if (!text) {
      std::ifstream in{path, std::ios::binary};
      if (!in)
        return config_error(fmt::format("{}: cannot read the file", path));
      content.assign(std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{});
      text = content;
    }
    if (auto [line, cp] = unsafe_character(*text); line > 0)
      return config_error(fmt::format("{}:{}: character U+{:04X} cannot be read safely by this "
                                      "platform's TOML parser (see docs/configuration.md); "
                                      "set such values through the environment or --set",
                                      path, line, static_cast<uint32_t>(cp)));
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
      auto origin = fmt::format("environment {}", name);
      const key_def* def = nullptr;
      for (auto& k : key_table())
        if (env_name(k.doc.name) == name)
          def = &k;
      if (def == nullptr)
        return config_error(fmt::format("unknown variable {} (environment): it names no "
                                        "configuration key",
                                        name));
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

  target target_;
  std::map<std::string, std::string> origins_;
};

caf::expected<std::shared_ptr<log_sink>> make_sink(const log_settings& log) {
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

} // namespace

const std::vector<config_key>& config_keys() {
  static const std::vector<config_key> keys = [] {
    std::vector<config_key> result;
    for (auto& k : key_table())
      result.push_back(k.doc);
    return result;
  }();
  return keys;
}

std::string env_name(const std::string& key) {
  std::string result = "TASKACTORS_";
  for (char c : key)
    result += (c == '.' || c == '-') ? '_' : static_cast<char>(std::toupper(c));
  return result;
}

namespace {

// Reads what `read` reads into `cfg`, then validates once and builds the log sink.
template <class Read>
caf::expected<manager_config> load(manager_config cfg, Read read) {
  log_settings log;
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
