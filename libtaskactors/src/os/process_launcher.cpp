// The only file that includes Boost.Process: starting, feeding, reading, signalling and reaping
// worker processes, on one I/O thread.

#define BOOST_PROCESS_V2_HEADER_ONLY

#include "os/process_launcher.hpp"

#include "os/direct_writes.hpp"
#include "os/posix_calls.hpp"
#include "os/stderr_lines.hpp"

#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/asio/write.hpp>
#include <boost/process/v2/posix/vfork_launcher.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/stdio.hpp>
#include <fmt/format.h>

namespace asio = boost::asio;
namespace bp = boost::process::v2;

namespace taskactors::detail {

worker_events::~worker_events() = default;

process_launcher::~process_launcher() = default;

namespace {

// Boost.Process's hooks for the child between vfork and exec (see prepare_child).
struct sandbox {
  pid_t host;
  child_limits limits;

  bp::error_code on_exec_setup(bp::posix::default_launcher&, const bp::filesystem::path&,
                               const char* const*) {
    prepare_child(host, limits);
    return {};
  }

  void on_exec_error(bp::posix::default_launcher&, const bp::filesystem::path&, const char* const*,
                     const bp::error_code&) {
    ::_exit(127); // never run the parent's exit handlers from a vfork child
  }

  // Boost 1.81 detects the hook above through this signature (arguments in another order) but
  // calls the one above; without it, a failed exec would call exit() in the vfork child.
  void on_exec_error(bp::posix::default_launcher&, const bp::error_code&,
                     const bp::filesystem::path&, const char* const*, const bp::error_code&);
};

using io_executor = asio::io_context::executor_type;

struct worker_proc {
  worker_proc(asio::io_context& io, const launch_spec& spec)
      : in(io), out(io), err(io), linger(io),
        err_lines(spec.workers.stderr_line_max, spec.workers.stderr_lines_per_second,
                  stderr_lines::clock::now()) {}

  worker_id id = 0;
  int pid = 0;
  std::unique_ptr<bp::basic_process<io_executor>> proc;
  asio::writable_pipe in;
  asio::readable_pipe out;
  asio::readable_pipe err;
  asio::steady_timer linger;
  std::array<char, 64 * 1024> out_buf{};
  std::array<char, 4096> err_buf{};
  stderr_lines err_lines;
  std::deque<std::vector<char>> writes;
  bool writing = false;
  bool close_when_written = false;
  bool out_done = false;
  bool err_done = false;
  bool reaped = false;
  int status = 0;
};

class boost_launcher final : public process_launcher {
public:
  boost_launcher(std::shared_ptr<worker_events> events, std::shared_ptr<log_sink> log)
      : events_(std::move(events)), log_(std::move(log)), guard_(asio::make_work_guard(io_)),
        thread_([this] {
          pthread_setname_np(pthread_self(), "taskactors.io");
          // This thread writes to the workers' stdin. A write to a worker that just died must fail
          // with EPIPE (its exit is reported anyway), not raise SIGPIPE, whose default action
          // would end the host. SIGPIPE from a write goes to the writing thread: blocking it here
          // changes nothing for the rest of the process.
          sigset_t pipe;
          sigemptyset(&pipe);
          sigaddset(&pipe, SIGPIPE);
          pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
          io_.run();
          if (self_owned_) {
            // Stopped without waiting (stop_later): nobody else joins or frees it.
            thread_.detach();
            delete this;
          }
        }) {}

  ~boost_launcher() override { stop(); }

  void launch(worker_id id, const launch_spec& spec) override {
    // Writes before the process is up go through the I/O thread, counted, so that no direct
    // write overtakes them once it is.
    direct_.open(id);
    asio::post(io_, [this, id, spec] { do_launch(id, spec); });
  }

  // A frame goes straight into the pipe from the calling thread when nothing is queued before
  // it and the pipe has room; that saves waking the I/O thread for every request. Otherwise
  // (or for what did not fit) the I/O thread writes it, in order.
  void write(worker_id id, std::vector<char> bytes) override {
    if (direct_.try_write(id, bytes))
      return;
    asio::post(io_, [this, id, bytes = std::move(bytes)]() mutable {
      if (auto w = find(id)) {
        w->writes.push_back(std::move(bytes));
        pump(w);
      }
    });
  }

  void signal(worker_id id, int sig) override {
    asio::post(io_, [this, id, sig] {
      // Only while not reaped: a reaped pid may already belong to another process.
      if (auto w = find(id); w && !w->reaped)
        ::killpg(w->pid, sig);
    });
  }

  void close_input(worker_id id) override {
    direct_.close(id); // nothing written after this call may reach the worker ahead of it
    asio::post(io_, [this, id] {
      if (auto w = find(id)) {
        w->close_when_written = true;
        pump(w);
      }
    });
  }

  std::optional<std::size_t> resident_bytes(worker_id id) override {
    int pid = 0;
    {
      std::lock_guard<std::mutex> guard{pids_mtx_};
      auto i = pids_.find(id);
      if (i == pids_.end())
        return std::nullopt;
      pid = i->second;
    }
    return resident_bytes_of(pid);
  }

  void stop() override {
    if (stopped_)
      return;
    stopped_ = true;
    direct_.clear(); // from here on every write goes through the I/O thread
    asio::post(io_, [this] { kill_all(); });
    // Every worker was sent SIGKILL; the thread ends once all are reaped. A process the kernel
    // cannot kill at once (uninterruptible sleep) must not hang the host: give up after a while.
    {
      std::unique_lock<std::mutex> lock{done_mtx_};
      done_cv_.wait_for(lock, std::chrono::seconds{5}, [this] { return done_; });
    }
    io_.stop();
    thread_.join();
    workers_.clear();
    events_ = nullptr;
  }

  bool stop_later() override {
    if (stopped_)
      return false;
    stopped_ = true;
    direct_.clear();
    asio::post(io_, [this] {
      events_ = nullptr; // whoever stops the launcher no longer listens
      self_owned_ = true;
      kill_all();
    });
    return true;
  }

private:
  // On the I/O thread.
  void kill_all() {
    stopping_ = true;
    for (auto& [id, w] : workers_)
      if (!w->reaped)
        ::killpg(w->pid, SIGKILL);
    guard_.reset();
    finish_if_idle();
  }

  worker_proc* find(worker_id id) {
    auto i = workers_.find(id);
    return i == workers_.end() ? nullptr : i->second.get();
  }

  void do_launch(worker_id id, const launch_spec& spec) {
    if (stopping_)
      return;
    auto w = std::make_unique<worker_proc>(io_, spec);
    w->id = id;
    std::vector<const char*> envp;
    envp.reserve(spec.env.size() + 1);
    for (auto& entry : spec.env)
      envp.push_back(entry.c_str());
    envp.push_back(nullptr);
    bp::posix::vfork_launcher launcher;
    launcher.env = envp.data();
    bp::error_code ec;
    int pid = -1;
    {
      // The launcher tells its execution context about the fork; the vfork child shares our
      // memory, so that context must not be the one doing our I/O.
      asio::io_context spawn_ctx;
      bp::process_stdio stdio{w->in, w->out, w->err};
      auto proc =
          launcher(spawn_ctx.get_executor(), ec, spec.workers.executable, spec.workers.args, stdio,
                   sandbox{::getpid(),
                           {spec.workers.rlimit_address_space, spec.workers.rlimit_cpu_seconds,
                            spec.workers.rlimit_open_files}});
      if (!ec) {
        pid = proc.id();
        proc.detach();
      }
    }
    if (ec || pid <= 0) {
      direct_.close(id);
      auto reason = fmt::format("cannot start {}: {}", spec.workers.executable,
                                ec ? ec.message() : std::string{"no process"});
      events_->start_failed(id, std::move(reason));
      return;
    }
    // The child makes itself the leader of its own group before exec (prepare_child); when the
    // launch was a plain fork (sanitizers turn vfork into fork), it may not have run yet. Doing
    // it here as well means the group exists before anyone signals it; once the child has
    // exec'd, this fails harmlessly (EACCES) because the child already did it.
    ::setpgid(pid, pid);
    w->pid = pid;
    w->proc = std::make_unique<bp::basic_process<io_executor>>(io_.get_executor(), pid);
    {
      std::lock_guard<std::mutex> guard{pids_mtx_};
      pids_[id] = pid;
    }
    // Asio's own writes make the pipe non-blocking anyway; the direct path needs it from the
    // start, so that a full pipe never blocks a caller's thread.
    int fd = w->in.native_handle();
    if (int flags = ::fcntl(fd, F_GETFL);
        flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0)
      direct_.ready(id, fd);
    auto* raw = w.get();
    workers_.emplace(id, std::move(w));
    events_->started(id, pid);
    read_output(raw);
    read_errors(raw);
    raw->proc->async_wait([this, raw](bp::error_code, int) {
      // What the worker started lives on in its process group: end it with the worker. The
      // kernel gives the group's id to no new process while a member lives.
      ::killpg(raw->pid, SIGKILL);
      raw->reaped = true;
      raw->status = static_cast<int>(raw->proc->native_exit_code());
      {
        std::lock_guard<std::mutex> guard{pids_mtx_};
        pids_.erase(raw->id);
      }
      // Output may still be in the pipe: report the exit after it, or after a short while if a
      // descendant holds the pipe open.
      raw->linger.expires_after(std::chrono::milliseconds{200});
      raw->linger.async_wait([this, id = raw->id](bp::error_code) {
        if (auto lingering = find(id))
          finish(lingering);
      });
      maybe_finish(raw);
    });
  }

  void read_output(worker_proc* w) {
    w->out.async_read_some(asio::buffer(w->out_buf), [this, w](bp::error_code ec, std::size_t n) {
      // Kept alive by this copy: the work that `output` runs may stop the launcher.
      if (auto events = events_; n > 0 && events)
        events->output(w->id, std::vector<char>(w->out_buf.data(), w->out_buf.data() + n));
      if (ec) {
        w->out_done = true;
        maybe_finish(w);
        return;
      }
      read_output(w);
    });
  }

  // A worker's stderr goes to the log line by line, bounded in length and rate (see
  // `stderr_lines`): whatever a worker writes, the host holds at most one line of it.
  void read_errors(worker_proc* w) {
    w->err.async_read_some(asio::buffer(w->err_buf), [this, w](bp::error_code ec, std::size_t n) {
      auto now = stderr_lines::clock::now();
      auto emit = [this, w](std::string_view line, uint64_t dropped) {
        if (dropped > 0)
          log_.warn("worker {}: {} lines of stderr dropped (over workers.stderr-lines-per-second)",
                    w->pid, dropped);
        if (!line.empty())
          log_.info("worker {}: {}", w->pid, line);
      };
      if (n > 0)
        w->err_lines.feed(std::string_view{w->err_buf.data(), n}, now, emit);
      if (ec) {
        w->err_lines.finish(now, emit);
        w->err_done = true;
        maybe_finish(w);
        return;
      }
      read_errors(w);
    });
  }

  void pump(worker_proc* w) {
    if (w->writing)
      return;
    if (w->writes.empty()) {
      if (w->close_when_written && w->in.is_open())
        close_input_pipe(w);
      return;
    }
    w->writing = true;
    asio::async_write(
        w->in, asio::buffer(w->writes.front()), [this, w](bp::error_code ec, std::size_t) {
          w->writing = false;
          auto done = ec ? w->writes.size() : 1;
          // The worker is gone on error; its exit will be reported.
          w->writes.erase(w->writes.begin(), w->writes.begin() + static_cast<std::ptrdiff_t>(done));
          direct_.written(w->id, done);
          if (!ec)
            pump(w);
        });
  }

  // Closes a worker's stdin; no other thread writes to the descriptor after that.
  void close_input_pipe(worker_proc* w) {
    direct_.close(w->id, [w] {
      bp::error_code ignored;
      w->in.close(ignored);
    });
  }

  void maybe_finish(worker_proc* w) {
    if (w->reaped && w->out_done && w->err_done)
      finish(w);
  }

  void finish(worker_proc* w) {
    auto i = workers_.find(w->id);
    if (i == workers_.end() || i->second.get() != w)
      return;
    auto id = w->id;
    auto status = w->status;
    bp::error_code ignored;
    w->linger.cancel();
    close_input_pipe(w);
    w->out.close(ignored);
    w->err.close(ignored);
    // Handlers still queued for this worker refer to it: free it once they have run.
    auto owned = std::move(i->second);
    workers_.erase(i);
    asio::post(io_, [owned = std::shared_ptr<worker_proc>(std::move(owned))] {});
    if (events_ && !stopping_)
      events_->exited(id, status);
    finish_if_idle();
  }

  void finish_if_idle() {
    if (stopping_ && workers_.empty()) {
      std::lock_guard<std::mutex> guard{done_mtx_};
      done_ = true;
      done_cv_.notify_all();
    }
  }

  std::shared_ptr<worker_events> events_;
  logger log_;
  asio::io_context io_;
  asio::executor_work_guard<io_executor> guard_;
  std::map<worker_id, std::unique_ptr<worker_proc>> workers_;
  std::mutex pids_mtx_;
  std::map<worker_id, int> pids_;
  direct_writes direct_; // the workers' stdin, for writes from the caller's thread
  bool stopping_ = false;
  bool stopped_ = false;
  /// Set by stop_later, on the I/O thread: that thread frees the launcher when it ends.
  bool self_owned_ = false;
  std::mutex done_mtx_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;
};

} // namespace

std::unique_ptr<process_launcher> make_process_launcher(std::shared_ptr<worker_events> events,
                                                        std::shared_ptr<log_sink> log) {
  return std::make_unique<boost_launcher>(std::move(events), std::move(log));
}

} // namespace taskactors::detail
