#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "taskactors/errc.hpp"
#include "taskactors/export.hpp"
#include "taskactors/serialization.hpp"

namespace taskactors {

namespace detail {

template <class F>
struct job_signature : job_signature<decltype(&F::operator())> {};

template <class R, class... Args>
struct job_signature<R (*)(Args...)> {
  using result_type = R;
  using args_tuple = std::tuple<std::decay_t<Args>...>;
};

template <class R, class... Args>
struct job_signature<R(Args...)> : job_signature<R (*)(Args...)> {};

template <class C, class R, class... Args>
struct job_signature<R (C::*)(Args...) const> : job_signature<R (*)(Args...)> {};

template <class C, class R, class... Args>
struct job_signature<R (C::*)(Args...)> : job_signature<R (*)(Args...)> {};

} // namespace detail

/// The jobs a worker process offers, by name. A worker executable registers its jobs and hands
/// the registry to `run_worker`:
///
/// ```cpp
/// int main(int argc, char** argv) {
///   taskactors::job_registry jobs;
///   jobs.add("fib", [](uint64_t n) { return fib(n); });
///   return taskactors::run_worker(jobs, argc, argv);
/// }
/// ```
///
/// A job is any callable `R(Args...)`: its parameters and result are serialized with CAF's binary
/// format, so each type needs an `inspect` overload (built-in types, strings and standard
/// containers have one). `R` may be `void`. An exception escaping a job fails it; a job must not
/// write to stdout, which carries the protocol (stderr goes to the host's log).
class TASKACTORS_API job_registry {
public:
  /// Runs one job: decodes the arguments, calls the job, encodes its result.
  using handler = std::function<caf::expected<std::vector<char>>(const std::vector<char>& args)>;

  /// Registers `fn` under `name`, replacing a job of the same name.
  template <class F>
  job_registry& add(std::string name, F fn) {
    using sig = detail::job_signature<std::decay_t<F>>;
    using result_type = typename sig::result_type;
    using args_tuple = typename sig::args_tuple;
    auto job = name;
    jobs_[std::move(name)] =
        [fn = std::move(fn), job = std::move(job)](
            const std::vector<char>& bytes) mutable -> caf::expected<std::vector<char>> {
      args_tuple args;
      auto err = std::apply([&](auto&... xs) { return from_bytes(bytes, xs...); }, args);
      if (err)
        return caf::make_error(
            errc::bad_args,
            "job '" + job + "' takes " +
                std::apply(
                    []<class... Ts>(const Ts&...) { return detail::type_list_name<Ts...>(); },
                    args) +
                ", and the arguments sent do not decode as that (" + message_of(err) + ")");
      if constexpr (std::is_void_v<result_type>) {
        std::apply(fn, std::move(args));
        return std::vector<char>{};
      } else {
        auto result = std::apply(fn, std::move(args));
        auto bytes_out = to_bytes(result);
        if (!bytes_out)
          return caf::make_error(errc::bad_result, "the job's result does not serialize");
        return std::move(*bytes_out);
      }
    };
    return *this;
  }

  /// Registers a type-erased handler under `name`.
  job_registry& add_handler(std::string name, handler h);

  bool contains(std::string_view name) const;

  /// The registered names, sorted.
  std::vector<std::string> names() const;

  /// Runs the job `name` on serialized arguments. Fails with `unknown_job`, `bad_args`,
  /// `task_exception` (with the exception's type and message) or `bad_result`.
  caf::expected<std::vector<char>> invoke(const std::string& name,
                                          const std::vector<char>& args) const;

private:
  std::map<std::string, handler, std::less<>> jobs_;
};

/// The main loop of a worker process: announces `jobs` to the host on stdout, then runs the jobs
/// the host requests on stdin, one at a time, until stdin closes. Returns the process's exit
/// code. With `--help` or `-h` it prints a short help and the job list to stdout and returns 0;
/// run by hand otherwise (stdin or stdout a terminal), it prints them to stderr and returns 2.
TASKACTORS_API int run_worker(const job_registry& jobs, int argc, char** argv);

} // namespace taskactors
