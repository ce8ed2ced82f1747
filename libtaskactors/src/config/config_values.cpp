// Typed configuration values: integers, bytes, durations, strings, lists and choices, from a
// TOML node or from text (the environment, --set).

#include <charconv>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include "config/config_internal.hpp"
#include "taskactors/errc.hpp"
#include "taskactors/task_info.hpp"

namespace taskactors::detail {

std::string raw_value::shown() const {
  if (node == nullptr)
    return fmt::format("'{}'", text);
  std::ostringstream out;
  node->visit([&](auto&& x) { out << x; });
  return out.str();
}

caf::error config_error(std::string text) {
  return caf::make_error(errc::invalid_config, std::move(text));
}

std::optional<uint64_t> parse_uint(std::string_view text) {
  uint64_t x = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
    return std::nullopt;
  return x;
}

problem get_uint(const raw_value& v, uint64_t& out) {
  if (v.node != nullptr) {
    auto x = v.node->value_exact<int64_t>();
    if (!x)
      return "expected a non-negative integer";
    if (*x < 0)
      return "must not be negative";
    out = static_cast<uint64_t>(*x);
    return {};
  }
  auto x = parse_uint(v.text);
  if (!x)
    return "expected a non-negative integer";
  out = *x;
  return {};
}

problem get_bytes(const raw_value& v, uint64_t& out) {
  if (v.node != nullptr && v.node->is_integer())
    return get_uint(v, out);
  std::string text = v.node != nullptr ? v.node->value<std::string>().value_or("") : v.text;
  static const std::pair<std::string_view, uint64_t> units[] = {
      {"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}, {"B", 1}};
  for (auto& [suffix, scale] : units)
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      auto x = parse_uint(std::string_view{text}.substr(0, text.size() - suffix.size()));
      if (!x)
        break;
      if (*x > UINT64_MAX / scale)
        return "is too large";
      out = *x * scale;
      return {};
    }
  if (auto x = parse_uint(text)) {
    out = *x;
    return {};
  }
  return "expected bytes, such as 67108864 or \"64MiB\" (units B, KiB, MiB, GiB)";
}

problem get_duration(const raw_value& v, caf::timespan& out, none_duration none) {
  std::string text;
  if (v.node != nullptr) {
    auto s = v.node->value_exact<std::string>();
    if (!s)
      return "expected a duration string such as \"250ms\" or \"2s\"";
    text = *s;
  } else {
    text = v.text;
  }
  if (text == "none") {
    if (none != none_duration::allowed)
      return "cannot be \"none\" here";
    out = no_timeout;
    return {};
  }
  static const std::pair<std::string_view, int64_t> units[] = {{"ns", 1},
                                                               {"us", 1'000},
                                                               {"ms", 1'000'000},
                                                               {"min", 60'000'000'000},
                                                               {"s", 1'000'000'000},
                                                               {"h", 3'600'000'000'000}};
  for (auto& [suffix, scale] : units)
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      auto x = parse_uint(std::string_view{text}.substr(0, text.size() - suffix.size()));
      if (!x)
        break;
      if (*x > static_cast<uint64_t>(INT64_MAX / scale))
        return "is too large";
      out = caf::timespan{static_cast<int64_t>(*x) * scale};
      return {};
    }
  return "expected a duration such as \"250ms\" or \"2s\" (units ns, us, ms, s, min, h)";
}

problem get_string(const raw_value& v, std::string& out) {
  if (v.node != nullptr) {
    auto s = v.node->value_exact<std::string>();
    if (!s)
      return "expected a string";
    out = *s;
    return {};
  }
  out = v.text;
  return {};
}

problem get_list(const raw_value& v, std::vector<std::string>& out) {
  out.clear();
  if (v.node != nullptr) {
    auto arr = v.node->as_array();
    if (arr == nullptr)
      return "expected an array of strings";
    for (auto& item : *arr) {
      auto s = item.value_exact<std::string>();
      if (!s)
        return "expected an array of strings";
      out.push_back(*s);
    }
    return {};
  }
  std::string_view text = v.text;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    if (!item.empty())
      out.emplace_back(item);
    if (comma == std::string_view::npos)
      break;
    text.remove_prefix(comma + 1);
  }
  return {};
}

namespace {

// "\"a\", \"b\" or \"c\""
std::string one_of(const std::vector<std::string_view>& names) {
  std::string list;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0)
      list += i + 1 == names.size() ? " or " : ", ";
    list += fmt::format("\"{}\"", names[i]);
  }
  return list;
}

} // namespace

problem get_choice(const raw_value& v, std::initializer_list<std::string_view> accepted,
                   std::string& out) {
  std::string text;
  if (auto why = get_string(v, text))
    return why;
  for (auto name : accepted)
    if (text == name) {
      out = std::move(text);
      return {};
    }
  return fmt::format("expected {}", one_of(accepted));
}

problem get_log_level(const raw_value& v, log_level& out) {
  std::string text;
  if (auto why = get_string(v, text))
    return why;
  if (auto level = parse_log_level(text)) {
    out = *level;
    return {};
  }
  std::vector<std::string_view> names;
  for (auto i = 0; i <= static_cast<int>(log_level::off); ++i)
    names.push_back(to_string(static_cast<log_level>(i)));
  return fmt::format("expected {}", one_of(names));
}

} // namespace taskactors::detail
