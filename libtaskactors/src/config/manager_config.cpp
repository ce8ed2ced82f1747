#include "taskactors/manager_config.hpp"

#include <algorithm>
#include <thread>

#include <caf/make_message.hpp>
#include <fmt/format.h>

#include "core/units.hpp"
#include "os/process_launcher.hpp"
#include "taskactors/errc.hpp"

namespace taskactors {

namespace {

// The thread quota's default for a global quota of `global`: min(max(16, 2*global/3), 128).
std::size_t default_thread_quota(std::size_t global) noexcept {
  return std::min<std::size_t>(std::max<std::size_t>(16, 2 * global / 3), 128);
}

} // namespace

quota_sizes default_quotas(unsigned cpu_count) noexcept {
  std::size_t cpus = std::max(1u, cpu_count);
  quota_sizes result;
  result.global = std::min<std::size_t>(std::max<std::size_t>(32, 4 * cpus), 256);
  result.thread = default_thread_quota(result.global);
  result.process = std::max<std::size_t>(1, std::min<std::size_t>(cpus, 8));
  return result;
}

unsigned cpu_count() noexcept {
  return std::max(1u, std::thread::hardware_concurrency());
}

quota_sizes manager_config::quotas(unsigned cpus) const noexcept {
  auto result = default_quotas(cpus);
  if (global_quota != 0)
    result.global = global_quota;
  // A default follows the global quota in force, the configured one included, and stays within
  // it.
  if (thread_quota != 0)
    result.thread = thread_quota;
  else
    result.thread = std::min(default_thread_quota(result.global), result.global);
  if (process_quota != 0)
    result.process = process_quota;
  else
    result.process = std::min(result.process, result.global);
  return result;
}

namespace {

caf::error config_error(std::string text) {
  return caf::make_error(errc::invalid_config, std::move(text));
}

bool positive(caf::timespan x) {
  return x > caf::timespan::zero();
}

caf::error validate_workers(const worker_config& w, const quota_sizes& q) {
  if (!w.executable.empty())
    if (auto why = detail::check_executable(w.executable))
      return config_error(fmt::format("workers.executable = '{}': {}", w.executable, *why));
  if (w.prespawn && *w.prespawn > q.process)
    return config_error(
        fmt::format("workers.prespawn = {} exceeds quota.process = {}", *w.prespawn, q.process));
  if (!positive(w.kill_grace))
    return config_error("workers.kill-grace must be positive");
  if (!positive(w.start_timeout))
    return config_error("workers.start-timeout must be positive");
  if (!positive(w.restart_period))
    return config_error("workers.restart-period must be positive");
  if (!positive(w.restart_backoff))
    return config_error("workers.restart-backoff must be positive");
  if (!positive(w.rss_interval))
    return config_error("workers.rss-interval must be positive");
  if (w.heartbeat < caf::timespan::zero() || w.heartbeat_timeout < caf::timespan::zero())
    return config_error("workers.heartbeat and workers.heartbeat-timeout cannot be negative");
  if (positive(w.heartbeat) && positive(w.heartbeat_timeout) && w.heartbeat_timeout <= w.heartbeat)
    return config_error(fmt::format("workers.heartbeat-timeout = {} ms must exceed "
                                    "workers.heartbeat = {} ms",
                                    detail::whole_ms(w.heartbeat_timeout),
                                    detail::whole_ms(w.heartbeat)));
  if (w.max_frame < 4096)
    return config_error(fmt::format("workers.max-frame = {}: must be at least 4096", w.max_frame));
  return {};
}

} // namespace

caf::error manager_config::validate(unsigned cpus) const {
  auto q = quotas(cpus);
  if (q.thread > q.global)
    return config_error(fmt::format("quota.thread = {} exceeds quota.global = {}: a thread task "
                                    "also holds a global token",
                                    q.thread, q.global));
  if (q.process > q.global)
    return config_error(fmt::format("quota.process = {} exceeds quota.global = {}: a process "
                                    "task also holds a global token",
                                    q.process, q.global));
  if (max_queue == 0)
    return config_error("manager.max-queue = 0: must be at least 1");
  if (!positive(default_timeout))
    return config_error("manager.default-timeout must be positive (or no_timeout)");
  if (!positive(retain_age))
    return config_error("retention.age must be positive");
  if (!positive(thread_idle_timeout))
    return config_error("threads.idle-timeout must be positive");
  if (!positive(shutdown_timeout))
    return config_error("manager.shutdown-timeout must be positive");
  if (scheduler_max_throughput == 0)
    return config_error("scheduler.max-throughput = 0: must be at least 1");
  if (auto err = validate_workers(workers, q))
    return err;
  if (scheduler_policy != "handoff" && scheduler_policy != "sharing" &&
      scheduler_policy != "stealing")
    return config_error(
        fmt::format("scheduler.policy = '{}': expected \"handoff\", \"sharing\" or \"stealing\"",
                    scheduler_policy));
  return {};
}

} // namespace taskactors
