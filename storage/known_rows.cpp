#include "storage/known_rows.h"

#include <algorithm>
#include <utility>

namespace clevertim::storage {
namespace {

bool by_id(const KnownRows::Row& a, const KnownRows::Row& b) {
  return a.id < b.id;
}

}  // namespace

// The digest index a table is read from yields id order already; sorting is for any other.
KnownRows::KnownRows(std::vector<Row> rows) : rows_(std::move(rows)) {
  if (!std::is_sorted(rows_.begin(), rows_.end(), by_id))
    std::sort(rows_.begin(), rows_.end(), by_id);
}

// A pull looks each element up a few times, in list order: the row found last and the one
// after it are tried before a binary search.
const KnownRows::Row* KnownRows::find(std::int64_t id) const {
  for (std::size_t i = last_; i < rows_.size() && i <= last_ + 1; ++i)
    if (rows_[i].id == id) return &rows_[last_ = i];
  const auto at = std::lower_bound(rows_.begin(), rows_.end(), Row{id}, by_id);
  if (at == rows_.end() || at->id != id) return nullptr;
  last_ = static_cast<std::size_t>(at - rows_.begin());
  return &*at;
}

KnownRows::Row* KnownRows::find(std::int64_t id) {
  return const_cast<Row*>(std::as_const(*this).find(id));
}

bool KnownRows::mark_seen(std::int64_t id) {
  if (Row* row = find(id)) return !std::exchange(row->seen, true);
  return others_.insert(id);
}

bool KnownRows::seen(std::int64_t id) const {
  if (const Row* row = find(id)) return row->seen;
  return others_.contains(id);
}

void KnownRows::forget_seen() {
  for (Row& row : rows_) row.seen = false;
  others_.clear();
}

}  // namespace clevertim::storage
