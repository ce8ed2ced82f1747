#pragma once

#include <concepts>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "taskactors/export.hpp"

namespace taskactors {

namespace detail {

/// Returns the demangled name of `type`.
TASKACTORS_API std::string type_name(const std::type_info& type);

class value_holder_base {
public:
  virtual ~value_holder_base() = default;
  virtual const std::type_info& type() const noexcept = 0;
  virtual const void* get() const noexcept = 0;
  virtual std::string describe() const = 0;
};

template <class T>
concept ostreamable = requires(std::ostream& out, const T& x) {
  { out << x } -> std::convertible_to<std::ostream&>;
};

template <class T>
class value_holder final : public value_holder_base {
public:
  template <class... Ts>
  explicit value_holder(Ts&&... xs) : value_(std::forward<Ts>(xs)...) {}

  const std::type_info& type() const noexcept override { return typeid(T); }

  const void* get() const noexcept override { return &value_; }

  std::string describe() const override {
    if constexpr (std::is_same_v<T, std::string>) {
      return value_;
    } else if constexpr (std::is_same_v<T, bool>) {
      return value_ ? "true" : "false";
    } else if constexpr (ostreamable<T>) {
      std::ostringstream out;
      out << value_;
      return std::move(out).str();
    } else {
      std::string result{"<"};
      result += type_name(typeid(T));
      result += '>';
      return result;
    }
  }

private:
  T value_;
};

} // namespace detail

/// The result value of a task: any C++ type, type-erased and immutable. Copies share the value.
/// An empty `task_value` stands for "no value" (a task that completed without one).
class task_value {
public:
  task_value() noexcept = default;

  /// Wraps `x`. Move-only types are fine: the value is never copied.
  template <class T>
  static task_value make(T&& x) {
    using value_type = std::decay_t<T>;
    task_value result;
    result.ptr_ = std::make_shared<const detail::value_holder<value_type>>(std::forward<T>(x));
    return result;
  }

  /// Returns whether a value is present.
  bool has_value() const noexcept { return ptr_ != nullptr; }

  explicit operator bool() const noexcept { return has_value(); }

  /// Returns the type of the held value, or `typeid(void)` when empty.
  const std::type_info& type() const noexcept { return ptr_ ? ptr_->type() : typeid(void); }

  /// Returns whether the held value has type `T`.
  template <class T>
  bool holds() const noexcept {
    return ptr_ && ptr_->type() == typeid(T);
  }

  /// Returns a pointer to the value if it has type `T`, `nullptr` otherwise.
  template <class T>
  const T* get_if() const noexcept {
    return holds<T>() ? static_cast<const T*>(ptr_->get()) : nullptr;
  }

  /// Returns a human-readable rendering: the value if it is printable (`operator<<`), its type
  /// name in angle brackets otherwise, and `"<none>"` when empty.
  std::string to_string() const { return ptr_ ? ptr_->describe() : std::string{"<none>"}; }

  /// Returns the demangled name of the held type (`"void"` when empty).
  std::string type_name() const { return detail::type_name(type()); }

private:
  std::shared_ptr<const detail::value_holder_base> ptr_;
};

} // namespace taskactors
