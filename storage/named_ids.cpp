#include "storage/named_ids.h"

#include <algorithm>

namespace clevertim::storage {

bool NamedIds::insert(std::int64_t id) {
  if (!ordered_) return any_order_.insert(id).second;
  if (in_order_.empty() || id > in_order_.back()) {
    in_order_.push_back(id);
    return true;
  }
  if (std::binary_search(in_order_.begin(), in_order_.end(), id)) return false;
  any_order_.insert(in_order_.begin(), in_order_.end());
  std::deque<std::int64_t>().swap(in_order_);
  ordered_ = false;
  return any_order_.insert(id).second;
}

bool NamedIds::contains(std::int64_t id) const {
  if (ordered_) return std::binary_search(in_order_.begin(), in_order_.end(), id);
  return any_order_.contains(id);
}

void NamedIds::clear() {
  std::deque<std::int64_t>().swap(in_order_);
  any_order_.clear();
  ordered_ = true;
}

}  // namespace clevertim::storage
