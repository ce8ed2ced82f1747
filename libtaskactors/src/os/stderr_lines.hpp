#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace taskactors::detail {

/// Cuts a worker's stderr into lines for the log, within bounds: no line held is longer than
/// `line_max` bytes (a longer one is passed on in pieces of that size), and at most
/// `lines_per_second` lines pass each second (a token bucket of that depth; 0 means no limit).
/// What does not pass is counted, and the count goes with the next line that does, so that the
/// log says how much it missed. Memory stays within `line_max` whatever the worker writes.
class stderr_lines {
public:
  using clock = std::chrono::steady_clock;

  stderr_lines(std::size_t line_max, std::size_t lines_per_second, clock::time_point now);

  /// Takes the next bytes read; calls `emit(std::string_view line, uint64_t dropped_before)` for
  /// each line that passes (without its newline).
  template <class Emit>
  void feed(std::string_view bytes, clock::time_point now, Emit&& emit) {
    while (!bytes.empty()) {
      auto room = line_max_ - length_;
      auto piece = bytes.substr(0, room);
      auto eol = piece.find('\n');
      if (eol != std::string_view::npos) {
        append(piece.substr(0, eol), now);
        bytes.remove_prefix(eol + 1);
        flush(now, emit);
      } else {
        append(piece, now);
        bytes.remove_prefix(piece.size());
        if (length_ == line_max_)
          flush(now, emit); // a piece at the bound
      }
    }
  }

  /// The stream ended: passes what is left of a last line, and reports what was dropped since
  /// the last line that passed as `emit({}, dropped)`.
  template <class Emit>
  void finish(clock::time_point now, Emit&& emit) {
    if (length_ > 0)
      flush(now, emit);
    if (pending_drops_ > 0) {
      emit(std::string_view{}, pending_drops_);
      pending_drops_ = 0;
    }
  }

  /// Lines (and pieces) dropped so far by the rate limit.
  uint64_t dropped() const noexcept { return dropped_; }

private:
  /// Adds bytes to the current line; its first bytes decide whether it passes.
  void append(std::string_view bytes, clock::time_point now);

  /// Whether the rate limit lets one more line pass at `now`.
  bool admit(clock::time_point now);

  template <class Emit>
  void flush(clock::time_point now, Emit& emit) {
    if (!started_)
      keep_ = admit(now); // an empty line
    if (keep_) {
      emit(std::string_view{partial_}, pending_drops_);
      pending_drops_ = 0;
    } else {
      ++dropped_;
      ++pending_drops_;
    }
    partial_.clear();
    length_ = 0;
    started_ = false;
    keep_ = false;
  }

  std::size_t line_max_;
  double rate_;
  double tokens_;
  clock::time_point last_;
  std::string partial_;    // the current line, if it passes
  std::size_t length_ = 0; // bytes of the current line, kept or not
  bool started_ = false;
  bool keep_ = false;
  uint64_t dropped_ = 0;
  uint64_t pending_drops_ = 0;
};

} // namespace taskactors::detail
