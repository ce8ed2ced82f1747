// Work-arounds for toml++ 3.3 (Debian 12), found by the configuration fuzzer.
//
// 1. Its `is_non_ascii_horizontal_whitespace` reaches `TOML_UNREACHABLE` (undefined behaviour)
// for the code points U+00A1..U+0499, U+2C5E..U+2FFF, U+3001..U+3057 and U+FB26..U+FEFE: its
// generated table is wrong for them. The parser asks that question only where whitespace may
// stand:
//   - outside strings and comments: between tokens, after a key, after a value;
//   - on every character of a value that starts with a digit or a sign, up to the next space,
//     tab, line break, ']', '}', ',' or '#', quotes included (it scans such a value ahead to
//     learn its type), and past the space of a date followed by a digit;
//   - in a multi-line basic string, on the character after a backslash and, after a
//     line-ending backslash, on the characters up to the first that is not whitespace.
// Comments and other string contents are never asked about. So such a character is refused in
// those places only, and passed on anywhere else. Where this scan and toml++ could take a quote
// differently (`a"b"`, `"a""b"`, `true"b"`), toml++ stops at the quote with a syntax error
// before it looks further.
//
// 2. Its assertions (`TOML_ASSERT_ASSUME`: an abort in a debug build, undefined behaviour with
// NDEBUG) fail on some malformed input:
//   - a table header whose `[` (or `[[`) is not followed by a key, a quote or `]` (`[=]`,
//     `[#]`), in `parse_key`; any `[` that starts a line, where a header stands, is checked;
//   - a date, a space, one digit and a value terminator (`1979-05-27 0`), in `parse_value`;
//   - a date and a 'T' not followed by a digit (`1979-05-27Tx7:00`), in `parse_time`;
//   - a value it scans ahead (see above) that is longer than its 128 characters of history,
//     in `go_back`; no valid value is that long, so more than 120 are refused;
//   - `}` where an array expects a value (`[}`, `[1, }`), in `parse_value`; a `}` after `[` or
//     `,` (spaces, line breaks and comments aside) is refused.
//
// The text must also be valid UTF-8, so that the code points seen here are the ones toml++
// decodes.

#include <array>
#include <cstdint>
#include <utility>

#include <fmt/format.h>

#include "config/config_internal.hpp"

namespace taskactors::detail {

namespace {

constexpr std::pair<char32_t, char32_t> unsafe_ranges[] = {
    {0xA1, 0x499}, {0x2C5E, 0x2FFF}, {0x3001, 0x3057}, {0xFB26, 0xFEFE}};

bool unsafe(char32_t cp) {
  for (auto [low, high] : unsafe_ranges)
    if (cp >= low && cp <= high)
      return true;
  return false;
}

struct decoded {
  char32_t cp = 0;
  std::size_t size = 0; // 0: not valid UTF-8
};

// One UTF-8 sequence, strictly (RFC 3629): no overlong forms, no surrogates, at most U+10FFFF.
decoded decode(std::string_view text, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  auto first = byte(i);
  if (first < 0x80)
    return {first, 1};
  std::size_t size = 0;
  char32_t cp = 0;
  char32_t least = 0;
  if (first >= 0xC2 && first <= 0xDF) {
    size = 2, cp = first & 0x1Fu, least = 0x80;
  } else if (first >= 0xE0 && first <= 0xEF) {
    size = 3, cp = first & 0x0Fu, least = 0x800;
  } else if (first >= 0xF0 && first <= 0xF4) {
    size = 4, cp = first & 0x07u, least = 0x10000;
  } else {
    return {};
  }
  if (text.size() - i < size)
    return {};
  for (std::size_t k = 1; k < size; ++k) {
    if ((byte(i + k) & 0xC0u) != 0x80u)
      return {};
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  if (cp < least || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return {};
  return {cp, size};
}

bool digit(char32_t c) {
  return c >= '0' && c <= '9';
}

bool bare_key_character(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || digit(c) || c == '_' || c == '-';
}

// toml++'s horizontal whitespace (which it can tell for these).
bool horizontal_whitespace(char32_t c) {
  return c == ' ' || c == '\t' || c == 0xA0 || c == 0x1680 || c == 0x180E ||
         (c >= 0x2000 && c <= 0x200B) || c == 0x202F || c == 0x205F || c == 0x2060 || c == 0x3000 ||
         c == 0xFEFF;
}

// What ends a value for toml++: its ASCII whitespace, ']', '}', ',' and '#'. (Its non-ASCII
// whitespace ends one too; scanning on past it only checks more.)
bool value_terminator(char32_t c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || c == ']' || c == '}' || c == ',' || c == '#';
}

enum class state { outside, comment, basic, literal, multi_basic, multi_literal };

// Outside strings: a bare key (or true, false, inf, nan), or a value toml++ scans ahead.
enum class word { none, bare, scanned };

class scanner {
public:
  explicit scanner(std::string_view text) : text_(text) {}

  std::optional<unreadable_text> run() {
    for (i_ = 0; i_ < text_.size();) {
      auto d = decode(text_, i_);
      if (d.size == 0)
        return unreadable_text{
            line_, fmt::format("invalid UTF-8 (byte 0x{:02X} at column {})",
                               static_cast<unsigned>(static_cast<unsigned char>(text_[i_])),
                               i_ - line_begin_ + 1)};
      auto at = i_;
      i_ += d.size;
      if (!step(d.cp))
        return unreadable_text{line_, std::move(why_)};
      if (d.cp == '\n') {
        ++line_;
        line_begin_ = at + 1;
      }
    }
    return std::nullopt;
  }

private:
  // The byte at `i_ + k`, or 0 past the end.
  char peek(std::size_t k = 0) const { return i_ + k < text_.size() ? text_[i_ + k] : '\0'; }

  // Skips the delimiters that follow the one just read; returns how many there were in all.
  std::size_t delimiters(char delimiter) {
    std::size_t n = 1;
    while (peek() == delimiter) {
      ++n;
      ++i_;
    }
    return n;
  }

  // Returns false, with why in `why_`.
  bool refuse(std::string why) {
    why_ = std::move(why);
    return false;
  }

  // Returns false if `c` is a character toml++ cannot tell whitespace from.
  bool checked(char32_t c) {
    if (!unsafe(c))
      return true;
    return refuse(fmt::format("character U+{:04X} cannot be read safely here by this platform's "
                              "TOML parser (toml++ 3.3): it may stand in strings and comments "
                              "(see docs/configuration.md)",
                              static_cast<uint32_t>(c)));
  }

  // Reads `c`; returns false where toml++ would misread it.
  bool step(char32_t c) {
    switch (state_) {
    case state::outside:
      return outside(c);
    case state::comment:
      if (c == '\n') {
        state_ = state::outside;
        line_start_ = true;
      }
      return true;
    case state::basic:
      if (escaped_)
        escaped_ = false;
      else if (c == '\\')
        escaped_ = true;
      else if (c == '"' || c == '\n')
        state_ = state::outside;
      return true;
    case state::literal:
      if (c == '\'' || c == '\n')
        state_ = state::outside;
      return true;
    case state::multi_basic:
      return multi_basic(c);
    case state::multi_literal:
      if (c == '\'' && multi_end('\''))
        state_ = state::outside;
      return true;
    }
    return true;
  }

  // A closing delimiter of a multi-line string: three to five in a row (the fourth and fifth
  // belong to the string); fewer are part of it.
  bool multi_end(char delimiter) {
    auto begin = i_;
    auto n = delimiters(delimiter);
    if (n < 3)
      return false;
    i_ = begin + std::min<std::size_t>(n, 5) - 1;
    return true;
  }

  bool multi_basic(char32_t c) {
    if (escaped_) {
      escaped_ = false;
      // toml++ asks whether the escaped character is whitespace (a line-ending backslash).
      if (!checked(c))
        return false;
      skipping_ = horizontal_whitespace(c) || c == '\n' || c == '\r';
      return true;
    }
    if (c == '"') {
      skipping_ = false;
      if (multi_end('"'))
        state_ = state::outside;
      return true;
    }
    if (c == '\\') {
      escaped_ = true;
      skipping_ = false;
      return true;
    }
    if (c == '\n' || c == '\r')
      return true;
    if (skipping_) {
      // After a line-ending backslash, toml++ asks until it finds something else.
      if (!checked(c))
        return false;
      skipping_ = horizontal_whitespace(c);
    }
    return true;
  }

  bool outside(char32_t c) {
    auto line_start = std::exchange(line_start_, c == '\n');
    if (line_start && (c == ' ' || c == '\t' || (c == 0xFEFF && i_ == 3)))
      line_start_ = true; // indentation, or the byte order mark that toml++ skips
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '#') {
      auto before = std::exchange(last_, c);
      if (c == '}' && (before == '[' || before == ','))
        return refuse("'}' where an array's value should be (this platform's TOML parser, "
                      "toml++ 3.3, fails on it)");
    }
    if (word_ == word::scanned) {
      auto spaced = date_then_time(c);
      if (spaced && i_ + 1 < text_.size() &&
          (value_terminator(static_cast<unsigned char>(peek(1))) ||
           static_cast<unsigned char>(peek(1)) >= 0x80))
        return refuse("a date, a space and one digit (this platform's TOML parser, toml++ 3.3, "
                      "fails on it)");
      if (!value_terminator(c) || spaced) {
        if (c != '_' && scanned_ < scanned_chars_.size())
          scanned_chars_[scanned_] = c;
        scanned_ += c != '_' ? 1 : 0;
        if (++scanned_length_ > 120)
          return refuse("a value longer than 120 characters (this platform's TOML parser, "
                        "toml++ 3.3, reads 127 at most)");
        if (scanned_ == 12 && date_then_t() && !digit(scanned_chars_[11]))
          return refuse(no_time);
        return checked(c);
      }
      word_ = word::none;
      if (scanned_ == 11 && date_then_t())
        return refuse(no_time);
    } else if (word_ == word::bare) {
      if (bare_key_character(c))
        return true;
      word_ = word::none;
    }
    switch (c) {
    case '#':
      state_ = state::comment;
      return true;
    case '"':
      if (peek() == '"' && peek(1) == '"') {
        i_ += 2;
        state_ = state::multi_basic;
        escaped_ = skipping_ = false;
      } else {
        state_ = state::basic;
        escaped_ = false;
      }
      return true;
    case '\'':
      if (peek() == '\'' && peek(1) == '\'') {
        i_ += 2;
        state_ = state::multi_literal;
      } else {
        state_ = state::literal;
      }
      return true;
    case '[':
      if (line_start && !header_key())
        return refuse("a table header needs a key after '[' (this platform's TOML parser, "
                      "toml++ 3.3, fails on anything else)");
      break;
    default:
      break;
    }
    if (digit(c) || c == '+' || c == '-') {
      word_ = word::scanned;
      scanned_chars_[0] = c;
      scanned_ = 1;
      scanned_length_ = 1;
      spaced_ = false;
    } else if (bare_key_character(c)) {
      word_ = word::bare;
    }
    return checked(c);
  }

  // After a `[` that starts a line: whether what follows is something toml++ can read there, a
  // key, a quoted key or `]` (or the end), after spaces, tabs and a second `[`.
  bool header_key() const {
    auto k = std::size_t{0};
    auto blanks = [&] {
      while (peek(k) == ' ' || peek(k) == '\t')
        ++k;
    };
    blanks();
    if (k == 0 && peek(k) == '[') {
      ++k;
      blanks();
    }
    if (i_ + k >= text_.size())
      return true;
    auto next = static_cast<unsigned char>(peek(k));
    return bare_key_character(next) || next == '"' || next == '\'' || next == ']';
  }

  // Whether the scanned value is a date and a 'T' (what toml++ parses as a date and a time).
  bool date_then_t() const {
    return scanned_chars_[4] == '-' && scanned_chars_[7] == '-' &&
           (scanned_chars_[10] == 'T' || scanned_chars_[10] == 't');
  }

  static constexpr const char* no_time =
      "a date and 'T' without a time (this platform's TOML parser, toml++ 3.3, fails on it)";

  // toml++ reads on past the space of `1979-05-27 07:32:00` when a digit follows. (It then
  // asserts that a second digit follows: `1979-05-27 0 ` fails.)
  bool date_then_time(char32_t c) {
    if (c != ' ' || spaced_ || scanned_ != 10 || scanned_chars_[4] != '-' ||
        scanned_chars_[7] != '-' || !digit(static_cast<unsigned char>(peek())))
      return false;
    spaced_ = true;
    return true;
  }

  std::string_view text_;
  std::size_t i_ = 0;
  std::size_t line_ = 1;
  std::size_t line_begin_ = 0; // where line `line_` begins
  char32_t last_ = '\n';       // outside strings, the last character but whitespace and comments
  bool line_start_ = true;     // outside strings, nothing but indentation since the line began
  std::string why_;
  state state_ = state::outside;
  bool escaped_ = false;  // in a basic string, after a backslash
  bool skipping_ = false; // in a multi-line basic string, after a line-ending backslash
  word word_ = word::none;
  std::array<char32_t, 12> scanned_chars_{};
  std::size_t scanned_ = 0;        // characters of the scanned value, underscores left out
  std::size_t scanned_length_ = 0; // characters of the scanned value
  bool spaced_ = false;            // the scanned value went past a date's space
};

} // namespace

std::optional<unreadable_text> check_toml_text(std::string_view text) {
  return scanner{text}.run();
}

} // namespace taskactors::detail
