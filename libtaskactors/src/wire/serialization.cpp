#include "taskactors/serialization.hpp"

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

} // namespace taskactors
