#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace taskactors::wire {

// The protocol between the host and its worker processes: length-prefixed frames over the
// worker's stdin (host to worker) and stdout (worker to host). docs/wire-protocol.md describes it
// byte by byte.

/// The protocol version this build speaks.
inline constexpr uint8_t version = 1;

/// The two bytes every frame starts with: 'T', 'A'.
inline constexpr uint8_t magic0 = 0x54;
inline constexpr uint8_t magic1 = 0x41;

/// Size of the frame header in bytes.
inline constexpr std::size_t header_size = 16;

/// The default limit on a frame's payload.
inline constexpr uint32_t default_max_payload = 64u * 1024u * 1024u;

enum class frame_kind : uint8_t {
  /// Worker to host, first frame: pid and job names.
  hello = 1,
  /// Host to worker: run a job (correlation id = request id).
  request = 2,
  /// Worker to host: a job's result (correlation id of its request).
  result = 3,
  /// Worker to host: a job failed (correlation id of its request).
  error = 4,
  /// Worker to host, periodically: still alive, with its resident memory.
  heartbeat = 5,
};

/// Returns the name of `x`, e.g. `"request"`, or `"unknown"`.
std::string_view to_string(frame_kind x) noexcept;

/// Why a worker reports a job as failed (the first byte of an error frame's payload).
enum class job_error : uint8_t {
  /// The worker has no job of that name.
  unknown_job = 1,
  /// The arguments do not deserialize as the job's parameters.
  bad_args = 2,
  /// The job threw an exception.
  job_exception = 3,
  /// The job's result could not be serialized.
  bad_result = 4,
};

struct frame {
  uint8_t version = wire::version;
  frame_kind kind = frame_kind::heartbeat;
  uint64_t correlation = 0;
  std::vector<char> payload;
};

/// Appends the encoding of one frame to `out`.
void encode(std::vector<char>& out, frame_kind kind, uint64_t correlation,
            const std::vector<char>& payload);

/// Why the decoder rejected its input.
enum class decode_error : uint8_t {
  none,
  bad_magic,
  bad_version,
  unknown_kind,
  oversized,
};

std::string_view to_string(decode_error x) noexcept;

/// Splits a byte stream into frames. Feed it whatever arrives, in order; it returns every frame
/// completed so far. It never trusts the input: a wrong magic, another protocol version, an
/// unknown kind or a length above the limit stops it for good (`failed()`), before any payload
/// is allocated. Pure: no I/O, no allocation beyond the frames it returns and one partial frame.
class decoder {
public:
  explicit decoder(uint32_t max_payload = default_max_payload) : max_payload_(max_payload) {}

  /// Consumes `n` bytes and appends complete frames to `out`. Returns false once failed.
  bool feed(const char* data, std::size_t n, std::vector<frame>& out);

  bool failed() const noexcept { return error_ != decode_error::none; }

  decode_error error() const noexcept { return error_; }

  /// For `bad_version`: the version found; for `oversized`: the length found.
  uint64_t detail() const noexcept { return detail_; }

  /// A description of the failure, e.g. "frame of 80000000 bytes exceeds the 67108864 limit".
  std::string describe() const;

  /// Bytes of an incomplete frame held back.
  std::size_t buffered() const noexcept { return buf_.size(); }

private:
  uint32_t max_payload_;
  std::vector<char> buf_;
  decode_error error_ = decode_error::none;
  uint64_t detail_ = 0;
};

// -- payloads (CAF's binary serializer) ------------------------------------------------------

struct hello {
  uint32_t pid = 0;
  std::vector<std::string> jobs;
};

struct request {
  std::string job;
  std::vector<char> args;
};

struct failure {
  job_error code = job_error::job_exception;
  std::string message;
};

std::vector<char> encode_payload(const hello& x);
std::vector<char> encode_payload(const request& x);
std::vector<char> encode_payload(const failure& x);
std::vector<char> encode_heartbeat(uint64_t resident_bytes);

/// Each fails on a truncated payload or trailing bytes.
caf::expected<hello> decode_hello(const std::vector<char>& payload);
caf::expected<request> decode_request(const std::vector<char>& payload);
caf::expected<failure> decode_failure(const std::vector<char>& payload);
caf::expected<uint64_t> decode_heartbeat(const std::vector<char>& payload);

} // namespace taskactors::wire
