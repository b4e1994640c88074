// The callback a pull uses to take elements as text (see EnvelopeStream::offer_compact_first):
// offered an element's top-level "id" (null when it has none) and its compact text (what
// boost::json::serialize would make of it) before the element is built; true means "taken as
// text, do not build it". Its own header so the HTTP client, the stream and the CrmReader
// interface name one type without including each other.
#pragma once

#include <boost/json/fwd.hpp>

#include <functional>
#include <string_view>

namespace clevertim::sync {

using CompactTaker = std::function<bool(const boost::json::value& id, std::string_view compact)>;

}  // namespace clevertim::sync
