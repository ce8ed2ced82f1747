#include "core/token_pool.hpp"

#include <algorithm>

namespace taskactors::detail {

token_pool::token_pool(std::string name, std::size_t capacity)
    : name_(std::move(name)), capacity_(capacity) {}

bool token_pool::enqueue(client_id client, uint64_t ticket, time_point now) {
  if (!waiters_.push_back(waiter{client, ticket, now}).second)
    return false;
  count_waiting(client, 1);
  return true;
}

bool token_pool::withdraw(client_id client, uint64_t ticket) {
  if (waiters_.get<by_request>().erase(std::make_pair(client, ticket)) == 0)
    return false;
  count_waiting(client, -1);
  return true;
}

void token_pool::count_waiting(client_id client, int delta) {
  auto& n = waiting_by_client_[client];
  n = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(n) + delta);
  if (n == 0)
    waiting_by_client_.erase(client);
}

void token_pool::take(client_id client, std::size_t n) {
  holders_[client] += n;
  borrowed_ += n;
  peak_borrowed_ = std::max(peak_borrowed_, borrowed_);
}

std::size_t token_pool::release(client_id client, std::size_t n) {
  auto i = holders_.find(client);
  if (i == holders_.end())
    return 0;
  auto count = std::min(n, i->second);
  i->second -= count;
  borrowed_ -= count;
  if (i->second == 0)
    holders_.erase(i);
  return count;
}

std::size_t token_pool::transfer(client_id from, client_id to, std::size_t n) {
  if (from == to)
    return std::min(n, held_by(from));
  auto count = release(from, n);
  if (count > 0)
    take(to, count);
  return count;
}

std::size_t token_pool::drop_client(client_id client) {
  if (waiting_by_client_.erase(client) > 0)
    for (auto i = waiters_.begin(); i != waiters_.end();)
      i = i->client == client ? waiters_.erase(i) : std::next(i);
  auto i = holders_.find(client);
  if (i == holders_.end())
    return 0;
  auto count = i->second;
  borrowed_ -= count;
  holders_.erase(i);
  return count;
}

void token_pool::resize(std::size_t capacity) {
  capacity_ = capacity;
}

std::vector<token_grant> token_pool::grant(time_point now) {
  std::vector<token_grant> result;
  while (borrowed_ < capacity_ && !waiters_.empty()) {
    auto& next = waiters_.front();
    result.push_back(token_grant{next.client, next.ticket});
    waits_.record(now - next.since);
    take(next.client, 1);
    count_waiting(next.client, -1);
    ++grants_;
    waiters_.pop_front();
  }
  return result;
}

std::size_t token_pool::held_by(client_id client) const noexcept {
  auto i = holders_.find(client);
  return i == holders_.end() ? 0 : i->second;
}

bool token_pool::knows(client_id client) const noexcept {
  return holders_.count(client) > 0 || waiting_by_client_.count(client) > 0;
}

limiter_stats token_pool::stats() const {
  limiter_stats result;
  result.name = name_;
  result.capacity = capacity_;
  result.borrowed = borrowed_;
  result.peak_borrowed = peak_borrowed_;
  result.waiting = waiters_.size();
  result.grants = grants_;
  result.wait_p50 = waits_.quantile(0.5);
  result.wait_p99 = waits_.quantile(0.99);
  return result;
}

} // namespace taskactors::detail
