#include "taskactors/errc.hpp"

#include <caf/atom.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>
#include <caf/to_string.hpp>

namespace taskactors {

std::string_view to_string(errc x) noexcept {
  switch (x) {
  case errc::none:
    return "none";
  case errc::invalid_argument:
    return "invalid_argument";
  case errc::not_running:
    return "not_running";
  case errc::shutting_down:
    return "shutting_down";
  case errc::duplicate_id:
    return "duplicate_id";
  case errc::queue_full:
    return "queue_full";
  case errc::unknown_task:
    return "unknown_task";
  case errc::cancelled:
    return "cancelled";
  case errc::timeout:
    return "timeout";
  case errc::task_failed:
    return "task_failed";
  case errc::task_exception:
    return "task_exception";
  case errc::task_vanished:
    return "task_vanished";
  case errc::limiter_down:
    return "limiter_down";
  case errc::wait_timeout:
    return "wait_timeout";
  case errc::invalid_config:
    return "invalid_config";
  case errc::protocol_error:
    return "protocol_error";
  case errc::worker_crashed:
    return "worker_crashed";
  case errc::pool_unavailable:
    return "pool_unavailable";
  case errc::memory_limit:
    return "memory_limit";
  case errc::unknown_job:
    return "unknown_job";
  case errc::bad_args:
    return "bad_args";
  case errc::bad_result:
    return "bad_result";
  }
  return "unknown_error";
}

bool is(const caf::error& err, errc code) noexcept {
  // An empty error has no category to read (CAF 0.17 dereferences its null data).
  return err && err.category() == caf::atom("taskactors") &&
         err.code() == static_cast<uint8_t>(code);
}

namespace {

// Joins the context's string elements; other element types are rendered by CAF.
std::string render_context(const caf::message& ctx) {
  std::string result;
  for (size_t i = 0; i < ctx.size(); ++i) {
    if (!result.empty())
      result += ", ";
    if (ctx.match_element<std::string>(i))
      result += ctx.get_as<std::string>(i);
    else
      result += ctx.stringify(i);
  }
  return result;
}

} // namespace

std::string render(const caf::error& err) {
  if (!err)
    return "none";
  if (err.category() != caf::atom("taskactors"))
    return caf::to_string(err);
  std::string result = "taskactors::";
  result += to_string(static_cast<errc>(err.code()));
  if (!err.context().empty()) {
    result += ": ";
    result += render_context(err.context());
  }
  return result;
}

std::string message_of(const caf::error& err) {
  if (!err || err.category() != caf::atom("taskactors") || err.context().empty())
    return render(err);
  return render_context(err.context());
}

} // namespace taskactors
