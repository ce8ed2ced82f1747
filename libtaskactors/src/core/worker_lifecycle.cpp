// The worker pool's lifecycle side: stopping and killing workers, their exits and crash
// budget, timers, shutdown and resizing. The job side is in worker_supervisor.cpp.

#include "core/worker_supervisor.hpp"

#include <algorithm>
#include <csignal>
#include <cstring>

#include <sys/wait.h>

#include <fmt/format.h>

#include "core/units.hpp"
#include "taskactors/errc.hpp"

namespace taskactors::detail {

void worker_supervisor::kill(worker& w, caf::error fate, bool counts_as_crash, time_point) {
  if (w.st == state::killed)
    return;
  if (!w.fate)
    w.fate = std::move(fate);
  w.expected_exit = !counts_as_crash;
  w.stage = stop_stage::sigkill;
  w.st = state::killed;
  w.deadline = time_point::max();
  ++counters_.killed;
  driver_.signal(w.id, SIGKILL);
}

void worker_supervisor::terminate(worker& w, caf::error fate, time_point now) {
  if (w.st == state::stopping || w.st == state::killed || w.st == state::retiring)
    return;
  if (w.st == state::idle) {
    retire(w, now);
    return;
  }
  if (w.st == state::starting || w.st == state::handshaking) {
    kill(w, std::move(fate), false, now);
    return;
  }
  w.fate = std::move(fate);
  w.expected_exit = true;
  w.stage = stop_stage::sigterm;
  w.st = state::stopping;
  w.deadline = now + cfg_.workers.kill_grace;
  driver_.signal(w.id, SIGTERM);
}

void worker_supervisor::retire(worker& w, time_point now) {
  w.st = state::retiring;
  w.expected_exit = true;
  w.deadline = now + cfg_.workers.kill_grace;
  driver_.close_input(w.id);
}

void worker_supervisor::on_exit(worker_id id, int status, time_point now) {
  auto i = workers_.find(id);
  if (i == workers_.end())
    return;
  auto w = std::move(i->second);
  workers_.erase(i);
  auto how = describe_exit(w, status);
  if (w.has_job) {
    running_.erase(w.job);
    job_result result;
    result.pid = w.pid;
    result.stage = w.stage;
    result.error = w.fate
                       ? std::move(w.fate)
                       : caf::make_error(errc::worker_crashed,
                                         fmt::format("{} while running job '{}'", how, w.job_name));
    driver_.job_done(w.job, std::move(result));
  }
  if (!w.expected_exit) {
    auto what = w.st == state::starting || w.st == state::handshaking
                    ? fmt::format("{} before its handshake", how)
                    : how;
    driver_.note(log_level::warn, what);
    record_crash(what, now);
  }
  dispatch(now);
}

std::string worker_supervisor::describe_exit(const worker& w, int status) const {
  if (WIFSIGNALED(status)) {
    auto sig = WTERMSIG(status);
    auto name = sigabbrev_np(sig);
    return fmt::format("worker {} was killed by signal {} (SIG{})", w.pid, sig,
                       name != nullptr ? name : "?");
  }
  if (WIFEXITED(status))
    return fmt::format("worker {} exited with code {}", w.pid, WEXITSTATUS(status));
  return fmt::format("worker {} ended (status {})", w.pid, status);
}

void worker_supervisor::record_crash(const std::string& what, time_point now) {
  ++counters_.crashed;
  if (stopping_)
    return;
  crashes_.push_back(now);
  while (!crashes_.empty() && crashes_.front() <= now - cfg_.workers.restart_period)
    crashes_.pop_front();
  if (crashes_.size() > cfg_.workers.restart_intensity) {
    backoff_until_ = now + cfg_.workers.restart_backoff;
    driver_.note(log_level::error,
                 fmt::format("worker processes failed {} times within {} ms (last: {}); no new "
                             "worker starts for {} ms",
                             crashes_.size(), whole_ms(cfg_.workers.restart_period), what,
                             whole_ms(cfg_.workers.restart_backoff)));
  }
}

void worker_supervisor::fail_queue(const caf::error& err) {
  auto jobs = std::move(queue_);
  queue_.clear();
  for (auto& job : jobs)
    driver_.job_done(job.key, job_result{false, {}, err, stop_stage::none, 0});
}

void worker_supervisor::tick(time_point now) {
  for (auto& [id, w] : workers_) {
    if (w.deadline <= now) {
      switch (w.st) {
      case state::starting:
      case state::handshaking:
        kill(w,
             caf::make_error(errc::worker_crashed,
                             fmt::format("worker {} did not complete its handshake within {} ms",
                                         w.pid, whole_ms(cfg_.workers.start_timeout))),
             true, now);
        driver_.note(log_level::warn, fmt::format("worker {} did not complete its handshake "
                                                  "within {} ms; killed",
                                                  w.pid, whole_ms(cfg_.workers.start_timeout)));
        break;
      case state::stopping:
      case state::retiring:
        // The grace period is over.
        w.stage = stop_stage::sigkill;
        w.st = state::killed;
        w.deadline = time_point::max();
        ++counters_.killed;
        driver_.signal(w.id, SIGKILL);
        break;
      default:
        w.deadline = time_point::max();
      }
    }
    if (cfg_.heartbeat_timeout() > caf::timespan::zero() &&
        (w.st == state::idle || w.st == state::busy) &&
        now - w.last_seen >= cfg_.heartbeat_timeout())
      kill(w,
           caf::make_error(errc::worker_crashed,
                           fmt::format("worker {} sent nothing for {} ms and was killed", w.pid,
                                       whole_ms(cfg_.heartbeat_timeout()))),
           true, now);
  }
  if (cfg_.workers.max_rss > 0 && now >= next_rss_check_) {
    bool any_busy = false;
    for (auto& [id, w] : workers_) {
      if (w.st != state::busy)
        continue;
      auto rss = driver_.resident_bytes(id);
      if (rss && *rss > cfg_.workers.max_rss)
        kill(w,
             caf::make_error(errc::memory_limit,
                             fmt::format("worker {} used {} (limit {}) while running job '{}'; it "
                                         "was killed",
                                         w.pid, mib(*rss), mib(cfg_.workers.max_rss), w.job_name)),
             false, now);
      else
        any_busy = true;
    }
    next_rss_check_ = any_busy ? now + cfg_.workers.rss_interval : time_point::max();
  }
  if (backoff_until_ != time_point::min() && now >= backoff_until_) {
    backoff_until_ = time_point::min();
    crashes_.clear();
    driver_.note(log_level::info, "restarting worker processes after the back-off");
    dispatch(now);
  }
}

std::optional<time_point> worker_supervisor::next_timer() const {
  auto next = time_point::max();
  for (auto& [id, w] : workers_) {
    next = std::min(next, w.deadline);
    if (cfg_.heartbeat_timeout() > caf::timespan::zero() &&
        (w.st == state::idle || w.st == state::busy))
      next = std::min(next, w.last_seen + cfg_.heartbeat_timeout());
  }
  next = std::min(next, next_rss_check_);
  if (backoff_until_ != time_point::min())
    next = std::min(next, backoff_until_);
  if (next == time_point::max())
    return std::nullopt;
  return next;
}

void worker_supervisor::shutdown(time_point now) {
  if (stopping_)
    return;
  stopping_ = true;
  fail_queue(caf::make_error(errc::not_running, "the worker pool is shutting down"));
  for (auto& [id, w] : workers_)
    terminate(w, caf::make_error(errc::not_running, "the worker pool shut down"), now);
}

void worker_supervisor::set_max_workers(std::size_t n, time_point now) {
  cfg_.max_workers = std::max<std::size_t>(n, 1);
  cfg_.prespawn = std::min(cfg_.prespawn, cfg_.max_workers);
  std::size_t live = 0;
  for (auto& [id, w] : workers_)
    if (w.st != state::retiring && w.st != state::stopping && w.st != state::killed)
      ++live;
  for (auto& [id, w] : workers_) {
    if (live <= cfg_.max_workers)
      break;
    if (w.st == state::idle) {
      retire(w, now);
      --live;
    }
  }
  dispatch(now);
}

} // namespace taskactors::detail
