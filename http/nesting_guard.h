// Finds, in JSON text fed in pieces of any size, the containers nested deeper than a bound, and
// where each ends, without parsing: it follows only quotes, escapes and brackets. Boost.JSON's
// parser recurses once per level (a body of a million '[' would overflow the stack), and its
// own max_depth would fail a whole list over one element; so what is too deep is cut out of
// the input before the parser sees it. Inline: it sees every byte a pull reads.
#pragma once

#include <cstddef>
#include <string_view>

#include "http/nesting_marks.h"

namespace clevertim::sync {

class NestingGuard {
 public:
  // What feed()'s offer() did with an object offered.
  struct Offered {
    bool pending_kept = false;  // it kept the bytes before the object
    std::size_t taken = 0;      // bytes of the object it consumed: all of it, or 0
  };

  explicit NestingGuard(std::size_t max_depth) : max_depth_(max_depth) {}

  // From now on, each object opening at `depth` (1: the document itself) before the document
  // ends is first offered to feed()'s `offer`, which may consume it whole. 0: none is (the
  // default).
  void offer_objects_at(std::size_t depth) { offer_depth_ = depth; }

  // Splits the next piece of input into runs to parse and runs left out, in order:
  //   keep(run)         a run to parse (possibly empty);
  //   cut()             a container too deep begins here: it is left out up to its end;
  //   skipped(bytes)    how many bytes were left out;
  //   offer(pending, object, offered)
  //                     an object opens at the depth given to offer_objects_at(): `object` is
  //                     the rest of the piece from its '{', `pending` the bytes before it not
  //                     yet kept. offer() may keep `pending` itself (offered.pending_kept) and
  //                     may consume the object whole (offered.taken bytes, balanced, ending
  //                     outside any string; 0: the object is followed here as any other).
  // keep(), cut() and offer() return something that tests true to stop (an error), which is
  // returned.
  template <class Keep, class Cut, class Skipped, class Offer>
  auto feed(std::string_view bytes, Keep keep, Cut cut, Skipped skipped, Offer offer)
      -> decltype(keep(bytes)) {
    std::size_t from = 0;  // the first byte neither kept nor left out yet
    std::size_t i = 0;
    if (escaped_ && !bytes.empty()) {  // the last piece ended with a backslash: this escaped
      escaped_ = false;
      i = 1;
    }
    for (; i < bytes.size(); ++i) {
      const char c = bytes[i];
      if (!marks_nesting(c)) continue;  // most bytes: fast
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
      } else if (c == '{' && depth_ + 1 == offer_depth_) {
        Offered offered;
        if (auto stop = offer(bytes.substr(from, i - from), bytes.substr(i), offered)) return stop;
        if (offered.pending_kept) from = i;
        if (offered.taken > 0) {
          from = i + offered.taken;
          i = from - 1;
        } else {
          ++depth_;  // offer_depth_ is never beyond max_depth_: nothing to cut
        }
      } else if (c == '{' || c == '[') {
        if (++depth_ > max_depth_ && cut_at_ == 0) {
          if (auto stop = keep(bytes.substr(from, i - from))) return stop;
          if (auto stop = cut()) return stop;
          cut_at_ = depth_;
          from = i;
        }
      } else if (c == '}' || c == ']') {
        // What follows the document's end is no part of it: nothing there is offered.
        if (depth_ > 0 && --depth_ == 0) offer_depth_ = 0;
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

  // feed() with no object offered.
  template <class Keep, class Cut, class Skipped>
  auto feed(std::string_view bytes, Keep keep, Cut cut, Skipped skipped) -> decltype(keep(bytes)) {
    return feed(
        bytes, keep, cut, skipped,
        [](std::string_view, std::string_view, Offered&) -> decltype(keep(bytes)) { return {}; });
  }

 private:
  std::size_t max_depth_;
  std::size_t offer_depth_ = 0;  // objects opening at this depth are offered; 0: none
  std::size_t depth_ = 0;        // nesting so far, strings aside
  std::size_t cut_at_ = 0;       // the depth of the container being left out; 0 when none
  bool in_string_ = false;
  bool escaped_ = false;  // the last piece ended with a backslash in a string
};

}  // namespace clevertim::sync
