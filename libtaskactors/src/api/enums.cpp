#include <array>
#include <optional>
#include <string_view>

#include "taskactors/log.hpp"
#include "taskactors/manager_metrics.hpp"
#include "taskactors/task_state.hpp"

namespace taskactors {

namespace {

constexpr std::array<std::string_view, task_state_count> state_names{
    "pending", "running", "completed", "failed", "cancelled", "timeout"};

constexpr std::array<std::string_view, task_kind_count> kind_names{"async", "thread", "process"};

constexpr std::array<std::string_view, quota_count> quota_names{"global", "thread", "process"};

constexpr std::array<std::string_view, 6> level_names{"trace", "debug", "info",
                                                      "warn",  "error", "off"};

template <class Enum, std::size_t N>
std::string_view name_of(const std::array<std::string_view, N>& names, Enum x) noexcept {
  auto index = static_cast<std::size_t>(x);
  return index < N ? names[index] : std::string_view{"<invalid>"};
}

template <class Enum, std::size_t N>
std::optional<Enum> parse(const std::array<std::string_view, N>& names,
                          std::string_view name) noexcept {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == name)
      return static_cast<Enum>(i);
  return std::nullopt;
}

} // namespace

std::string_view to_string(task_state x) noexcept {
  return name_of(state_names, x);
}

std::optional<task_state> parse_task_state(std::string_view name) noexcept {
  return parse<task_state>(state_names, name);
}

std::string_view to_string(task_kind x) noexcept {
  return name_of(kind_names, x);
}

std::optional<task_kind> parse_task_kind(std::string_view name) noexcept {
  return parse<task_kind>(kind_names, name);
}

std::string_view to_string(quota x) noexcept {
  return name_of(quota_names, x);
}

std::optional<quota> parse_quota(std::string_view name) noexcept {
  return parse<quota>(quota_names, name);
}

std::string_view to_string(log_level x) noexcept {
  return name_of(level_names, x);
}

std::optional<log_level> parse_log_level(std::string_view name) noexcept {
  return parse<log_level>(level_names, name);
}

std::string_view to_string(shutdown_mode x) noexcept {
  return x == shutdown_mode::drain ? "drain" : "cancel";
}

} // namespace taskactors
