// Finds, in JSON text fed in pieces of any size, the containers nested deeper than a bound, and
// where each ends, without parsing: it follows only quotes, escapes and brackets. Boost.JSON's
// parser recurses once per level (a body of a million '[' would overflow the stack), and its
// own max_depth would fail a whole list over one element; so what is too deep is cut out of
// the input before the parser sees it. Inline: it sees every byte a pull reads.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace clevertim::sync {

class NestingGuard {
 public:
  explicit NestingGuard(std::size_t max_depth) : max_depth_(max_depth) {}

  // Splits the next piece of input into runs to parse and runs left out, in order:
  //   keep(run)         a run to parse (possibly empty);
  //   cut()             a container too deep begins here: it is left out up to its end;
  //   skipped(bytes)    how many bytes were left out.
  // keep() and cut() return something that tests true to stop (an error), which is returned.
  template <class Keep, class Cut, class Skipped>
  auto feed(std::string_view bytes, Keep keep, Cut cut, Skipped skipped) -> decltype(keep(bytes)) {
    std::size_t from = 0;  // the first byte neither kept nor left out yet
    std::size_t i = 0;
    if (escaped_ && !bytes.empty()) {  // the last piece ended with a backslash: this escaped
      escaped_ = false;
      i = 1;
    }
    for (; i < bytes.size(); ++i) {
      const char c = bytes[i];
      if (!kMarks[static_cast<unsigned char>(c)]) continue;  // most bytes: fast
      if (in_string_) {
        // The byte after a backslash is escaped whatever it is, marked or not: an escaped_ flag
        // cleared only by the next marked byte took the quote closing "a\n" for an escaped one.
        if (c == '\\') {
          if (++i == bytes.size()) escaped_ = true;
        } else if (c == '"') {
          in_string_ = false;
        }
      } else if (c == '"') {
        in_string_ = true;
      } else if (c == '{' || c == '[') {
        if (++depth_ > max_depth_ && cut_at_ == 0) {
          if (auto stop = keep(bytes.substr(from, i - from))) return stop;
          if (auto stop = cut()) return stop;
          cut_at_ = depth_;
          from = i;
        }
      } else if (c == '}' || c == ']') {
        if (depth_ > 0) --depth_;
        if (cut_at_ != 0 && depth_ < cut_at_) {
          cut_at_ = 0;
          skipped(i + 1 - from);
          from = i + 1;
        }
      }
    }
    if (cut_at_ != 0) {
      skipped(bytes.size() - from);
      return {};
    }
    return keep(bytes.substr(from));
  }

 private:
  // The bytes that matter for following the nesting: quotes, escapes, brackets.
  static constexpr std::array<bool, 256> kMarks = [] {
    std::array<bool, 256> marks{};
    for (const unsigned char c : std::string_view("\"\\{}[]")) marks[c] = true;
    return marks;
  }();

  std::size_t max_depth_;
  std::size_t depth_ = 0;   // nesting so far, strings aside
  std::size_t cut_at_ = 0;  // the depth of the container being left out; 0 when none
  bool in_string_ = false;
  bool escaped_ = false;  // the last piece ended with a backslash in a string
};

}  // namespace clevertim::sync
