// libFuzzer target: the configuration loader, fed arbitrary text as a TOML file. Whatever it is
// given, it answers with a configuration or an error naming what was wrong: it never crashes,
// hangs or throws.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "taskactors/config_loader.hpp"
#include "taskactors/log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  if (text.find("file:") != std::string_view::npos)
    return 0; // a file sink would create files wherever the input says
  taskactors::manager_config defaults;
  defaults.log = taskactors::make_null_sink(); // keep log.sink from opening files
  auto cfg = taskactors::load_config_text(text, "fuzz.toml", defaults);
  if (!cfg && !cfg.error())
    __builtin_trap(); // an error must say something
  return 0;
}
