#include "taskactors/task_info.hpp"

#include <fmt/format.h>

#include "taskactors/errc.hpp"
#include "taskactors/gather.hpp"

namespace taskactors {

caf::timespan task_info::queued_for() const noexcept {
  if (started_at != time_point{})
    return started_at - submitted_at;
  if (finished_at != time_point{})
    return finished_at - submitted_at;
  return caf::timespan{0};
}

caf::timespan task_info::ran_for() const noexcept {
  if (started_at == time_point{} || finished_at == time_point{})
    return caf::timespan{0};
  return finished_at - started_at;
}

std::string_view to_string(stop_stage x) noexcept {
  switch (x) {
  case stop_stage::sigterm:
    return "sigterm";
  case stop_stage::sigkill:
    return "sigkill";
  default:
    return "none";
  }
}

std::string to_string(const task_info& x) {
  auto result = fmt::format("{} {} {}", x.id, to_string(x.kind), to_string(x.state));
  if (x.value)
    result += fmt::format(" value={}", x.value.to_string());
  if (x.error)
    result += fmt::format(" error={}", render(x.error));
  if (x.stage != stop_stage::none)
    result += fmt::format(" stage={}", to_string(x.stage));
  return result;
}

std::string to_string(const gather_outcome& x) {
  auto result = fmt::format("#{} {}", x.index, to_string(x.state));
  if (x.value)
    result += fmt::format(" value={}", x.value.to_string());
  if (x.error)
    result += fmt::format(" error={}", render(x.error));
  return result;
}

} // namespace taskactors
