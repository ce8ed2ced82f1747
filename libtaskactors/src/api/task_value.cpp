#include "taskactors/task_value.hpp"

#include <boost/core/demangle.hpp>

namespace taskactors::detail {

std::string type_name(const std::type_info& type) {
  return boost::core::demangle(type.name());
}

} // namespace taskactors::detail
