// Proves, in one pass over the bytes at hand, that an element of `content` is already written
// byte for byte as CompactWriter would write it (that is, as boost::json::serialize writes the
// parsed value), so that a pull can hash and store those bytes as they came instead of parsing
// the element and writing it out again. Most servers send their lists compactly serialized;
// for them this is the whole cost of reading an unchanged element.
//
// The proof is strict on purpose: anything it is not sure of (whitespace, an escape the writer
// would not write, a number the writer would write otherwise, text that is not UTF-8, an element
// too deep or too large, an element not whole in the bytes at hand) is "not proven", and the
// element takes the parser's path, which decides everything as before. Never a false "proven".
//
// Internal to json_stream.cpp (see EnvelopeStream::write); its own file to be tested alone.
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace clevertim::sync::detail {

// An element proven canonical.
struct CanonicalElement {
  std::size_t size = 0;   // its bytes, from its '{' to its '}'
  boost::json::value id;  // its top-level "id", exactly as EnvelopeHandler would find it
};

class CanonicalReader {
 public:
  // Elements whose size EnvelopeHandler estimates above `bytes` are not proven: the parser's
  // path makes them stand-ins.
  void limit_element_size(std::uint64_t bytes) { max_size_ = bytes; }

  // `bytes` begins with the '{' of an element of `content`. The element, when it lies whole in
  // `bytes` and is proven canonical; nullopt otherwise.
  std::optional<CanonicalElement> read(std::string_view bytes);

 private:
  friend class CanonicalScan;
  // Whether a number with a fraction or an exponent is written as serialize writes the double
  // Boost's parser reads from it.
  bool is_canonical_double(std::string_view number);

  std::uint64_t max_size_ = std::numeric_limits<std::uint64_t>::max();
  std::string last_double_;  // the last such number proven canonical: lists repeat their values
};

}  // namespace clevertim::sync::detail
