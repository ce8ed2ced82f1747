#include "os/posix_calls.hpp"

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <string>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "os/process_launcher.hpp"

namespace taskactors::detail {

namespace {

void limit(int resource, uint64_t value) noexcept {
  if (value == 0)
    return;
  rlimit r{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
  ::setrlimit(resource, &r);
}

} // namespace

void prepare_child(pid_t host, const child_limits& limits) noexcept {
  ::setpgid(0, 0);                    // its own process group, signalled as a whole
  ::prctl(PR_SET_PDEATHSIG, SIGKILL); // dies with the host thread that started it
  if (::getppid() != host)            // the host died before that took effect
    ::_exit(127);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Signals the host ignores stay ignored across exec (a host that ignores SIGTERM would make
  // every cancel wait out the whole grace): the worker starts with every default action.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP)
      ::sigaction(sig, &dfl, nullptr);
  limit(RLIMIT_AS, limits.address_space);
  limit(RLIMIT_CPU, limits.cpu_seconds);
  limit(RLIMIT_NOFILE, limits.open_files);
}

ssize_t write_without_sigpipe(int fd, const char* bytes, std::size_t size) {
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  sigset_t old_mask;
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask);
  ssize_t n = 0;
  do
    n = ::write(fd, bytes, size);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EPIPE && !was_pending) {
    int saved = errno;
    timespec zero{0, 0};
    while (sigtimedwait(&pipe_only, nullptr, &zero) < 0 && errno == EINTR) {
    }
    errno = saved;
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  return n;
}

std::optional<std::size_t> resident_bytes_of(pid_t pid) {
  auto path = pid == 0 ? std::string{"/proc/self/statm"} : fmt::format("/proc/{}/statm", pid);
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr)
    return std::nullopt;
  unsigned long size = 0;
  unsigned long resident = 0;
  auto n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (n != 2)
    return std::nullopt;
  return static_cast<std::size_t>(resident) * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

std::optional<std::string> check_executable(const std::string& path) {
  if (path.empty())
    return std::string{"no path given"};
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return fmt::format("{} does not exist", path);
  if (!S_ISREG(st.st_mode))
    return fmt::format("{} is not a regular file", path);
  if (::access(path.c_str(), X_OK) != 0)
    return fmt::format("{} is not executable", path);
  return std::nullopt;
}

} // namespace taskactors::detail
