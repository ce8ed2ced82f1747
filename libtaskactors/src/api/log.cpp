#include "taskactors/log.hpp"

#include <cstdio>
#include <mutex>
#include <string>

namespace taskactors {

log_sink::~log_sink() = default;

namespace {

class stderr_sink final : public log_sink {
public:
  explicit stderr_sink(log_level level) : level_(level) {}

  bool enabled(log_level level) const noexcept override {
    return level >= level_ && level != log_level::off;
  }

  void write(log_level level, std::string_view message) override {
    std::string line = "taskactors [";
    line += to_string(level);
    line += "] ";
    line += message;
    line += '\n';
    std::lock_guard<std::mutex> guard{mtx_};
    std::fwrite(line.data(), 1, line.size(), stderr);
  }

private:
  log_level level_;
  std::mutex mtx_;
};

class null_sink final : public log_sink {
public:
  bool enabled(log_level) const noexcept override { return false; }

  void write(log_level, std::string_view) override {}
};

} // namespace

std::shared_ptr<log_sink> make_stderr_sink(log_level level) {
  return std::make_shared<stderr_sink>(level);
}

std::shared_ptr<log_sink> make_null_sink() {
  return std::make_shared<null_sink>();
}

} // namespace taskactors
