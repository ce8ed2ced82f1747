#pragma once

#include <memory>
#include <utility>

#include <fmt/format.h>

#include "taskactors/log.hpp"

namespace taskactors::detail {

/// The library's side of the log seam: formats only what the sink wants.
class logger {
public:
  explicit logger(std::shared_ptr<log_sink> sink)
      : sink_(sink ? std::move(sink) : make_stderr_sink(log_level::warn)) {}

  bool enabled(log_level level) const noexcept { return sink_->enabled(level); }

  template <class... Ts>
  void log(log_level level, fmt::format_string<Ts...> text, Ts&&... xs) const {
    if (sink_->enabled(level))
      sink_->write(level, fmt::format(text, std::forward<Ts>(xs)...));
  }

  template <class... Ts>
  void debug(fmt::format_string<Ts...> text, Ts&&... xs) const {
    log(log_level::debug, text, std::forward<Ts>(xs)...);
  }

  template <class... Ts>
  void info(fmt::format_string<Ts...> text, Ts&&... xs) const {
    log(log_level::info, text, std::forward<Ts>(xs)...);
  }

  template <class... Ts>
  void warn(fmt::format_string<Ts...> text, Ts&&... xs) const {
    log(log_level::warn, text, std::forward<Ts>(xs)...);
  }

  template <class... Ts>
  void error(fmt::format_string<Ts...> text, Ts&&... xs) const {
    log(log_level::error, text, std::forward<Ts>(xs)...);
  }

  const std::shared_ptr<log_sink>& sink() const noexcept { return sink_; }

private:
  std::shared_ptr<log_sink> sink_;
};

} // namespace taskactors::detail
