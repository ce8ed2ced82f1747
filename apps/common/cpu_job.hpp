#pragma once

#include <cstdint>

namespace apps {

/// A CPU-bound loop: `iterations` rounds of integer mixing (about 4 ns per round on a current
/// core). The worker's `cpu` job and the benchmark's serial baseline run this same code.
inline uint64_t cpu_job(uint64_t iterations) {
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (uint64_t i = 0; i < iterations; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x += i;
  }
  return x;
}

} // namespace apps
