#pragma once

// Everything a user of the library needs, in one include.

#include "taskactors/async_calls.hpp"
#include "taskactors/async_context.hpp"
#include "taskactors/config_loader.hpp"
#include "taskactors/errc.hpp"
#include "taskactors/gather.hpp"
#include "taskactors/limiter_actor.hpp"
#include "taskactors/limiter_stats.hpp"
#include "taskactors/log.hpp"
#include "taskactors/manager_actor.hpp"
#include "taskactors/manager_config.hpp"
#include "taskactors/manager_metrics.hpp"
#include "taskactors/process_task.hpp"
#include "taskactors/task_filter.hpp"
#include "taskactors/task_info.hpp"
#include "taskactors/task_manager.hpp"
#include "taskactors/task_spec.hpp"
#include "taskactors/task_state.hpp"
#include "taskactors/task_value.hpp"
#include "taskactors/thread_task.hpp"
#include "taskactors/worker_config.hpp"
