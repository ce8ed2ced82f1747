#pragma once

#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <type_traits>
#include <utility>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "taskactors/errc.hpp"
#include "taskactors/result_traits.hpp"
#include "taskactors/task_info.hpp"
#include "taskactors/task_value.hpp"

namespace taskactors {

/// The type-erased body of a thread task: blocking code that runs on a library-owned OS thread
/// and may watch its stop token. Exceptions it throws fail the task.
using thread_body = std::function<caf::expected<task_value>(std::stop_token)>;

namespace detail {

template <class R>
caf::expected<task_value> wrap_thread_result(R&& result) {
  using value_type = std::decay_t<R>;
  if constexpr (std::is_same_v<value_type, caf::error>) {
    if (result)
      return std::forward<R>(result);
    return task_value{};
  } else if constexpr (is_expected<value_type>::value) {
    if (!result)
      return std::move(result.error());
    if constexpr (std::is_void_v<typename value_type::value_type>)
      return task_value{};
    else
      return task_value::make(std::move(*result));
  } else {
    return task_value::make(std::forward<R>(result));
  }
}

template <class F>
caf::expected<task_value> invoke_thread_body(F& fn, std::stop_token stop) {
  if constexpr (std::is_invocable_v<F&, std::stop_token>) {
    if constexpr (std::is_void_v<std::invoke_result_t<F&, std::stop_token>>) {
      fn(std::move(stop));
      return task_value{};
    } else {
      return wrap_thread_result(fn(std::move(stop)));
    }
  } else {
    if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
      fn();
      return task_value{};
    } else {
      return wrap_thread_result(fn());
    }
  }
}

} // namespace detail

/// Wraps a callable as a thread task body. Accepted forms, with `R` any value type:
/// `R(std::stop_token)` or `R()`; `void` completes without a value; returning
/// `caf::expected<R>` or `caf::error` completes or fails accordingly; an exception fails the task
/// with `errc::task_exception`.
template <class F>
thread_body make_thread_body(F&& fn) {
  using fn_type = std::decay_t<F>;
  static_assert(std::is_invocable_v<fn_type&, std::stop_token> || std::is_invocable_v<fn_type&>,
                "a thread task body takes a std::stop_token or nothing");
  if constexpr (std::is_copy_constructible_v<fn_type>) {
    return [f = fn_type(std::forward<F>(fn))](std::stop_token stop) mutable {
      return detail::invoke_thread_body(f, std::move(stop));
    };
  } else {
    auto shared = std::make_shared<fn_type>(std::forward<F>(fn));
    return [shared](std::stop_token stop) {
      return detail::invoke_thread_body(*shared, std::move(stop));
    };
  }
}

namespace detail {

template <class F>
using raw_thread_result_t = typename std::conditional_t<std::is_invocable_v<F&, std::stop_token>,
                                                        std::invoke_result<F&, std::stop_token>,
                                                        std::invoke_result<F&>>::type;

} // namespace detail

/// The value type a thread body `F` produces (`void` for none), with `caf::expected` unwrapped.
template <class F>
using thread_result_t =
    typename detail::unwrap_expected<std::decay_t<detail::raw_thread_result_t<F>>>::type;

/// Converts a finished task's record into its value: the value of a `completed` task (copied),
/// or the error of one that `failed`, was `cancelled` or hit its `timeout`.
template <class R>
caf::expected<R> result_of(const task_info& info) {
  if (info.state != task_state::completed) {
    if (info.error)
      return info.error;
    return caf::make_error(errc::invalid_argument, "task '" + info.id + "' has not finished");
  }
  if constexpr (std::is_void_v<R>) {
    return caf::expected<void>{};
  } else {
    if (auto ptr = info.value.template get_if<R>())
      return *ptr;
    std::string text = "task '";
    text += info.id;
    text += "' produced a ";
    text += info.value.type_name();
    return caf::make_error(errc::invalid_argument, std::move(text));
  }
}

} // namespace taskactors
