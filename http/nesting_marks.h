// The bytes that matter for following JSON's nesting without parsing it: quotes, backslashes and
// brackets. Every other byte, inside a string or not, leaves the nesting and the string state
// as they are, so a scan looks at these alone (most bytes of a body are none of them).
#pragma once

#include <array>
#include <string_view>

namespace clevertim::sync {

inline constexpr std::array<bool, 256> kNestingMarks = [] {
  std::array<bool, 256> marks{};
  for (const unsigned char c : std::string_view("\"\\{}[]")) marks[c] = true;
  return marks;
}();

constexpr bool marks_nesting(char c) {
  return kNestingMarks[static_cast<unsigned char>(c)];
}

}  // namespace clevertim::sync
