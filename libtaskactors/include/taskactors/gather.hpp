#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "taskactors/async_context.hpp"
#include "taskactors/errc.hpp"
#include "taskactors/export.hpp"
#include "taskactors/gather_stats.hpp"
#include "taskactors/process_task.hpp"
#include "taskactors/task_info.hpp"
#include "taskactors/task_spec.hpp"
#include "taskactors/task_state.hpp"
#include "taskactors/thread_task.hpp"

namespace taskactors {

/// How a gather runs its inputs. Designated initializers read well:
/// `{.concurrency = 256, .task_timeout = 5s, .global_timeout = 60s}`.
struct gather_options {
  /// The gather's id; its tasks are `<id>/<index>`. Empty to have one generated (`g-<n>`).
  task_id id{};
  /// At most this many inputs in flight at once (waiting out their jitter, pending or running),
  /// under the global quota. Unset: the configured global quota. Must be positive.
  std::optional<int64_t> concurrency{};
  /// Each task's execution timeout; unset takes the manager's default, `no_timeout` disables it.
  /// Must be positive.
  std::optional<caf::timespan> task_timeout{};
  /// The limit of the whole gather, counted from its start. When it passes, the tasks still
  /// pending or running end `timeout`, no further input starts, and the gather returns every
  /// outcome. Unset: none. Must be positive.
  std::optional<caf::timespan> global_timeout{};
  /// Each input waits a random delay, uniform in [0, jitter], before its task is submitted (it
  /// holds its concurrency slot meanwhile). Zero: none. Must not be negative.
  caf::timespan jitter{0};
  /// Seeds the jitter: the same seed gives the same delays, input by input. Unset: random.
  std::optional<uint64_t> seed{};
  /// Cancel the rest at the first failure (a task that `failed` or hit its `timeout`).
  bool fail_fast = false;
  /// For a gather started from inside a running task: that task's id (the `async_context`
  /// overloads set it). Its tasks are then children of that task: they share its global token,
  /// and the gather is cancelled when the task ends.
  task_id parent{};
};

/// What became of one input.
struct gather_outcome {
  /// The input's position in the input sequence; its task is `<gather id>/<index>`.
  std::size_t index = 0;
  /// `completed`, `failed`, `cancelled` or `timeout`.
  task_state state = task_state::cancelled;
  /// The value of a `completed` task.
  task_value value;
  /// Why a `failed`, `cancelled` or `timeout` input ended.
  caf::error error;
  /// When its task started (`time_point{}` if it never did) and when the input ended.
  time_point started_at{};
  time_point finished_at{};

  bool ok() const noexcept { return state == task_state::completed; }

  /// The value as `R`, or the input's error (`R = void` checks success only).
  template <class R>
  caf::expected<R> get() const {
    if (state != task_state::completed)
      return error ? error : caf::make_error(errc::task_failed, "the input did not complete");
    if constexpr (std::is_void_v<R>) {
      return caf::expected<void>{};
    } else {
      if (auto ptr = value.template get_if<R>())
        return *ptr;
      return caf::make_error(errc::invalid_argument,
                             "the input's task produced a " + value.type_name());
    }
  }
};

/// Renders `x` on one line, e.g. `#3 completed value=42`.
TASKACTORS_API std::string to_string(const gather_outcome& x);

/// The end of a gather.
struct gather_result {
  gather_stats stats;
  /// One outcome per input, in input order (empty for `as_completed`, which streamed them).
  std::vector<gather_outcome> outcomes;
  /// Why the gather stopped before running every input: `errc::timeout` (its global timeout),
  /// `errc::cancelled` (fail-fast, a cancel, its parent task ended, shutdown), or the error its
  /// input sequence raised. Empty when every input ran.
  caf::error stop_reason;

  /// Whether every input completed.
  bool all_completed() const noexcept { return !stop_reason && stats.completed == outcomes.size(); }

  /// The values as `R`, in input order, each one or its input's error.
  template <class R>
  std::vector<caf::expected<R>> values() const {
    std::vector<caf::expected<R>> result;
    result.reserve(outcomes.size());
    for (auto& x : outcomes)
      result.push_back(x.template get<R>());
    return result;
  }
};

/// A gather, type-erased: what the manager needs to run it. Build one with `make_gather`.
struct gather_spec {
  gather_options options;
  task_kind kind = task_kind::async;
  /// For a process gather: the job, checked against the workers' jobs before anything starts.
  std::string job;
  /// Draws the next input and makes its task's body; `std::nullopt` after the last input.
  /// Called on the gather's actor, one call at a time, only when a slot is free: a lazy input
  /// sequence is never read ahead of the concurrency bound. An exception stops the gather.
  std::function<std::optional<task_body>()> next;
  /// The number of inputs, when known up front. When a gather stops early, the inputs it never
  /// drew still get an outcome if it is known; otherwise they are left unread.
  std::optional<std::size_t> size;
  /// For `as_completed`: called with each outcome as it ends, in completion order, on the
  /// gather's actor (keep it short and non-blocking; `caf::anon_send` to hand it on). The
  /// result then carries no outcomes, so a gather over any number of inputs runs in memory
  /// bounded by its concurrency.
  std::function<void(gather_outcome&&)> on_outcome;
  /// For `as_completed` with a consumer that pulls: no input is drawn while this many outcomes
  /// were handed to `on_outcome` and not yet acknowledged (`ack` to the manager), so at most
  /// `buffer + concurrency` wait unread. Unset: no such bound.
  std::optional<std::size_t> buffer;
  /// Called on the gather's actor once it was admitted, with its id (generated or not).
  std::function<void(const task_id&)> on_start;
};

/// Marks a callable to run on the library's threads: `make_gather(on_threads(fn), inputs)`.
/// `fn` takes `(std::stop_token, const In&)` or `(const In&)`.
template <class F>
struct on_threads_t {
  F fn;
};

template <class F>
on_threads_t<std::decay_t<F>> on_threads(F&& fn) {
  return {std::forward<F>(fn)};
}

/// Names a worker job to run in the worker processes: `make_gather(job<uint64_t>("fib"),
/// inputs)`. Each input is the job's argument (a `std::tuple` is spread into several).
template <class R>
struct job_ref {
  std::string name;
};

template <class R>
job_ref<R> job(std::string name) {
  return {std::move(name)};
}

/// Wraps a generator as a lazy input sequence: `gen()` returns `std::optional<In>`, empty after
/// the last input. It is called on the gather's actor, only as slots free up.
template <class G>
struct generator_input {
  G gen;
};

template <class G>
generator_input<std::decay_t<G>> from_generator(G&& gen) {
  return {std::forward<G>(gen)};
}

namespace detail {

template <class T>
struct is_tuple : std::false_type {};

template <class... Ts>
struct is_tuple<std::tuple<Ts...>> : std::true_type {};

template <class T>
struct is_generator_input : std::false_type {};

template <class G>
struct is_generator_input<generator_input<G>> : std::true_type {};

template <class F, class In>
task_body make_body(const std::shared_ptr<F>& fn, In input) {
  if constexpr (std::is_invocable_v<F&, async_context&, const In&>) {
    return task_body{make_async_body(
        [fn, in = std::move(input)](async_context& ctx) { return (*fn)(ctx, in); })};
  } else {
    static_assert(std::is_invocable_v<F&, const In&>,
                  "an async gather callable takes (async_context&, const In&) or (const In&)");
    return task_body{make_async_body([fn, in = std::move(input)] { return (*fn)(in); })};
  }
}

template <class F, class In>
task_body make_body(const std::shared_ptr<on_threads_t<F>>& wrapped, In input) {
  if constexpr (std::is_invocable_v<F&, std::stop_token, const In&>) {
    return task_body{std::in_place_index<1>,
                     make_thread_body([wrapped, in = std::move(input)](std::stop_token stop) {
                       return wrapped->fn(std::move(stop), in);
                     })};
  } else {
    static_assert(std::is_invocable_v<F&, const In&>,
                  "a thread gather callable takes (std::stop_token, const In&) or (const In&)");
    return task_body{std::in_place_index<1>, make_thread_body([wrapped, in = std::move(input)] {
                       return wrapped->fn(in);
                     })};
  }
}

template <class R, class In>
task_body make_body(const std::shared_ptr<job_ref<R>>& ref, In input) {
  process_call c;
  if constexpr (is_tuple<In>::value)
    c = std::apply([&](auto&... args) { return call<R>(ref->name, args...); }, input);
  else
    c = call<R>(ref->name, std::move(input));
  return task_body{std::in_place_index<2>, std::move(c)};
}

template <class F>
constexpr task_kind kind_of(const F*) {
  return task_kind::async;
}

template <class F>
constexpr task_kind kind_of(const on_threads_t<F>*) {
  return task_kind::thread;
}

template <class R>
constexpr task_kind kind_of(const job_ref<R>*) {
  return task_kind::process;
}

template <class F>
std::string job_name(const F&) {
  return {};
}

template <class R>
std::string job_name(const job_ref<R>& ref) {
  return ref.name;
}

} // namespace detail

/// Builds a gather of `fn` over `inputs`:
/// - `fn`: an async callable taking `(async_context&, const In&)` or `(const In&)` (see
///   `make_async_body` for what it may return), `on_threads(f)` for blocking code, or
///   `job<R>("name")` for a worker job;
/// - `inputs`: any input range (a container is copied or moved in; a view such as
///   `std::views::iota(0, 1'000'000)` is read lazily), or `from_generator(gen)`.
template <class F, class Inputs>
gather_spec make_gather(F fn, Inputs&& inputs, gather_options options = {}) {
  using fn_type = std::decay_t<F>;
  using inputs_type = std::decay_t<Inputs>;
  gather_spec spec;
  spec.options = std::move(options);
  spec.kind = detail::kind_of(static_cast<const fn_type*>(nullptr));
  spec.job = detail::job_name(fn);
  auto shared_fn = std::make_shared<fn_type>(std::move(fn));
  if constexpr (detail::is_generator_input<inputs_type>::value) {
    auto gen = std::make_shared<inputs_type>(std::forward<Inputs>(inputs));
    spec.next = [shared_fn, gen]() -> std::optional<task_body> {
      auto input = gen->gen();
      if (!input)
        return std::nullopt;
      return detail::make_body(shared_fn, std::move(*input));
    };
  } else {
    static_assert(std::ranges::input_range<inputs_type>,
                  "gather inputs are an input range or from_generator(...)");
    struct source {
      explicit source(inputs_type&& xs) : range(std::move(xs)), pos(std::ranges::begin(range)) {}
      explicit source(const inputs_type& xs) : range(xs), pos(std::ranges::begin(range)) {}
      inputs_type range;
      std::ranges::iterator_t<inputs_type> pos;
    };
    if constexpr (std::ranges::sized_range<inputs_type>)
      spec.size = static_cast<std::size_t>(std::ranges::size(inputs));
    auto src = std::make_shared<source>(std::forward<Inputs>(inputs));
    spec.next = [shared_fn, src]() -> std::optional<task_body> {
      if (src->pos == std::ranges::end(src->range))
        return std::nullopt;
      auto body = detail::make_body(shared_fn, std::ranges::range_value_t<inputs_type>(*src->pos));
      ++src->pos;
      return body;
    };
  }
  return spec;
}

} // namespace taskactors

// Gathers carry user code and values: local messages, never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(taskactors::gather_spec)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(taskactors::gather_result)
