// Checks that text is UTF-8 as it streams in, in pieces split anywhere (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF). Inline: it sees every byte of every string of
// a pull.
#pragma once

#include <cstddef>
#include <string_view>

namespace clevertim::sync {

// What a UTF-8 lead byte asks of the bytes after it (RFC 3629, section 4): how many
// continuation bytes, and the range of the first (the others are 0x80-0xBF). `need` is 0 for a
// byte that cannot lead a multi-byte character.
struct Utf8Lead {
  int need = 0;
  unsigned char low = 0x80, high = 0xBF;
};

constexpr Utf8Lead utf8_lead(unsigned char c) {
  if (c >= 0xC2 && c <= 0xDF) return {1};
  if (c == 0xE0) return {2, 0xA0};
  if (c == 0xED) return {2, 0x80, 0x9F};
  if (c >= 0xE1 && c <= 0xEF) return {2};
  if (c == 0xF0) return {3, 0x90};
  if (c == 0xF4) return {3, 0x80, 0x8F};
  if (c >= 0xF1 && c <= 0xF3) return {3};
  return {};  // a continuation byte without a lead, or a byte UTF-8 never uses
}

class Utf8Check {
 public:
  // The next piece of the text.
  void feed(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (need_ == 0) {
        while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;  // ASCII
        if (i == s.size()) break;
      }
      const auto c = static_cast<unsigned char>(s[i]);
      if (need_ > 0) {
        if (c < low_ || c > high_) bad_ = true;
        --need_;
        low_ = 0x80;
        high_ = 0xBF;
      } else if (c >= 0x80) {
        start(c);
      }
    }
  }

  // The text ended: whether all of it was UTF-8. Ready for the next text.
  bool finish() {
    const bool ok = !bad_ && need_ == 0;
    *this = Utf8Check{};
    return ok;
  }

 private:
  void start(unsigned char c) {
    const Utf8Lead lead = utf8_lead(c);
    if (lead.need == 0) bad_ = true;
    need_ = lead.need;
    low_ = lead.low;
    high_ = lead.high;
  }

  int need_ = 0;  // continuation bytes still expected
  unsigned char low_ = 0x80, high_ = 0xBF;
  bool bad_ = false;
};

}  // namespace clevertim::sync
