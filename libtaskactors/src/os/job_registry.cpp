#include "taskactors/worker.hpp"

#include <caf/make_message.hpp>
#include <fmt/format.h>

#include "taskactors/async_context.hpp"

namespace taskactors {

job_registry& job_registry::add_handler(std::string name, handler h) {
  jobs_[std::move(name)] = std::move(h);
  return *this;
}

bool job_registry::contains(std::string_view name) const {
  return jobs_.find(name) != jobs_.end();
}

std::vector<std::string> job_registry::names() const {
  std::vector<std::string> result;
  result.reserve(jobs_.size());
  for (auto& entry : jobs_)
    result.push_back(entry.first);
  return result;
}

caf::expected<std::vector<char>> job_registry::invoke(const std::string& name,
                                                      const std::vector<char>& args) const {
  auto i = jobs_.find(name);
  if (i == jobs_.end())
    return caf::make_error(
        errc::unknown_job,
        fmt::format("this worker has no job '{}' (it offers: {})", name, fmt::join(names(), ", ")));
  try {
    return i->second(args);
  } catch (...) {
    return detail::exception_to_error(std::current_exception());
  }
}

} // namespace taskactors
