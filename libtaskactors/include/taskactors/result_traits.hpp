#pragma once

#include <type_traits>

#include <caf/expected.hpp>

namespace taskactors::detail {

/// Whether `T` is a `caf::expected<...>`.
template <class T>
struct is_expected : std::false_type {};

template <class T>
struct is_expected<caf::expected<T>> : std::true_type {};

/// `T` for `caf::expected<T>`, `T` itself otherwise.
template <class T>
struct unwrap_expected {
  using type = T;
};

template <class T>
struct unwrap_expected<caf::expected<T>> {
  using type = T;
};

} // namespace taskactors::detail
