// The worker side of the wire protocol: run_worker().

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "os/posix_calls.hpp"
#include "os/worker_env.hpp"
#include "taskactors/worker.hpp"
#include "wire/wire.hpp"

namespace taskactors {

namespace {

// Writes whole frames to stdout; the heartbeat thread and the main loop share it.
class frame_writer {
public:
  bool write(wire::frame_kind kind, uint64_t correlation, const std::vector<char>& payload) {
    std::vector<char> bytes;
    wire::encode(bytes, kind, correlation, payload);
    std::lock_guard<std::mutex> guard{mtx_};
    std::size_t done = 0;
    while (done < bytes.size()) {
      auto n = ::write(STDOUT_FILENO, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return false; // the host is gone
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

private:
  std::mutex mtx_;
};

// Sends a heartbeat every `interval` until stopped.
class heartbeat {
public:
  heartbeat(frame_writer& out, std::chrono::milliseconds interval) : out_(out) {
    if (interval.count() > 0)
      thread_ = std::thread{[this, interval] { loop(interval); }};
  }

  ~heartbeat() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable())
      thread_.join();
  }

private:
  void loop(std::chrono::milliseconds interval) {
    std::unique_lock<std::mutex> lock{mtx_};
    while (!cv_.wait_for(lock, interval, [this] { return stop_; }))
      if (!out_.write(wire::frame_kind::heartbeat, 0,
                      wire::encode_heartbeat(detail::resident_bytes_of(0).value_or(0))))
        return;
  }

  frame_writer& out_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

wire::job_error to_wire(const caf::error& err) {
  if (is(err, errc::unknown_job))
    return wire::job_error::unknown_job;
  if (is(err, errc::bad_args))
    return wire::job_error::bad_args;
  if (is(err, errc::bad_result))
    return wire::job_error::bad_result;
  return wire::job_error::job_exception;
}

std::string context_of(const caf::error& err) {
  auto text = render(err);
  auto colon = text.find(": ");
  return colon == std::string::npos ? text : text.substr(colon + 2);
}

void print_help(std::FILE* to, const job_registry& jobs, const char* self) {
  std::fprintf(to,
               "%s is a taskactors worker: a taskactors host starts it and talks to it over "
               "stdin and stdout.\nIt offers these jobs:\n",
               self);
  for (auto& name : jobs.names())
    std::fprintf(to, "  %s\n", name.c_str());
}

bool asks_for_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string_view arg{argv[i]}; arg == "--help" || arg == "-h")
      return true;
  return false;
}

} // namespace

int run_worker(const job_registry& jobs, int argc, char** argv) {
  const char* self = argc > 0 ? argv[0] : "worker";
  if (asks_for_help(argc, argv)) {
    print_help(stdout, jobs, self);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  // A host talks to its workers over pipes: a terminal on either side means a person started
  // it, who gets the help rather than binary frames.
  if (::isatty(STDIN_FILENO) || ::isatty(STDOUT_FILENO)) {
    print_help(stderr, jobs, self);
    return 2;
  }
  // Die with the host. The launcher arranges this before exec; a worker started otherwise
  // (by hand, by another launcher) asks for it here, and checks the host did not die first.
  if (auto parent = detail::env_number(detail::env_parent_pid); parent > 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != static_cast<pid_t>(parent))
      return 1;
  }
  ::signal(SIGPIPE, SIG_DFL);
  frame_writer out;
  wire::hello hi{static_cast<uint32_t>(::getpid()), jobs.names()};
  if (!out.write(wire::frame_kind::hello, 0, wire::encode_payload(hi)))
    return 1;
  heartbeat beat{out, std::chrono::milliseconds{detail::env_number(detail::env_heartbeat_ms)}};
  wire::decoder in;
  std::vector<wire::frame> frames;
  std::vector<char> buf(64 * 1024);
  for (;;) {
    auto n = ::read(STDIN_FILENO, buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return 0; // the host closed our stdin: done
    frames.clear();
    if (!in.feed(buf.data(), static_cast<std::size_t>(n), frames)) {
      std::fprintf(stderr, "taskactors worker: bad input from the host: %s\n",
                   in.describe().c_str());
      return 2;
    }
    for (auto& f : frames) {
      if (f.kind != wire::frame_kind::request) {
        std::fprintf(stderr, "taskactors worker: unexpected %s frame from the host\n",
                     std::string{wire::to_string(f.kind)}.c_str());
        return 2;
      }
      auto req = wire::decode_request(f.payload);
      if (!req) {
        std::fprintf(stderr, "taskactors worker: malformed request: %s\n",
                     render(req.error()).c_str());
        return 2;
      }
      auto result = jobs.invoke(req->job, req->args);
      bool sent = result ? out.write(wire::frame_kind::result, f.correlation, *result)
                         : out.write(wire::frame_kind::error, f.correlation,
                                     wire::encode_payload(wire::failure{
                                         to_wire(result.error()), context_of(result.error())}));
      if (!sent)
        return 1;
    }
  }
}

} // namespace taskactors
