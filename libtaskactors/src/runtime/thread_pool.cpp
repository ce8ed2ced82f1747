#include "runtime/thread_pool.hpp"

#include <algorithm>

#include <pthread.h>

#include "runtime/helping_unit.hpp"

namespace taskactors::detail {

thread_pool::thread_pool(std::size_t max_threads, std::chrono::nanoseconds idle_timeout)
    : st_(std::make_shared<shared_state>()) {
  st_->max_threads = std::max<std::size_t>(max_threads, 1);
  st_->idle_timeout = idle_timeout;
}

thread_pool::~thread_pool() {
  shutdown(std::chrono::steady_clock::now());
}

void thread_pool::work(std::shared_ptr<shared_state> st) {
  // Named, so that tools (and tests) can tell the library's threads apart.
  pthread_setname_np(pthread_self(), "taskactors.thr");
  std::unique_lock<std::mutex> lock{st->mtx};
  auto retire = [&] {
    --st->threads;
    st->ended.push_back(std::this_thread::get_id());
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
    auto j = std::move(st->queue.front());
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
    if (j.finish)
      j.finish();
    lock.lock();
    --st->finishing;
    st->changed.notify_all();
    if (st->threads > st->max_threads && st->queue.empty()) {
      retire();
      return;
    }
  }
}

void thread_pool::reap(std::unique_lock<std::mutex>&) {
  for (auto id : st_->ended) {
    auto i = threads_.find(id);
    if (i != threads_.end()) {
      i->second.join(); // it only has to return: it no longer needs the lock
      threads_.erase(i);
    }
  }
  st_->ended.clear();
}

bool thread_pool::post(job j) {
  std::unique_lock<std::mutex> lock{st_->mtx};
  if (st_->stopping)
    return false;
  reap(lock);
  st_->queue.push_back(std::move(j));
  if (st_->queue.size() <= st_->idle + st_->finishing) {
    // An idle thread, or one finishing a job, takes it. Woken after the lock is released, so
    // that it does not wake only to wait for the lock.
    lock.unlock();
    st_->work.notify_one();
  } else if (st_->threads < st_->max_threads) {
    ++st_->threads;
    ++st_->created;
    std::thread t{work, st_};
    auto id = t.get_id();
    threads_.emplace(id, std::move(t));
  }
  return true;
}

void thread_pool::set_max_threads(std::size_t n) {
  std::unique_lock<std::mutex> lock{st_->mtx};
  st_->max_threads = std::max<std::size_t>(n, 1);
  st_->work.notify_all(); // surplus idle threads retire
  reap(lock);
}

thread_pool::stats thread_pool::snapshot() const {
  std::lock_guard<std::mutex> guard{st_->mtx};
  return stats{st_->threads, st_->busy, st_->queue.size(), st_->max_threads, st_->created};
}

std::size_t thread_pool::shutdown(std::chrono::steady_clock::time_point deadline) {
  std::deque<job> dropped;
  std::vector<std::thread> stuck;
  std::vector<std::thread> ending;
  {
    std::unique_lock<std::mutex> lock{st_->mtx};
    st_->stopping = true;
    dropped.swap(st_->queue);
    st_->work.notify_all();
    st_->changed.wait_until(lock, deadline, [&] { return st_->busy == 0; });
    reap(lock);
    for (auto& [id, t] : threads_) {
      auto i = st_->running.find(id);
      if (i == st_->running.end()) {
        ending.push_back(std::move(t)); // idle or finishing: it exits now that the pool stops
        continue;
      }
      // Still in a job past the deadline: abandon it under the lock (the job can neither finish
      // nor be destroyed meanwhile), then let the thread go.
      if (i->second->abandon)
        i->second->abandon();
      stuck.push_back(std::move(t));
    }
    threads_.clear();
  }
  for (auto& j : dropped)
    if (j.abandon)
      j.abandon();
  for (auto& t : ending) {
    // A thread that runs actor work (helping_unit) waits for no thread that may be doing the
    // same, itself included: those threads end on their own, the pool being stopped.
    if (helping_unit::active() || t.get_id() == std::this_thread::get_id())
      t.detach();
    else
      t.join();
  }
  for (auto& t : stuck)
    t.detach(); // it holds the shared state and ends when its job returns
  return stuck.size();
}

bool thread_pool::wait_threads_at_most(std::size_t n,
                                       std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock{st_->mtx};
  auto ok = st_->changed.wait_until(lock, deadline, [&] { return st_->threads <= n; });
  reap(lock);
  return ok;
}

} // namespace taskactors::detail
