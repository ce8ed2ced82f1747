#include "taskactors/spdlog_sink.hpp"

#include <spdlog/spdlog.h>

namespace taskactors {

namespace {

spdlog::level::level_enum to_spdlog(log_level level) noexcept {
  switch (level) {
  case log_level::trace:
    return spdlog::level::trace;
  case log_level::debug:
    return spdlog::level::debug;
  case log_level::info:
    return spdlog::level::info;
  case log_level::warn:
    return spdlog::level::warn;
  case log_level::error:
    return spdlog::level::err;
  case log_level::off:
    break;
  }
  return spdlog::level::off;
}

class spdlog_sink final : public log_sink {
public:
  explicit spdlog_sink(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {}

  bool enabled(log_level level) const noexcept override {
    return level != log_level::off && logger_->should_log(to_spdlog(level));
  }

  void write(log_level level, std::string_view message) override {
    logger_->log(to_spdlog(level), "{}", message);
  }

private:
  std::shared_ptr<spdlog::logger> logger_;
};

} // namespace

std::shared_ptr<log_sink> make_spdlog_sink(std::shared_ptr<spdlog::logger> logger) {
  return std::make_shared<spdlog_sink>(std::move(logger));
}

} // namespace taskactors
