// Reading the API's envelope {"status": "OK", "content": [ {...}, ... ]} incrementally: the
// bytes arrive in chunks of any size, and each element of the top-level `content` array is
// handed over as soon as it is complete. Memory holds one element at a time, however long
// the array, so a read-all of tens of megabytes never sits in memory whole.
//
//   EnvelopeStream stream([&](boost::json::value&& element) { stage(element); });
//   for (chunk : body) if (auto e = stream.write(chunk)) return fail(*e);
//   if (auto e = stream.finish()) return fail(*e);              // truncated or invalid
//   if (auto e = stream.check_ok(/*need_content=*/true)) ...     // status / content
//
// Elements are handed over before the whole body has been seen (and before `status`, which
// may come after `content`). A caller must therefore treat every element as provisional
// until finish() and check_ok() both succeeded.
//
// An element that cannot be kept as it came is not dropped silently, and does not fail the
// whole list either: the sink gets a stand-in for it (see SkippedElement), so that a reader can
// skip it with a warning that names it and keep the rest of the list.
//
// Independent of HTTP, so that it can be tested on every split of its input.
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/compact_taker.h"

namespace clevertim::sync {

// How deeply an element of `content` may nest, the element itself being level 1. Deeper
// elements are skipped (handed over as stand-ins). Boost.JSON's parser recurses once per
// level, so without a bound a hostile body of a million '[' overflows the stack; and every
// later parse of a stored element (json::parse with default options) accepts exactly this
// depth, so anything deeper could be stored but not read back.
inline constexpr std::size_t kMaxElementDepth = 32;

// What the sink gets instead of an element that cannot be kept: one nested deeper than
// kMaxElementDepth, one larger than limit_element_size(), one holding text that is not valid UTF-8
// (JSON text must be UTF-8, and the mirror's text columns, and the reports reading them, need it),
// or one holding a number out of a double's range (1e400; Boost.JSON would write it back as text
// that is not JSON).
struct SkippedElement {
  std::uint64_t position = 0;  // in `content`, from 1
  boost::json::value id;       // the element's top-level "id" (number or string); null if none
  std::string why;             // in words
};

// The stand-in's contents, or nullopt for an element that arrived intact. A stand-in is an
// object whose only key is not valid UTF-8, so no element that arrived intact looks like one.
std::optional<SkippedElement> as_skipped(const boost::json::value& element);

struct StreamError {
  enum class Kind {
    kInvalidJson,  // not JSON (or JSON followed by garbage)
    kTruncated,    // the input ended inside the document
    kNotEnvelope,  // JSON, but not the envelope: not an object, content not an array,
                   // status missing or not "OK", content missing where needed
  };
  Kind kind;
  std::string message;
};

class EnvelopeStream {
 public:
  using ElementSink = std::function<void(boost::json::value&& element)>;

  explicit EnvelopeStream(ElementSink sink);

  // Before the first write(): elements of `content` are written out compactly as they stream
  // in and offered to `taker` as text; only those it declines are built and handed to the
  // sink. A pull needs an element's text and hash, not a tree of values: a re-sync then costs
  // a scan and a hash per element. Stand-ins and scalars always reach the sink.
  void offer_compact_first(CompactTaker taker);
  std::uint64_t taken_as_text() const;  // elements the taker took
  // In text mode, an element of `content` that lies whole in one write() and is already written
  // as the compact writer would write it is offered as those very bytes, without being parsed
  // or written again: from a server that sends compact JSON (most do, the emulator too), an
  // unchanged element then costs one scan and a hash. Anything unusual takes the parser's path,
  // so the taker, the sink, every count and every error are the same either way. On with
  // offer_compact_first(); off only to compare.
  // When the taker has a same_as_stored(), such an element is first offered to it as its bytes
  // and its leading "id" (found by element_bounds.h, nothing proven): an unchanged element of a
  // re-sync then costs a scan for its end and a hash, not the proof. Declined, it goes on as
  // above.
  void take_canonical_bytes(bool on);
  std::uint64_t elements_not_parsed() const;  // elements read that way (taken or declined)
  // Elements (and string elements) whose JSON text is larger than `bytes` are skipped, handed
  // over as stand-ins, and never held whole: memory stays bounded whatever the server sends.
  // Unlimited by default.
  void limit_element_size(std::uint64_t bytes);
  ~EnvelopeStream();
  EnvelopeStream(const EnvelopeStream&) = delete;
  EnvelopeStream& operator=(const EnvelopeStream&) = delete;

  // Feeds the next bytes. Returns an error as soon as the input cannot be an envelope;
  // after an error the stream accepts nothing more.
  std::optional<StreamError> write(std::string_view bytes);

  // The input is complete: reports kTruncated if the document did not end.
  std::optional<StreamError> finish();

  // After finish(): kNotEnvelope unless `status` was "OK" and, when `need_content`,
  // `content` was present. The message carries the server's `error` text when it sent one.
  std::optional<StreamError> check_ok(bool need_content) const;

  // Top-level "status" and "error" when they were strings.
  const std::optional<std::string>& status() const;
  const std::optional<std::string>& error() const;
  bool has_content() const;
  std::uint64_t elements() const;       // elements handed to the sink
  std::uint64_t bytes() const;          // bytes written so far
  std::uint64_t largest_write() const;  // largest single write(): what was held at once

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clevertim::sync
