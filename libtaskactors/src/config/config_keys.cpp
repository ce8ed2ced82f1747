// The known configuration keys: their documentation, how each stores its value, and the
// nearest known key to an unknown one.

#include <algorithm>
#include <cctype>
#include <utility>

#include <fmt/format.h>

#include "config/config_internal.hpp"

namespace taskactors::detail {

namespace {

template <class T>
setter count_of(T manager_config::*member) {
  return [member](config_target& t, const raw_value& v) -> problem {
    uint64_t x = 0;
    if (auto why = get_uint(v, x))
      return why;
    t.cfg.*member = static_cast<T>(x);
    return {};
  };
}

template <class T>
setter worker_count(T worker_config::*member) {
  return [member](config_target& t, const raw_value& v) -> problem {
    uint64_t x = 0;
    if (auto why = get_uint(v, x))
      return why;
    t.cfg.workers.*member = static_cast<T>(x);
    return {};
  };
}

template <class T>
setter worker_bytes(T worker_config::*member) {
  return [member](config_target& t, const raw_value& v) -> problem {
    uint64_t x = 0;
    if (auto why = get_bytes(v, x))
      return why;
    t.cfg.workers.*member = static_cast<T>(x);
    return {};
  };
}

setter duration_of(caf::timespan manager_config::*member,
                   none_duration none = none_duration::refused) {
  return [member, none](config_target& t, const raw_value& v) {
    return get_duration(v, t.cfg.*member, none);
  };
}

setter worker_duration(caf::timespan worker_config::*member) {
  return [member](config_target& t, const raw_value& v) {
    return get_duration(v, t.cfg.workers.*member, none_duration::refused);
  };
}

} // namespace

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
        "thread tasks running at once (0: the default, from the global quota in force, configured "
        "or not); at most quota.global",
        count_of(&manager_config::thread_quota));
    add("quota.process", "integer", "max(1, min(cpu, 8))",
        "process tasks running at once (0: the default); at most quota.global",
        count_of(&manager_config::process_quota));
    add("manager.max-queue", "integer", "100000",
        "pending plus running tasks admitted at once; more are refused with queue_full",
        count_of(&manager_config::max_queue));
    add("manager.default-timeout", "duration", "none",
        "execution timeout of tasks submitted without one (\"none\": no timeout)",
        duration_of(&manager_config::default_timeout, none_duration::allowed));
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
    add("scheduler.policy", "string", "\"stealing\"",
        "\"stealing\" (CAF's work stealing: a queue per thread, idle threads steal and poll), "
        "\"handoff\" (the library's: one queue; a message sent from a scheduler thread runs on "
        "that thread next unless other work waits) or \"sharing\" (CAF's work sharing: one "
        "queue, a thread woken for every job)",
        [](config_target& t, const raw_value& v) {
          return get_choice(v, {"handoff", "sharing", "stealing"}, t.cfg.scheduler_policy);
        });
    add("scheduler.idle-polls", "integer", "0",
        "under \"stealing\", how often a thread that finds no work polls for some before it "
        "blocks until woken (0: it blocks at once; CAF's own default spins 600 polls first)",
        count_of(&manager_config::scheduler_idle_polls));
    add("workers.executable", "string", "\"\"",
        "the worker program for process tasks (empty: process tasks are disabled)",
        [](config_target& t, const raw_value& v) {
          return get_string(v, t.cfg.workers.executable);
        });
    add("workers.args", "list of strings", "[]", "the worker's arguments",
        [](config_target& t, const raw_value& v) { return get_list(v, t.cfg.workers.args); });
    add("workers.prespawn", "integer", "quota.process",
        "workers started with the manager (at most quota.process)",
        [](config_target& t, const raw_value& v) -> problem {
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
    add("workers.stderr-line-max", "bytes", "4KiB",
        "the longest piece of a worker's stderr logged as one line; a longer line is logged "
        "in pieces of this size (0: no limit)",
        worker_bytes(&worker_config::stderr_line_max));
    add("workers.stderr-lines-per-second", "integer", "100",
        "lines of each worker's stderr logged per second; the excess is dropped and counted "
        "(0: no limit)",
        worker_count(&worker_config::stderr_lines_per_second));
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
        [](config_target& t, const raw_value& v) { return get_list(v, t.cfg.workers.env_allow); });
    add("log.level", "string", "\"warn\"",
        "\"trace\", \"debug\", \"info\", \"warn\", \"error\" or \"off\"",
        [](config_target& t, const raw_value& v) -> problem {
          if (auto why = get_log_level(v, t.log.level))
            return why;
          t.log.set = true;
          return {};
        });
    add("log.sink", "string", "\"stderr\"",
        "\"stderr\", \"stdout\", \"none\", or \"file:PATH\" (appends to PATH)",
        [](config_target& t, const raw_value& v) -> problem {
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

const key_def* find_variable(std::string_view variable) {
  for (auto& k : key_table())
    if (env_name(k.doc.name) == variable)
      return &k;
  return nullptr;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Levenshtein, one row at a time.
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    auto diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      auto above = row[j];
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

namespace {

// The candidate nearest to `name`, if it is close: a few typos, never most of the name.
template <class Candidates>
std::optional<std::string> nearest(std::string_view name, const Candidates& candidates) {
  auto limit = std::clamp<std::size_t>(name.size() / 4, 1, 3);
  std::optional<std::string> best;
  auto best_distance = limit + 1;
  for (auto& candidate : candidates) {
    auto d = edit_distance(name, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

std::string did_you_mean(const std::optional<std::string>& x) {
  return x ? fmt::format("; did you mean {}?", *x) : std::string{};
}

} // namespace

std::string suggest_key(std::string_view name) {
  std::vector<std::string> names;
  for (auto& k : key_table())
    names.push_back(k.doc.name);
  return did_you_mean(nearest(name, names));
}

std::string suggest_variable(std::string_view variable) {
  // Compare what follows the common prefix, so that it does not make every name look close.
  static constexpr std::string_view prefix = "TASKACTORS_";
  if (!variable.starts_with(prefix))
    return {};
  std::vector<std::string> names;
  for (auto& k : key_table())
    names.push_back(env_name(k.doc.name).substr(prefix.size()));
  auto best = nearest(variable.substr(prefix.size()), names);
  return did_you_mean(best ? std::optional<std::string>{std::string{prefix} + *best} : best);
}

} // namespace taskactors::detail

namespace taskactors {

const std::vector<config_key>& config_keys() {
  static const std::vector<config_key> keys = [] {
    std::vector<config_key> result;
    for (auto& k : detail::key_table())
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

} // namespace taskactors
