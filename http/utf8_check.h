// Checks that text is UTF-8 as it streams in, in pieces split anywhere (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF). Inline: it sees every byte of every string of
// a pull.
#pragma once

#include <cstddef>
#include <string_view>

namespace clevertim::sync {

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
    // The first continuation byte's range, per lead byte (RFC 3629, section 4).
    if (c >= 0xC2 && c <= 0xDF) {
      need_ = 1;
    } else if (c == 0xE0) {
      need_ = 2, low_ = 0xA0;
    } else if (c == 0xED) {
      need_ = 2, high_ = 0x9F;
    } else if (c >= 0xE1 && c <= 0xEF) {
      need_ = 2;
    } else if (c == 0xF0) {
      need_ = 3, low_ = 0x90;
    } else if (c == 0xF4) {
      need_ = 3, high_ = 0x8F;
    } else if (c >= 0xF1 && c <= 0xF3) {
      need_ = 3;
    } else {
      bad_ = true;  // a continuation byte without a lead, or a byte UTF-8 never uses
    }
  }

  int need_ = 0;  // continuation bytes still expected
  unsigned char low_ = 0x80, high_ = 0xBF;
  bool bad_ = false;
};

}  // namespace clevertim::sync
