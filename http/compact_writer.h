// Writes one JSON value compactly, event by event as a SAX parser reports it, byte for byte as
// boost::json::serialize (1.81) writes the same value: no spaces, a comma before every value
// or key but the first in its container, strings escaped as append_json_escaped() does. What a
// pull hashes and stores is this text, so it must not depend on how the server spaced its own.
// Inline: it runs once per token of every element a pull reads.
#pragma once

#include <charconv>
#include <iterator>
#include <string>
#include <string_view>

#include "http/json_escape.h"

namespace clevertim::sync {

class CompactWriter {
 public:
  // Starts a new value; the memory of the last one is kept for it.
  void clear() {
    text_.clear();
    comma_ = false;
    in_string_ = false;
  }
  // Starts a new value and gives back the memory (after a value too large to keep).
  void release() {
    std::string().swap(text_);
    clear();
  }

  void open(char bracket) {
    separate();
    text_ += bracket;
    comma_ = false;
  }
  void close(char bracket) {
    text_ += bracket;
    comma_ = true;
  }

  // A piece of a key or a string; the last piece comes through end_key or end_string.
  void string_piece(std::string_view s) {
    if (!in_string_) {
      separate();
      text_ += '"';
      in_string_ = true;
    }
    append_json_escaped(text_, s);
  }
  void end_key(std::string_view s) {
    string_piece(s);
    text_ += "\":";
    in_string_ = false;
    comma_ = false;
  }
  void end_string(std::string_view s) {
    string_piece(s);
    text_ += '"';
    in_string_ = false;
    comma_ = true;
  }

  // A number, true, false or null, as text already written the way serialize writes it.
  void literal(std::string_view text) {
    separate();
    text_ += text;
    comma_ = true;
  }
  template <class Integer>
  void integer(Integer n) {
    char digits[24];
    const auto r = std::to_chars(std::begin(digits), std::end(digits), n);
    literal(std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
  }

  const std::string& text() const { return text_; }

 private:
  void separate() {
    if (comma_) text_ += ',';
  }

  std::string text_;
  bool comma_ = false;      // the next value or key needs a comma before it
  bool in_string_ = false;  // inside a key or string given in pieces
};

}  // namespace clevertim::sync
