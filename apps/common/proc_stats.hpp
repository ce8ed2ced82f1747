// What the apps read about a process from /proc.

#pragma once

#include <cstdio>

#include <unistd.h>

namespace apps {

// The resident set of this process, in bytes (0 where /proc cannot be read).
inline double resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr)
    return 0;
  long pages = 0;
  long resident = 0;
  auto fields = std::fscanf(f, "%ld %ld", &pages, &resident);
  std::fclose(f);
  if (fields != 2)
    return 0;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

} // namespace apps
