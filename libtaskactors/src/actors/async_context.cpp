#include "taskactors/async_context.hpp"

#include <caf/make_message.hpp>
#include <fmt/format.h>

#include "taskactors/errc.hpp"
#include "taskactors/task_value.hpp"

namespace taskactors {

void async_context::fail(std::string message) {
  fail(caf::make_error(errc::task_failed, std::move(message)));
}

namespace detail {

caf::error exception_to_error(std::exception_ptr ptr) {
  try {
    std::rethrow_exception(ptr);
  } catch (const std::exception& e) {
    return caf::make_error(errc::task_exception,
                           fmt::format("{}: {}", type_name(typeid(e)), e.what()));
  } catch (...) {
    return caf::make_error(errc::task_exception, "an exception not derived from std::exception");
  }
}

} // namespace detail

} // namespace taskactors
