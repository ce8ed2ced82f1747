// libFuzzer target: the frame decoder and the payload decoders, fed arbitrary bytes in two
// chunks. Nothing they are given may crash them, hang them or make them allocate without bound.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "wire/wire.hpp"

using namespace taskactors::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  auto bytes = reinterpret_cast<const char*>(data);
  std::size_t split = size > 0 ? data[0] % (size + 1) : 0;
  decoder d{1u << 20};
  std::vector<frame> frames;
  if (d.feed(bytes, split, frames))
    d.feed(bytes + split, size - split, frames);
  (void)d.describe();
  for (auto& f : frames) {
    switch (f.kind) {
    case frame_kind::hello:
      (void)decode_hello(f.payload);
      break;
    case frame_kind::request:
      (void)decode_request(f.payload);
      break;
    case frame_kind::error:
      (void)decode_failure(f.payload);
      break;
    case frame_kind::heartbeat:
      (void)decode_heartbeat(f.payload);
      break;
    case frame_kind::result:
      break;
    }
  }
  return 0;
}
