// Comparing JSON values in the fuzz targets.
#pragma once

#include <boost/json.hpp>

#include <cmath>
#include <cstddef>

namespace fuzz {

// Equal JSON, except that doubles may differ in their last digits: Boost.JSON 1.81 does not
// round numbers correctly (a long mantissa can come out one unit apart from its text, and
// differently when the digits arrive split across two writes).
inline bool same_json(const boost::json::value& a, const boost::json::value& b) {
  namespace json = boost::json;
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-14 * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const json::array &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!same_json(x[i], y[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const json::object &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      const json::value* other = y.if_contains(kv.key());
      if (other == nullptr || !same_json(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace fuzz
