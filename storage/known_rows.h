// The rows of one table a CRM list is compared with (id, stored hash, state), and which ids the
// list has named so far. A pull holds one of these per resource for the whole download, so its
// size is what a pull's memory grows with: 24 bytes a row, in one array sorted by id, and 8
// bytes for each id the list names that the table does not have. (Node-based hash maps took
// about 150 bytes a row: 55 MiB at a million elements.)
//
// Lookups are fast when the list comes in id order, as the CRM's and the emulator's do: the
// row found last and the one after it are tried first. Any other order costs a binary search.
#pragma once

#include <boost/unordered/unordered_flat_set.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "storage/sync_state.h"

namespace clevertim::storage {

class KnownRows {
 public:
  struct Row {
    std::int64_t id = 0;
    std::int64_t raw_hash = 0;
    SyncState state = SyncState::kSynced;
    bool seen = false;  // named by the list
  };

  KnownRows() = default;
  // Rows in any order; each id at most once.
  explicit KnownRows(std::vector<Row> rows);

  // The row with this id, or nullptr. Valid until the next constructor or assignment.
  Row* find(std::int64_t id);
  const Row* find(std::int64_t id) const;
  std::size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }

  // Notes that the list named `id` (a row or not); false when it had named it already.
  bool mark_seen(std::int64_t id);
  bool seen(std::int64_t id) const;
  // Forgets every id named so far (a list read again from the start).
  void forget_seen();

  // The rows, in id order.
  const std::vector<Row>& rows() const { return rows_; }

 private:
  std::vector<Row> rows_;
  mutable std::size_t last_ = 0;  // the row find() found last: where it looks first
  // Ids named that are not rows of the table (every id, in a first sync): 8 bytes each, in
  // increasing order as long as they come so (a deque: growing it copies nothing), and moved
  // into a hash set at the first that comes out of order.
  std::deque<std::int64_t> others_in_order_;
  boost::unordered_flat_set<std::int64_t> others_seen_;
  bool others_ordered_ = true;
};

}  // namespace clevertim::storage
