#include "core/worker_supervisor.hpp"

#include <algorithm>
#include <csignal>
#include <cstring>

#include <sys/wait.h>

#include <caf/make_message.hpp>
#include <fmt/format.h>

#include "core/units.hpp"
#include "taskactors/errc.hpp"

namespace taskactors::detail {

pool_driver::~pool_driver() = default;

namespace {

caf::error from_wire(const wire::failure& f) {
  switch (f.code) {
  case wire::job_error::unknown_job:
    return caf::make_error(errc::unknown_job, f.message);
  case wire::job_error::bad_args:
    return caf::make_error(errc::bad_args, f.message);
  case wire::job_error::bad_result:
    return caf::make_error(errc::bad_result, f.message);
  default:
    return caf::make_error(errc::task_exception, f.message);
  }
}

} // namespace

worker_supervisor::worker_supervisor(pool_settings settings, pool_driver& driver)
    : cfg_(settings), driver_(driver) {}

worker_supervisor::worker* worker_supervisor::find(worker_id id) {
  auto i = workers_.find(id);
  return i == workers_.end() ? nullptr : &i->second;
}

void worker_supervisor::start(time_point now) {
  dispatch(now);
}

void worker_supervisor::spawn_one(time_point now) {
  auto id = next_id_++;
  worker w;
  w.id = id;
  w.input = wire::decoder{cfg_.max_frame()};
  w.deadline = now + cfg_.workers.start_timeout;
  w.last_seen = now;
  workers_.emplace(id, std::move(w));
  ++counters_.started;
  driver_.spawn(id);
}

void worker_supervisor::submit(job_key key, std::string job, std::vector<char> args,
                               time_point now) {
  if (stopping_) {
    driver_.job_done(
        key, job_result{false,
                        {},
                        caf::make_error(errc::not_running, "the worker pool is shutting down"),
                        stop_stage::none,
                        0});
    return;
  }
  queue_.push_back(pending_job{key, std::move(job), std::move(args)});
  dispatch(now);
}

void worker_supervisor::dispatch(time_point now) {
  if (stopping_)
    return;
  if (now < backoff_until_) {
    fail_queue(caf::make_error(
        errc::pool_unavailable,
        fmt::format("worker processes failed more than {} times within {} ms; no new worker "
                    "starts for {} ms",
                    cfg_.workers.restart_intensity, whole_ms(cfg_.workers.restart_period),
                    whole_ms(backoff_until_ - now))));
    return;
  }
  for (auto& [id, w] : workers_) {
    if (queue_.empty())
      break;
    if (w.st == state::idle) {
      auto job = std::move(queue_.front());
      queue_.pop_front();
      assign(w, std::move(job), now);
    }
  }
  std::size_t coming = 0;
  std::size_t idle = 0;
  std::size_t busy = 0;
  for (auto& [id, w] : workers_) {
    if (w.st == state::starting || w.st == state::handshaking)
      ++coming;
    else if (w.st == state::idle)
      ++idle;
    else if (w.st == state::busy)
      ++busy;
  }
  auto live = workers_.size();
  while (live < cfg_.max_workers &&
         (coming + idle < queue_.size() || coming + idle + busy < cfg_.prespawn)) {
    spawn_one(now);
    ++live;
    ++coming;
  }
}

void pool_driver::job_started(job_key, int) {
  // Nothing by default.
}

void worker_supervisor::assign(worker& w, pending_job job, time_point now) {
  w.st = state::busy;
  w.has_job = true;
  w.job = job.key;
  w.job_name = job.name;
  w.request = next_request_++;
  w.fate = caf::error{};
  w.stage = stop_stage::none;
  running_[job.key] = w.id;
  std::vector<char> bytes;
  wire::encode(bytes, wire::frame_kind::request, w.request,
               wire::encode_payload(wire::request{std::move(job.name), std::move(job.args)}));
  driver_.send(w.id, std::move(bytes));
  driver_.job_started(job.key, w.pid);
  if (cfg_.workers.max_rss > 0 && next_rss_check_ == time_point::max())
    next_rss_check_ = now + cfg_.workers.rss_interval;
}

void worker_supervisor::stop_job(job_key key, stop_reason why, time_point now) {
  auto fate = why == stop_reason::cancelled ? caf::make_error(errc::cancelled, "job cancelled")
                                            : caf::make_error(errc::timeout, "job timed out");
  auto queued = std::find_if(queue_.begin(), queue_.end(),
                             [key](const pending_job& j) { return j.key == key; });
  if (queued != queue_.end()) {
    queue_.erase(queued);
    driver_.job_done(key, job_result{false, {}, std::move(fate), stop_stage::none, 0});
    return;
  }
  auto i = running_.find(key);
  if (i == running_.end())
    return;
  if (auto w = find(i->second))
    terminate(*w, std::move(fate), now);
}

void worker_supervisor::on_started(worker_id id, int pid, time_point now) {
  auto w = find(id);
  if (w == nullptr)
    return;
  w->pid = pid;
  w->last_seen = now;
  if (w->st == state::starting)
    w->st = state::handshaking;
}

void worker_supervisor::on_start_failed(worker_id id, const std::string& reason, time_point now) {
  auto i = workers_.find(id);
  if (i == workers_.end())
    return;
  bool expected = i->second.expected_exit;
  workers_.erase(i);
  driver_.note(log_level::error, fmt::format("a worker did not start: {}", reason));
  if (!expected)
    record_crash(reason, now);
  dispatch(now);
}

void worker_supervisor::on_output(worker_id id, const char* data, std::size_t n, time_point now,
                                  time_point arrived) {
  auto w = find(id);
  if (w == nullptr || w->st == state::killed)
    return; // a worker being killed has nothing more to say
  w->last_seen = std::max(w->last_seen, std::min(arrived, now));
  std::vector<wire::frame> frames;
  if (!w->input.feed(data, n, frames)) {
    kill(*w,
         caf::make_error(errc::protocol_error, fmt::format("worker {} broke the protocol: {}",
                                                           w->pid, w->input.describe())),
         true, now);
    return;
  }
  for (auto& f : frames) {
    handle_frame(*w, f, now);
    if (w->st == state::killed)
      return;
  }
}

void worker_supervisor::handle_frame(worker& w, wire::frame& f, time_point now) {
  auto violation = [&](std::string what) {
    kill(w,
         caf::make_error(errc::protocol_error,
                         fmt::format("worker {} broke the protocol: {}", w.pid, what)),
         true, now);
  };
  switch (f.kind) {
  case wire::frame_kind::hello: {
    if (w.st != state::handshaking)
      return violation("a second hello");
    auto hi = wire::decode_hello(f.payload);
    if (!hi)
      return violation("a malformed hello");
    w.st = state::idle;
    w.deadline = time_point::max();
    if (hi->jobs != offered_) {
      offered_ = hi->jobs;
      driver_.jobs_offered(offered_);
    }
    dispatch(now);
    return;
  }
  case wire::frame_kind::heartbeat:
    if (w.st == state::handshaking)
      return violation("a heartbeat before its hello");
    if (!wire::decode_heartbeat(f.payload))
      return violation("a malformed heartbeat");
    return;
  case wire::frame_kind::result:
  case wire::frame_kind::error: {
    if (w.st == state::stopping || w.st == state::retiring)
      return; // being stopped: the job's fate is already decided
    if (w.st != state::busy || f.correlation != w.request)
      return violation(fmt::format(
          "a {} for request {} while it runs {}", wire::to_string(f.kind), f.correlation,
          w.st == state::busy ? fmt::format("request {}", w.request) : std::string{"none"}));
    if (f.kind == wire::frame_kind::result)
      return finish_job(w, job_result{true, std::move(f.payload), {}, stop_stage::none, w.pid},
                        now);
    auto failure = wire::decode_failure(f.payload);
    if (!failure)
      return violation("a malformed error frame");
    return finish_job(w, job_result{false, {}, from_wire(*failure), stop_stage::none, w.pid}, now);
  }
  case wire::frame_kind::request:
    return violation("a request frame (only the host sends those)");
  }
}

void worker_supervisor::finish_job(worker& w, job_result result, time_point now) {
  auto key = w.job;
  w.has_job = false;
  running_.erase(key);
  ++w.jobs_done;
  driver_.job_done(key, std::move(result));
  if (stopping_) {
    retire(w, now);
    return;
  }
  if (cfg_.workers.max_jobs > 0 && w.jobs_done >= cfg_.workers.max_jobs) {
    ++counters_.recycled;
    driver_.note(log_level::debug,
                 fmt::format("recycling worker {} after {} jobs", w.pid, w.jobs_done));
    retire(w, now);
  } else if (cfg_.workers.max_rss > 0) {
    auto rss = driver_.resident_bytes(w.id);
    if (rss && *rss > cfg_.workers.max_rss) {
      ++counters_.recycled;
      driver_.note(log_level::info, fmt::format("recycling worker {}: it holds {} (limit {})",
                                                w.pid, mib(*rss), mib(cfg_.workers.max_rss)));
      retire(w, now);
    } else {
      w.st = state::idle;
    }
  } else {
    w.st = state::idle;
  }
  dispatch(now);
}

pool_stats worker_supervisor::stats() const {
  auto result = counters_;
  result.workers = workers_.size();
  result.queued = queue_.size();
  result.backing_off = backoff_until_ != time_point::min();
  for (auto& [id, w] : workers_) {
    if (w.st == state::idle)
      ++result.idle;
    else if (w.st == state::busy)
      ++result.busy;
  }
  return result;
}

} // namespace taskactors::detail
