#include "runtime/thread_pool.hpp"

#include <algorithm>
#include <cstring>
#include <system_error>

#include <pthread.h>

namespace taskactors::detail {

namespace {

// Whether the calling thread is one of a pool's, between a job's end and its finish returning:
// such a thread may stop the pool from that finish and must not wait for itself.
thread_local bool in_finish = false;

void start_detached(std::function<void()> body) {
  std::thread{std::move(body)}.detach();
}

} // namespace

thread_pool::thread_pool(std::size_t max_threads, std::chrono::nanoseconds idle_timeout)
    : st_(std::make_shared<shared_state>()), start_(start_detached) {
  st_->max_threads = std::max<std::size_t>(max_threads, 1);
  st_->idle_timeout = idle_timeout;
}

thread_pool::~thread_pool() {
  shutdown(std::chrono::steady_clock::now());
}

void thread_pool::set_thread_starter(thread_starter start) {
  start_ = std::move(start);
}

void thread_pool::work(std::shared_ptr<shared_state> st) {
  // Named, so that tools (and tests) can tell the library's threads apart.
  pthread_setname_np(pthread_self(), "taskactors.thr");
  std::unique_lock<std::mutex> lock{st->mtx};
  auto retire = [&] {
    --st->threads;
    st->changed.notify_all();
  };
  for (;;) {
    if (st->queue.empty() && !st->stopping) {
      ++st->idle;
      auto woke = st->work.wait_for(lock, st->idle_timeout, [&] {
        return !st->queue.empty() || st->stopping || st->threads > st->max_threads;
      });
      --st->idle;
      if (!woke || (st->queue.empty() && st->threads > st->max_threads)) {
        retire();
        return;
      }
    }
    if (st->queue.empty()) {
      retire(); // stopping
      return;
    }
    auto j = std::move(st->queue.front().work);
    st->queue.pop_front();
    ++st->busy;
    st->running[std::this_thread::get_id()] = &j;
    lock.unlock();
    j.run();
    lock.lock();
    st->running.erase(std::this_thread::get_id());
    --st->busy;
    ++st->finishing;
    lock.unlock();
    in_finish = true;
    if (j.finish)
      j.finish();
    in_finish = false;
    lock.lock();
    // What the job captured goes under the lock (ordered with `abandon`, which runs under it
    // too) and before the pool may count this thread as done.
    j = job{};
    --st->finishing;
    st->changed.notify_all();
    if (st->threads > st->max_threads && st->queue.empty()) {
      retire();
      return;
    }
  }
}

std::optional<thread_pool::refusal> thread_pool::post(job j) {
  std::unique_lock<std::mutex> lock{st_->mtx};
  if (st_->stopping)
    return refusal{true, "the thread pool has stopped"};
  auto number = st_->posted++;
  st_->queue.push_back(queued_job{number, std::move(j)});
  if (st_->queue.size() <= st_->idle + st_->finishing) {
    // An idle thread, or one finishing a job, takes it. Woken after the lock is released, so
    // that it does not wake only to wait for the lock.
    lock.unlock();
    st_->work.notify_one();
    return std::nullopt;
  }
  if (st_->threads >= st_->max_threads)
    return std::nullopt; // a busy thread takes it when its job returns
  ++st_->threads;
  ++st_->created;
  lock.unlock();
  try {
    start_([st = st_] { work(st); });
    return std::nullopt;
  } catch (const std::system_error& e) {
    lock.lock();
    --st_->threads;
    --st_->created;
    st_->changed.notify_all();
    if (st_->threads > 0)
      return std::nullopt; // a thread that is alive takes it later; the next post tries again
    auto i = std::find_if(st_->queue.begin(), st_->queue.end(),
                          [number](const queued_job& q) { return q.number == number; });
    if (i == st_->queue.end())
      return std::nullopt; // taken meanwhile by a thread another post started
    st_->queue.erase(i);
    return refusal{false, "cannot start a thread for it: " + std::string{e.what()}};
  }
}

void thread_pool::set_max_threads(std::size_t n) {
  std::lock_guard<std::mutex> guard{st_->mtx};
  st_->max_threads = std::max<std::size_t>(n, 1);
  st_->work.notify_all(); // surplus idle threads retire
}

thread_pool::stats thread_pool::snapshot() const {
  std::lock_guard<std::mutex> guard{st_->mtx};
  return stats{st_->threads, st_->busy, st_->queue.size(), st_->max_threads, st_->created};
}

std::size_t thread_pool::shutdown(std::chrono::steady_clock::time_point deadline) {
  std::deque<queued_job> dropped;
  std::size_t stuck = 0;
  {
    std::unique_lock<std::mutex> lock{st_->mtx};
    st_->stopping = true;
    dropped.swap(st_->queue);
    st_->work.notify_all();
    st_->changed.wait_until(lock, deadline, [&] { return st_->busy == 0; });
    // Still in a job past the deadline: abandon it under the lock (the job can neither finish
    // nor be destroyed meanwhile); its thread ends when the job returns.
    for (auto& [id, running] : st_->running) {
      if (running->abandon)
        running->abandon();
      ++stuck;
    }
    st_->running.clear();
    // A thread past its job may still be sending its result: wait for that (it only sends),
    // unless this is that thread.
    auto own = in_finish ? std::size_t{1} : std::size_t{0};
    st_->changed.wait(lock, [&] { return st_->finishing <= own; });
  }
  for (auto& q : dropped)
    if (q.work.abandon)
      q.work.abandon();
  return stuck;
}

bool thread_pool::wait_threads_at_most(std::size_t n,
                                       std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock{st_->mtx};
  return st_->changed.wait_until(lock, deadline, [&] { return st_->threads <= n; });
}

} // namespace taskactors::detail
