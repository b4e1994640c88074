// The callbacks a pull uses to take elements as text (see EnvelopeStream::offer_compact_first).
// Its own header so the HTTP client, the stream and the CrmReader interface name one type
// without including each other.
#pragma once

#include <boost/json/fwd.hpp>

#include <concepts>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>

namespace clevertim::sync {

struct CompactTaker {
  // Offered an element's top-level "id" (null when it has none) and its compact text (what
  // boost::json::serialize would make of it) before the element is built; true means "taken
  // as text, do not build it".
  using Take = std::function<bool(const boost::json::value& id, std::string_view compact)>;
  // Optional, asked first: offered an element's id and its bytes exactly as they came, before
  // anything is proven of them (not even that they are JSON). True only when those bytes are
  // the very text stored for that id, which was compact, valid and had that id when it was
  // stored: the element is then unchanged, and the callee has counted it so. False: the callee
  // did nothing, and the element goes on to `take` or to the parser as usual.
  using SameAsStored = std::function<bool(std::int64_t id, std::string_view bytes)>;

  CompactTaker() = default;
  template <class F>
  requires std::is_invocable_r_v<bool, F&, const boost::json::value&, std::string_view>
  CompactTaker(F take_fn)  // NOLINT(google-explicit-constructor): a lambda is a taker
      : take(std::move(take_fn)) {}
  CompactTaker(Take take_fn, SameAsStored same_fn)
      : take(std::move(take_fn)), same_as_stored(std::move(same_fn)) {}

  explicit operator bool() const { return static_cast<bool>(take); }

  Take take;
  SameAsStored same_as_stored;
};

}  // namespace clevertim::sync
