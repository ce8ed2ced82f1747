#pragma once

#include <caf/error.hpp>
#include <caf/sec.hpp>

#include "taskactors/errc.hpp"

namespace taskactors::detail {

/// Maps CAF's transport errors, as the facade's blocking calls see them, to the library's
/// vocabulary.
inline caf::error translate(caf::error err) {
  if (err == caf::sec::request_receiver_down)
    return caf::make_error(errc::not_running, "the manager has stopped");
  return err;
}

} // namespace taskactors::detail
