// The ids a CRM list has named so far, to tell an id named twice: 8 bytes an id, kept in a
// deque while they come in increasing order (as the CRM's and the emulator's lists do: growing
// it copies nothing, and a lookup is a binary search), moved into a hash set at the first id
// that comes out of order.
#pragma once

#include <boost/unordered/unordered_flat_set.hpp>

#include <cstdint>
#include <deque>

namespace clevertim::storage {

class NamedIds {
 public:
  // False when `id` was named already.
  bool insert(std::int64_t id);
  bool contains(std::int64_t id) const;
  void clear();

 private:
  std::deque<std::int64_t> in_order_;
  boost::unordered_flat_set<std::int64_t> any_order_;
  bool ordered_ = true;
};

}  // namespace clevertim::storage
