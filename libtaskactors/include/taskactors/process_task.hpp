#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "taskactors/errc.hpp"
#include "taskactors/serialization.hpp"
#include "taskactors/task_value.hpp"

namespace taskactors {

/// A job to run in a worker process: its name, its serialized arguments, and how to decode its
/// result on the host.
struct process_call {
  std::string job;
  std::vector<char> args;
  /// The types the arguments were serialized as, `(int, std::string)`, for error messages.
  std::string arg_types;
  /// Turns the worker's serialized result into the task's value.
  std::function<caf::expected<task_value>(const std::vector<char>&)> decode;
};

/// A `process_call` that remembers the result type `R`.
template <class R>
struct typed_call : process_call {
  using result_type = R;
};

/// Builds a call of the worker job `job` with `args`, whose result decodes as `R` (`void` for
/// none). Arguments and result are serialized with CAF's binary format: their types must match
/// the job's parameters and result type as the worker registered them, or the task fails with
/// `bad_args` (naming the job, the types it takes and the types sent) or `bad_result`. Mind the
/// literals: `call<uint64_t>("fib", 30)` sends an `int`; write `uint64_t{30}` for a job that
/// takes a `uint64_t`.
template <class R, class... Args>
typed_call<R> call(std::string job, Args... args) {
  typed_call<R> result;
  result.job = std::move(job);
  result.arg_types = detail::type_list_name<Args...>();
  if constexpr (sizeof...(Args) > 0) {
    auto bytes = to_bytes(args...);
    if (bytes)
      result.args = std::move(*bytes);
  }
  result.decode = [](const std::vector<char>& bytes) -> caf::expected<task_value> {
    if constexpr (std::is_void_v<R>) {
      if (!bytes.empty())
        return caf::make_error(errc::bad_result, "expected no result, got " +
                                                     std::to_string(bytes.size()) + " bytes");
      return task_value{};
    } else {
      R value{};
      if (auto err = from_bytes(bytes, value))
        return caf::make_error(errc::bad_result, "the job's result does not decode as the "
                                                 "requested type: " +
                                                     render(err));
      return task_value::make(std::move(value));
    }
  };
  return result;
}

} // namespace taskactors
