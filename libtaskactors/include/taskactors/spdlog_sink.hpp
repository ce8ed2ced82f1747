#pragma once

#include <memory>

#include <spdlog/logger.h>

#include "taskactors/export.hpp"
#include "taskactors/log.hpp"

namespace taskactors {

/// Routes the library's log messages to an spdlog logger (and so to its sinks and level).
TASKACTORS_API std::shared_ptr<log_sink> make_spdlog_sink(std::shared_ptr<spdlog::logger> logger);

} // namespace taskactors
