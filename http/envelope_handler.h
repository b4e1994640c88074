// The SAX handler behind EnvelopeStream (json_stream.h), for boost::json::basic_parser: it
// follows where in the envelope {"status": ..., "content": [ ... ]} each event falls, and hands
// every element of `content` over as soon as it is complete, as compact text offered to a
// CompactTaker first (a pull's path) or as a tree of values. An element that cannot be kept
// (too deep, too large, text not UTF-8, a number out of range) is followed to its end without
// being held, and handed over as a stand-in.
//
// Internal to json_stream.cpp; its own file because it is the largest part of it. The callbacks
// are defined here, inline: the parser calls one per token of every element a pull reads.
#pragma once

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "http/compact_writer.h"
#include "http/json_stream.h"
#include "http/utf8_check.h"

namespace clevertim::sync::detail {

// The stand-in's only key: 0xFF never occurs in UTF-8, and elements whose text is not UTF-8
// are themselves replaced by stand-ins, so no element that is handed over intact has it.
inline constexpr std::string_view kSkippedKey =
    "\xff"
    "skipped element";

// The container opening deeper than this (counting the envelope and `content`) is left out.
inline constexpr std::size_t kMaxDocumentDepth = kMaxElementDepth + 2;

class EnvelopeHandler {
  using error_code = boost::system::error_code;
  using string_view = boost::json::string_view;

 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  explicit EnvelopeHandler(EnvelopeStream::ElementSink sink) : sink_(std::move(sink)) {}

  // ---- the parser's callbacks
  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code& ec) { return begin_container(ec, '{'); }
  bool on_object_end(std::size_t n, error_code&) { return end_container(n, '}'); }
  bool on_array_begin(error_code& ec) { return begin_container(ec, '['); }
  bool on_array_end(std::size_t n, error_code&) { return end_container(n, ']'); }
  bool on_key_part(string_view s, std::size_t, error_code&) { return text_piece(s, kKey); }
  bool on_key(string_view s, std::size_t, error_code& ec) { return text_end(ec, s, kKey); }
  bool on_string_part(string_view s, std::size_t, error_code&) { return text_piece(s, kString); }
  bool on_string(string_view s, std::size_t, error_code& ec) { return text_end(ec, s, kString); }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t i, string_view, error_code& ec) {
    return scalar(
        ec, [&] { stack_.push_int64(i); }, [&] { return boost::json::value(i); },
        [&] { compact_.integer(i); });
  }
  bool on_uint64(std::uint64_t u, string_view, error_code& ec) {
    return scalar(
        ec, [&] { stack_.push_uint64(u); }, [&] { return boost::json::value(u); },
        [&] { compact_.integer(u); });
  }
  bool on_double(double d, string_view, error_code& ec);
  bool on_bool(bool b, error_code& ec) {
    return scalar(
        ec, [&] { stack_.push_bool(b); }, [&] { return boost::json::value(b); },
        [&] { compact_.literal(b ? "true" : "false"); });
  }
  bool on_null(error_code& ec) {
    if (elided_) return on_elided_null(), true;
    return scalar(
        ec, [&] { stack_.push_null(); }, [&] { return boost::json::value(nullptr); },
        [&] { compact_.literal("null"); });
  }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

  // ---- set up by EnvelopeStream
  void elided() { elided_ = true; }  // the next null stands for a value handled elsewhere
  void offer_compact_first(CompactTaker taker) {
    taker_ = std::move(taker);
    text_mode_ = static_cast<bool>(taker_);
  }
  void limit_element_size(std::uint64_t bytes) { max_element_ = bytes; }

  // ---- elements read whole outside the parser (EnvelopeStream's canonical path)
  // Whether the parser stands directly inside `content`, in text mode, outside any element.
  bool between_elements() const {
    return text_mode_ && level_ == Level::kContent && element_depth_ == 0 && skipped_depth_ == 0 &&
           !elided_;
  }
  // An element whose bytes were proven to be its compact text: counted, offered and (when
  // declined) built exactly as end_element() does for one the parser read. The parser is then
  // fed a null marked elided() in its place, which keeps it in step and counts nothing.
  void take_whole_element(boost::json::value id, std::string_view compact);
  // An element's bytes as they came, offered to the taker's same_as_stored(): true when it
  // took them as the unchanged stored text of element `id` (counted as taken); false when
  // there is no such callback or it declined, and nothing was counted.
  bool take_if_same_as_stored(std::int64_t id, std::string_view bytes);

  // ---- what was read
  std::uint64_t taken() const { return taken_; }
  const std::string& problem() const { return problem_; }  // why the document was refused
  const std::optional<std::string>& status() const { return status_; }
  const std::optional<std::string>& error() const { return error_; }
  bool has_content() const { return has_content_; }
  std::uint64_t elements() const { return elements_; }

 private:
  enum class Level { kDocument, kTop, kContent, kDone };
  enum class Slot { kStatus, kError, kContent, kOther };
  enum TextKind { kKey, kString };

  // An object ('{') or an array ('[') begins or ends, wherever it is.
  bool begin_container(error_code& ec, char bracket) {
    if (skipped_depth_ > 0) return ++skipped_depth_, true;
    if (element_depth_ > 0) return nest(), open(bracket), true;
    switch (level_) {
      case Level::kDocument:
        if (bracket == '[') return reject(ec, "the response is a JSON array, not an object");
        level_ = Level::kTop;
        return true;
      case Level::kTop:
        return begin_top_value(ec, bracket == '[');
      case Level::kContent:
        begin_element();
        open(bracket);
        return true;
      case Level::kDone:
        break;
    }
    return reject(ec, bracket == '{' ? "unexpected object after the envelope"
                                     : "unexpected array after the envelope");
  }
  bool end_container(std::size_t n, char bracket) {
    if (skipped_depth_ > 0) return --skipped_depth_, true;
    if (element_depth_ > 0) {
      if (text_mode_) {
        if (building()) compact_.close(bracket);
      } else if (building()) {
        bracket == '}' ? stack_.push_object(n) : stack_.push_array(n);
      }
      if (--element_depth_ == 0) end_element();
      return true;
    }
    // The top-level object closed, or `content` did.
    level_ = bracket == '}' ? Level::kDone : Level::kTop;
    return true;
  }

  // A piece of a key or string; its last piece comes through text_end.
  bool text_piece(string_view s, TextKind kind) {
    utf8_.feed(s);
    if (element_depth_ > 0) {
      grow(s.size());
      if (building()) {
        if (text_mode_)
          compact_.string_piece(s);
        else
          stack_.push_chars(s);
      }
      if (element_depth_ == 1) kind == kKey ? note_key(s) : note_id_text(s);
    } else if (skipped_depth_ == 0) {
      append_text(s);
    }
    return true;
  }
  bool text_end(error_code& ec, string_view s, TextKind kind) {
    utf8_.feed(s);
    if (!utf8_.finish() && !bad_text(ec)) return false;
    if (element_depth_ > 0) {
      grow(s.size() + (kind == kKey ? 3 : 2));  // quotes, and a key's colon
      if (building()) {
        if (text_mode_)
          kind == kKey ? compact_.end_key(s) : compact_.end_string(s);
        else
          kind == kKey ? stack_.push_key(s) : stack_.push_string(s);
      }
      if (element_depth_ == 1) kind == kKey ? end_key(s) : end_id_text(s);
      return true;
    }
    if (skipped_depth_ > 0) return true;
    append_text(s);
    return kind == kKey ? top_key() : outer_string(ec);
  }

  // A number, true, false or null: `push` builds it, `make` makes it a value, `write` writes
  // it compactly.
  template <class Push, class Make, class Write>
  bool scalar(error_code& ec, Push push, Make make, Write write) {
    if (skipped_depth_ > 0) return true;
    if (element_depth_ > 0) {
      grow(8);  // about what a number, true, false or null takes
      if (building()) {
        if (text_mode_)
          write();
        else
          push();
      }
      if (element_depth_ == 1 && id_next_) id_ = make();
      id_next_ = false;
      return true;
    }
    if (level_ == Level::kContent) {
      ++position_;
      deliver(make());
      return true;
    }
    return outer_scalar(ec);
  }

  // A container inside the element begins; a container as the value of "id" is no id.
  void nest() {
    if (element_depth_ == 1) id_next_ = false;
    ++element_depth_;
    grow(2);
  }
  void open(char bracket) {
    if (text_mode_ && building()) compact_.open(bracket);
  }

  // The element being read grew by about `n` bytes of JSON text. One larger than the limit is
  // left out, and what was held of it let go at once: a 200 MB element held as text, then as
  // a tree, then staged, took over a gigabyte; now memory stays within the limit.
  void grow(std::size_t n) {
    if (!building()) return;
    element_size_ += n;
    if (element_size_ > max_element_) drop_element_too_large();
  }

  // Whether the element being read is still rebuilt: once it cannot be kept, the rest of it is
  // only followed (for its end and its id), not held.
  bool building() const { return problem_in_element_.empty(); }

  // A top-level key of the element, in pieces: enough of it to tell whether it is "id".
  void note_key(string_view s) {
    key_.append(s.data(),
                std::min<std::size_t>(s.size(), 3 - std::min<std::size_t>(3, key_.size())));
  }
  void end_key(string_view s) {
    note_key(s);
    id_next_ = key_ == "id";
    key_.clear();
  }
  // The element's "id" when it is a string, in pieces.
  void note_id_text(string_view s) {
    if (!id_next_) return;
    id_text_.append(
        s.data(), std::min<std::size_t>(s.size(), 64 - std::min<std::size_t>(64, id_text_.size())));
  }
  void end_id_text(string_view s) {
    if (id_next_) {
      note_id_text(s);
      id_ = boost::json::value(id_text_);
      id_text_.clear();
    }
    id_next_ = false;
  }

  // Out of line (envelope_handler.cpp): once per element, or outside elements.
  void begin_element();
  void end_element();
  void offer_or_build(std::string_view compact);
  void deliver(boost::json::value&& v);
  bool begin_top_value(error_code& ec, bool array);
  bool top_key();
  bool outer_string(error_code& ec);
  bool outer_scalar(error_code& ec);
  void on_elided_null();
  void drop_element_too_large();
  void append_text(string_view s);
  void problem(std::string why);
  bool bad_text(error_code& ec);
  boost::json::value stand_in();
  bool reject(error_code& ec, std::string why);

  EnvelopeStream::ElementSink sink_;
  boost::json::value_stack stack_;  // the element rebuilt as a tree (not text mode)
  CompactTaker taker_;              // set: text mode (see EnvelopeStream::offer_compact_first)
  bool text_mode_ = false;
  CompactWriter compact_;  // the element's compact text so far (text mode)
  std::uint64_t taken_ = 0;
  Level level_ = Level::kDocument;
  Slot slot_ = Slot::kOther;        // what the top-level key just read names
  int skipped_depth_ = 0;           // depth inside a top-level value that is skipped
  int element_depth_ = 0;           // depth inside the element being read; 0 outside elements
  std::string text_;                // key or string pieces outside elements
  Utf8Check utf8_;                  // the key or string being read
  bool elided_ = false;             // the next null stands for a container left out
  std::uint64_t position_ = 0;      // elements of `content` begun so far
  std::string problem_in_element_;  // why the element being read cannot be kept; "" if it can
  std::uint64_t max_element_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t element_size_ = 0;  // about how much JSON text the element has had so far
  boost::json::value id_;           // its top-level "id", when a number or a string
  bool id_next_ = false;            // the next value at its top level is its "id"
  std::string key_;                 // the start of its top-level key being read
  std::string id_text_;             // the start of its "id" string being read
  std::optional<std::string> status_;
  std::optional<std::string> error_;
  bool has_content_ = false;
  std::uint64_t elements_ = 0;
  std::string problem_;
};

}  // namespace clevertim::sync::detail
