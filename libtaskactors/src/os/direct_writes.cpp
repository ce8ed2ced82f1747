#include "os/direct_writes.hpp"

#include <algorithm>
#include <cerrno>

#include "os/posix_calls.hpp"

namespace taskactors::detail {

void direct_writes::open(worker_id id) {
  std::lock_guard<std::mutex> guard{mtx_};
  pipes_[id] = pipe{};
}

void direct_writes::ready(worker_id id, int fd) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = pipes_.find(id); i != pipes_.end())
    i->second.fd = fd;
}

bool direct_writes::try_write(worker_id id, std::vector<char>& bytes) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = pipes_.find(id);
  if (i != pipes_.end() && i->second.fd >= 0 && i->second.queued == 0) {
    auto n = write_without_sigpipe(i->second.fd, bytes.data(), bytes.size());
    if (n == static_cast<ssize_t>(bytes.size()))
      return true;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      return true;
    if (n > 0)
      bytes.erase(bytes.begin(), bytes.begin() + n);
  }
  if (i != pipes_.end())
    ++i->second.queued;
  return false;
}

void direct_writes::written(worker_id id, std::size_t n) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = pipes_.find(id); i != pipes_.end())
    i->second.queued -= std::min(n, i->second.queued);
}

void direct_writes::clear() {
  std::lock_guard<std::mutex> guard{mtx_};
  pipes_.clear();
}

} // namespace taskactors::detail
