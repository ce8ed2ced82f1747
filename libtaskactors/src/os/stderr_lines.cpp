#include "os/stderr_lines.hpp"

#include <algorithm>

namespace taskactors::detail {

stderr_lines::stderr_lines(std::size_t line_max, std::size_t lines_per_second,
                           clock::time_point now)
    : line_max_(std::max<std::size_t>(line_max, 1)), rate_(static_cast<double>(lines_per_second)),
      tokens_(rate_), last_(now) {
  partial_.reserve(std::min<std::size_t>(line_max_, 256));
}

void stderr_lines::append(std::string_view bytes, clock::time_point now) {
  if (!started_) {
    started_ = true;
    keep_ = admit(now);
  }
  if (keep_)
    partial_.append(bytes);
  length_ += bytes.size();
}

bool stderr_lines::admit(clock::time_point now) {
  if (rate_ <= 0)
    return true;
  if (now > last_) {
    std::chrono::duration<double> elapsed = now - last_;
    tokens_ = std::min(rate_, tokens_ + elapsed.count() * rate_);
    last_ = now;
  }
  if (tokens_ < 1)
    return false;
  tokens_ -= 1;
  return true;
}

} // namespace taskactors::detail
