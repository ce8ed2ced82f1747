#include "wire/wire.hpp"

#include <cstring>

#include <fmt/format.h>

#include "taskactors/errc.hpp"
#include "taskactors/serialization.hpp"

namespace taskactors::wire {

std::string_view to_string(frame_kind x) noexcept {
  switch (x) {
  case frame_kind::hello:
    return "hello";
  case frame_kind::request:
    return "request";
  case frame_kind::result:
    return "result";
  case frame_kind::error:
    return "error";
  case frame_kind::heartbeat:
    return "heartbeat";
  }
  return "unknown";
}

std::string_view to_string(decode_error x) noexcept {
  switch (x) {
  case decode_error::none:
    return "none";
  case decode_error::bad_magic:
    return "bad_magic";
  case decode_error::bad_version:
    return "bad_version";
  case decode_error::unknown_kind:
    return "unknown_kind";
  case decode_error::oversized:
    return "oversized";
  }
  return "unknown";
}

namespace {

void put_le(std::vector<char>& out, uint64_t x, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((x >> (8 * i)) & 0xFF));
}

uint64_t get_le(const char* p, std::size_t bytes) {
  uint64_t x = 0;
  for (std::size_t i = 0; i < bytes; ++i)
    x |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return x;
}

bool known(uint8_t kind) {
  return kind >= static_cast<uint8_t>(frame_kind::hello) &&
         kind <= static_cast<uint8_t>(frame_kind::heartbeat);
}

} // namespace

void encode(std::vector<char>& out, frame_kind kind, uint64_t correlation,
            const std::vector<char>& payload) {
  out.reserve(out.size() + header_size + payload.size());
  out.push_back(static_cast<char>(magic0));
  out.push_back(static_cast<char>(magic1));
  out.push_back(static_cast<char>(version));
  out.push_back(static_cast<char>(kind));
  put_le(out, payload.size(), 4);
  put_le(out, correlation, 8);
  out.insert(out.end(), payload.begin(), payload.end());
}

bool decoder::feed(const char* data, std::size_t n, std::vector<frame>& out) {
  if (failed())
    return false;
  buf_.insert(buf_.end(), data, data + n);
  std::size_t pos = 0;
  while (buf_.size() - pos >= header_size) {
    const char* h = buf_.data() + pos;
    if (static_cast<uint8_t>(h[0]) != magic0 || static_cast<uint8_t>(h[1]) != magic1) {
      error_ = decode_error::bad_magic;
      break;
    }
    auto ver = static_cast<uint8_t>(h[2]);
    if (ver != version) {
      error_ = decode_error::bad_version;
      detail_ = ver;
      break;
    }
    auto kind = static_cast<uint8_t>(h[3]);
    if (!known(kind)) {
      error_ = decode_error::unknown_kind;
      detail_ = kind;
      break;
    }
    auto length = get_le(h + 4, 4);
    if (length > max_payload_) {
      error_ = decode_error::oversized;
      detail_ = length;
      break;
    }
    if (buf_.size() - pos < header_size + length)
      break; // wait for the rest of the payload
    frame f;
    f.version = ver;
    f.kind = static_cast<frame_kind>(kind);
    f.correlation = get_le(h + 8, 8);
    f.payload.assign(h + header_size, h + header_size + length);
    out.push_back(std::move(f));
    pos += header_size + length;
  }
  if (failed()) {
    buf_.clear();
    buf_.shrink_to_fit();
    return false;
  }
  buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos));
  return true;
}

std::string decoder::describe() const {
  switch (error_) {
  case decode_error::none:
    return "no error";
  case decode_error::bad_magic:
    return "a frame does not start with the protocol's magic bytes";
  case decode_error::bad_version:
    return fmt::format("protocol version {}, expected {}", detail_, version);
  case decode_error::unknown_kind:
    return fmt::format("unknown frame kind {}", detail_);
  case decode_error::oversized:
    return fmt::format("a frame of {} bytes exceeds the limit of {}", detail_, max_payload_);
  }
  return "unknown error";
}

namespace {

template <class... Ts>
std::vector<char> serialize(Ts&... xs) {
  auto bytes = to_bytes(xs...);
  return bytes ? std::move(*bytes) : std::vector<char>{};
}

template <class... Ts>
caf::error deserialize(const std::vector<char>& payload, Ts&... xs) {
  if (auto err = from_bytes(payload, xs...))
    return caf::make_error(errc::protocol_error, "malformed payload: " + render(err));
  return {};
}

} // namespace

std::vector<char> encode_payload(const hello& x) {
  auto copy = x;
  return serialize(copy.pid, copy.jobs);
}

std::vector<char> encode_payload(const request& x) {
  auto job = x.job;
  auto args = x.args;
  return serialize(job, args);
}

std::vector<char> encode_payload(const failure& x) {
  auto code = static_cast<uint8_t>(x.code);
  auto message = x.message;
  return serialize(code, message);
}

std::vector<char> encode_heartbeat(uint64_t resident_bytes) {
  return serialize(resident_bytes);
}

caf::expected<hello> decode_hello(const std::vector<char>& payload) {
  hello x;
  if (auto err = deserialize(payload, x.pid, x.jobs))
    return err;
  return x;
}

caf::expected<request> decode_request(const std::vector<char>& payload) {
  request x;
  if (auto err = deserialize(payload, x.job, x.args))
    return err;
  return x;
}

caf::expected<failure> decode_failure(const std::vector<char>& payload) {
  uint8_t code = 0;
  failure x;
  if (auto err = deserialize(payload, code, x.message))
    return err;
  if (code < static_cast<uint8_t>(job_error::unknown_job) ||
      code > static_cast<uint8_t>(job_error::bad_result))
    return caf::make_error(errc::protocol_error, fmt::format("unknown job error code {}", code));
  x.code = static_cast<job_error>(code);
  return x;
}

caf::expected<uint64_t> decode_heartbeat(const std::vector<char>& payload) {
  uint64_t rss = 0;
  if (auto err = deserialize(payload, rss))
    return err;
  return rss;
}

} // namespace taskactors::wire
