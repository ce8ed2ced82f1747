#pragma once

#include <cstddef>
#include <new>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deserializer.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "taskactors/errc.hpp"
#include "taskactors/export.hpp"

namespace taskactors {

/// Reads CAF's binary format without trusting it: a length prefix may not announce more elements
/// than bytes remain, so a few malicious bytes cannot make it allocate gigabytes. (A sequence of
/// elements that serialize to zero bytes is therefore refused; no job parameter needs one.)
class TASKACTORS_API bounded_deserializer final : public caf::deserializer {
public:
  bounded_deserializer(const char* data, std::size_t size);

  explicit bounded_deserializer(const std::vector<char>& buf)
      : bounded_deserializer(buf.data(), buf.size()) {}

  std::size_t remaining() const noexcept { return inner_.remaining(); }

  caf::error begin_object(uint16_t& typenr, std::string& name) override;
  caf::error end_object() override;
  caf::error begin_sequence(size_t& num) override;
  caf::error end_sequence() override;
  caf::error apply_raw(size_t num_bytes, void* data) override;

protected:
  caf::error apply_impl(int8_t& x) override;
  caf::error apply_impl(uint8_t& x) override;
  caf::error apply_impl(int16_t& x) override;
  caf::error apply_impl(uint16_t& x) override;
  caf::error apply_impl(int32_t& x) override;
  caf::error apply_impl(uint32_t& x) override;
  caf::error apply_impl(int64_t& x) override;
  caf::error apply_impl(uint64_t& x) override;
  caf::error apply_impl(float& x) override;
  caf::error apply_impl(double& x) override;
  caf::error apply_impl(long double& x) override;
  caf::error apply_impl(std::string& x) override;
  caf::error apply_impl(std::u16string& x) override;
  caf::error apply_impl(std::u32string& x) override;

private:
  caf::binary_deserializer inner_;
};

/// Serializes `xs` in CAF's binary format (every type needs an `inspect` overload).
template <class... Ts>
caf::expected<std::vector<char>> to_bytes(Ts&... xs) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  if (auto err = sink(xs...))
    return err;
  return buf;
}

/// Deserializes `xs` from `bytes`, which must hold exactly them. Never throws; a malformed,
/// truncated or oversized input is an `errc::invalid_argument` error.
template <class... Ts>
caf::error from_bytes(const std::vector<char>& bytes, Ts&... xs) {
  try {
    bounded_deserializer source{bytes};
    if (auto err = source(xs...))
      return caf::make_error(errc::invalid_argument, "malformed or truncated data");
    if (source.remaining() != 0)
      return caf::make_error(errc::invalid_argument,
                             std::to_string(source.remaining()) + " unexpected trailing bytes");
    return {};
  } catch (const std::bad_alloc&) {
    return caf::make_error(errc::invalid_argument, "data too large to decode");
  } catch (const std::length_error&) {
    return caf::make_error(errc::invalid_argument, "data too large to decode");
  }
}

namespace detail {

/// The readable name of a type from its `typeid` name (`unsigned long`, `std::vector<int>`).
TASKACTORS_API std::string demangle(const char* mangled);

/// Names a job's parameter types for error messages: `(unsigned long, std::string)`.
template <class... Ts>
std::string type_list_name() {
  std::string out = "(";
  [[maybe_unused]] auto one = [&out]<class T>(std::type_identity<T>) {
    if (out.size() > 1)
      out += ", ";
    if constexpr (std::is_same_v<T, std::string>)
      out += "std::string";
    else
      out += demangle(typeid(T).name());
  };
  (one(std::type_identity<Ts>{}), ...);
  return out + ")";
}

} // namespace detail

} // namespace taskactors
