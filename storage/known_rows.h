// The rows of one table a CRM list is compared with (id, stored hash, state), and which ids the
// list has named so far, all in memory: 24 bytes a row, in one array sorted by id, and 8 bytes
// for each id the list names that the table does not have. `verify` holds one per resource;
// a pull reads the same rows a page at a time instead (StoredRows), so that its memory does not
// grow with the table.
//
// Lookups are fast when the list comes in id order, as the CRM's and the emulator's do: the
// row found last and the one after it are tried first. Any other order costs a binary search.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "storage/named_ids.h"
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
  NamedIds others_;  // ids named that are not rows of the table (every id, in a first sync)
};

}  // namespace clevertim::storage
