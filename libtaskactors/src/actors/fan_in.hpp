#pragma once

#include <cstddef>
#include <memory>
#include <utility>

#include <caf/error.hpp>
#include <caf/typed_response_promise.hpp>

namespace taskactors::detail {

/// Collects several asynchronous answers into one reply. The reply is delivered once `remaining`
/// reaches zero; if the collector is destroyed before that (its handlers dropped because the
/// actor stopped), the promise still gets `on_abandon`, so the requester never waits forever.
template <class Result>
class fan_in {
public:
  fan_in(caf::typed_response_promise<Result> promise, Result initial, std::size_t remaining,
         caf::error on_abandon)
      : promise_(std::move(promise)), result_(std::move(initial)), remaining_(remaining),
        on_abandon_(std::move(on_abandon)) {}

  fan_in(const fan_in&) = delete;
  fan_in& operator=(const fan_in&) = delete;

  ~fan_in() {
    if (promise_.pending())
      promise_.deliver(on_abandon_);
  }

  Result& result() noexcept { return result_; }

  /// Counts one answer in; delivers when it was the last.
  void arrive() {
    if (--remaining_ == 0 && promise_.pending())
      promise_.deliver(std::move(result_));
  }

  /// Delivers `err` instead of the result (later answers change nothing).
  void fail(caf::error err) {
    if (promise_.pending())
      promise_.deliver(std::move(err));
  }

private:
  caf::typed_response_promise<Result> promise_;
  Result result_;
  std::size_t remaining_;
  caf::error on_abandon_;
};

template <class Result>
std::shared_ptr<fan_in<Result>> make_fan_in(caf::typed_response_promise<Result> promise,
                                            Result initial, std::size_t remaining,
                                            caf::error on_abandon) {
  return std::make_shared<fan_in<Result>>(std::move(promise), std::move(initial), remaining,
                                          std::move(on_abandon));
}

} // namespace taskactors::detail
