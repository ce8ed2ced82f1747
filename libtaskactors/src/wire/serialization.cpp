#include "taskactors/serialization.hpp"

#include <cstdlib>
#include <memory>

#include <cxxabi.h>

#include <caf/sec.hpp>

namespace taskactors {

bounded_deserializer::bounded_deserializer(const char* data, std::size_t size)
    : caf::deserializer(nullptr), inner_(nullptr, data, size) {}

caf::error bounded_deserializer::begin_object(uint16_t& typenr, std::string& name) {
  return inner_.begin_object(typenr, name);
}

caf::error bounded_deserializer::end_object() {
  return inner_.end_object();
}

caf::error bounded_deserializer::begin_sequence(size_t& num) {
  if (auto err = inner_.begin_sequence(num))
    return err;
  if (num > inner_.remaining())
    return caf::sec::end_of_stream; // announces more elements than bytes are left
  return {};
}

caf::error bounded_deserializer::end_sequence() {
  return inner_.end_sequence();
}

caf::error bounded_deserializer::apply_raw(size_t num_bytes, void* data) {
  return inner_.apply_raw(num_bytes, data);
}

caf::error bounded_deserializer::apply_impl(int8_t& x) {
  return inner_(x);
}

caf::error bounded_deserializer::apply_impl(uint8_t& x) {
  return inner_(x);
}

caf::error bounded_deserializer::apply_impl(int16_t& x) {
  return inner_(x);
}

caf::error bounded_deserializer::apply_impl(uint16_t& x) {
  return inner_(x);
}

caf::error bounded_deserializer::apply_impl(int32_t& x) {
  return inner_(x);
}

caf::error bounded_deserializer::apply_impl(uint32_t& x) {
  return inner_(x);
}

caf::error bounded_deserializer::apply_impl(int64_t& x) {
  return inner_(x);
}

caf::error bounded_deserializer::apply_impl(uint64_t& x) {
  return inner_(x);
}

caf::error bounded_deserializer::apply_impl(float& x) {
  return inner_(x);
}

caf::error bounded_deserializer::apply_impl(double& x) {
  return inner_(x);
}

caf::error bounded_deserializer::apply_impl(long double& x) {
  return inner_(x);
}

caf::error bounded_deserializer::apply_impl(std::string& x) {
  return inner_(x);
}

caf::error bounded_deserializer::apply_impl(std::u16string& x) {
  return inner_(x);
}

caf::error bounded_deserializer::apply_impl(std::u32string& x) {
  return inner_(x);
}

std::string detail::demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name{
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free};
  std::string out = status == 0 && name ? name.get() : mangled;
  // The standard string's full name says nothing more to a reader.
  static constexpr std::string_view long_string =
      "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >";
  for (auto at = out.find(long_string); at != std::string::npos; at = out.find(long_string))
    out.replace(at, long_string.size(), "std::string");
  return out;
}

} // namespace taskactors
