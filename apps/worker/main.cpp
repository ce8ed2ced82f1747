// taskactors-worker: the default worker process, with jobs for demos, tests and benchmarks.
//
//   taskactors-worker                 demo and benchmark jobs
//   taskactors-worker --test-jobs     also jobs that crash, hang, leak or break the protocol

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cpu_job.hpp"
#include "taskactors/worker.hpp"

namespace {

uint64_t cpu(uint64_t iterations) {
  return apps::cpu_job(iterations);
}

// Scores a text like a toy relevance model: CPU work proportional to its length.
double score(const std::string& text) {
  double acc = 0;
  for (int round = 0; round < 2000; ++round)
    for (unsigned char c : text)
      acc += std::sin(static_cast<double>(c) * 0.01 + round) * 0.5;
  return std::fmod(std::fabs(acc), 1.0);
}

void add_demo_jobs(taskactors::job_registry& jobs) {
  jobs.add("cpu", cpu);
  jobs.add("sum_squares", [](uint64_t n) {
    uint64_t sum = 0;
    for (uint64_t i = 1; i <= n; ++i)
      sum += i * i;
    return sum;
  });
  jobs.add("sleep", [](uint32_t ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds{ms});
    return ms;
  });
  jobs.add("echo", [](std::string s) { return s; });
  jobs.add("score", score);
  jobs.add("noop", [] {});
}

void add_test_jobs(taskactors::job_registry& jobs) {
  // Dies of SIGSEGV (with the default action, even where a sanitizer installed a handler).
  jobs.add("crash", [] {
    std::signal(SIGSEGV, SIG_DFL);
    std::raise(SIGSEGV);
  });
  jobs.add("abort", [] { std::abort(); });
  jobs.add("exit", [](int32_t code) { std::_Exit(code); });
  jobs.add("throw", []() -> int { throw std::runtime_error("thrown by the job"); });
  // Ignores SIGTERM (and says so on stderr): only SIGKILL ends it.
  jobs.add("hang", [] {
    std::signal(SIGTERM, SIG_IGN);
    std::fprintf(stderr, "hang: ignoring SIGTERM\n");
    for (;;)
      std::this_thread::sleep_for(std::chrono::seconds{1});
  });
  // Blocks, but SIGTERM ends it.
  jobs.add("block", [] {
    for (;;)
      std::this_thread::sleep_for(std::chrono::seconds{1});
  });
  // Allocates and touches `mib` MiB, holds it for `hold_ms`, and returns the MiB touched.
  jobs.add("alloc", [](uint32_t mib, uint32_t hold_ms) {
    std::vector<std::vector<char>> blocks;
    for (uint32_t i = 0; i < mib; ++i)
      blocks.emplace_back(std::size_t{1} << 20, static_cast<char>(i));
    std::this_thread::sleep_for(std::chrono::milliseconds{hold_ms});
    return static_cast<uint32_t>(blocks.size());
  });
  // Writes bytes that are not a frame to stdout, which carries the protocol.
  jobs.add("garbage", [] {
    const char junk[] = "this is not a frame\n";
    [[maybe_unused]] auto n = ::write(STDOUT_FILENO, junk, sizeof(junk) - 1);
    return 1;
  });
  // What the sandbox looks like from inside.
  jobs.add("environment", [] {
    std::vector<std::string> result;
    for (char** e = environ; *e != nullptr; ++e)
      result.emplace_back(*e);
    return result;
  });
  // The open file descriptors, not counting the one this listing uses.
  jobs.add("descriptors", [] {
    std::vector<int32_t> result;
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr)
      return result;
    int own = ::dirfd(dir);
    while (auto* entry = ::readdir(dir)) {
      if (entry->d_name[0] == '.')
        continue;
      int fd = std::atoi(entry->d_name);
      if (fd != own)
        result.push_back(fd);
    }
    ::closedir(dir);
    return result;
  });
  jobs.add("limits", [] {
    auto get = [](int resource) {
      rlimit r{};
      ::getrlimit(resource, &r);
      return static_cast<uint64_t>(r.rlim_cur);
    };
    return std::vector<uint64_t>{get(RLIMIT_AS), get(RLIMIT_CPU), get(RLIMIT_NOFILE)};
  });
  jobs.add("ids", [] {
    return std::vector<int32_t>{static_cast<int32_t>(::getpid()),
                                static_cast<int32_t>(::getpgid(0)),
                                static_cast<int32_t>(::getppid())};
  });
  jobs.add("argv", [] {
    std::vector<std::string> result;
    std::FILE* f = std::fopen("/proc/self/cmdline", "r");
    if (f != nullptr) {
      std::string arg;
      for (int c; (c = std::fgetc(f)) != EOF;) {
        if (c == '\0') {
          result.push_back(arg);
          arg.clear();
        } else {
          arg.push_back(static_cast<char>(c));
        }
      }
      std::fclose(f);
    }
    return result;
  });
  jobs.add("stderr", [](std::string line) {
    std::fprintf(stderr, "%s\n", line.c_str());
    return 0;
  });
  // Starts a child that sleeps until killed, and returns its pid.
  jobs.add("fork", []() -> int32_t {
    pid_t child = ::fork();
    if (child == 0) {
      for (;;)
        ::pause();
    }
    return child;
  });
  // Writes `mib` MiB of 'x' to stderr without a newline, then one short line.
  jobs.add("stderr_flood", [](uint32_t mib) {
    std::string chunk(1 << 20, 'x');
    for (uint32_t i = 0; i < mib; ++i)
      std::fwrite(chunk.data(), 1, chunk.size(), stderr);
    std::fputs("\nflood done\n", stderr);
    std::fflush(stderr);
    return mib;
  });
}

} // namespace

int main(int argc, char** argv) {
  taskactors::job_registry jobs;
  add_demo_jobs(jobs);
  for (int i = 1; i < argc; ++i)
    if (std::string_view{argv[i]} == "--test-jobs")
      add_test_jobs(jobs);
  return taskactors::run_worker(jobs, argc, argv);
}
