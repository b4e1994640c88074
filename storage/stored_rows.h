// The rows of one table a CRM list is compared with, read a page at a time as the list names
// them. A list comes in id order (the CRM's and the emulator's do), and so does a page of the
// table's digest index: the two are merged as they go, so a pull holds one page of rows, not
// the table, however large the account (the whole table in memory, as until 2026-12-02, took
// 24 bytes a row: 30 MiB for a re-sync of a million elements).
//
// What the merge must remember is what the list passed without naming: the rows it may have
// deleted. Those stay (24 bytes each) until the list ends. An id the list names behind the
// page, out of order, is answered from those rows or by reading its row alone; the answer is
// the same as the whole table in memory would give, only slower.
//
// The table is read while the list arrives, not at one instant. Rows this process writes
// with CRM ids are written by a pull or a push, and neither runs while another pull of the
// same table reads its list; rows other writers add have local ids, which are never read here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "storage/named_ids.h"
#include "storage/sync_state.h"

namespace clevertim::storage {

class StoredRows {
 public:
  struct Row {
    std::int64_t id = 0;
    std::int64_t raw_hash = 0;
    SyncState state = SyncState::kSynced;
    bool seen = false;  // named by the list
  };
  // Up to `limit` rows with ids above `after`, in id order (fewer: there are no more).
  using PageReader = std::function<std::vector<Row>(std::int64_t after, std::size_t limit)>;
  // The row with this id, if there is one.
  using RowReader = std::function<std::optional<Row>(std::int64_t id)>;

  // 96 KiB of rows: a page costs one query (a 250k-element table is read in 61), and the
  // memory stays under what SQLite's own page cache holds.
  static constexpr std::size_t kRowsPerPage = 4096;

  // A table that holds no CRM element: nothing is read.
  StoredRows() = default;
  StoredRows(PageReader pages, RowReader row, std::size_t page_rows = kRowsPerPage);

  // The row with this id, or nullptr. Valid until the next call. A row the list named before,
  // behind the current page, comes back read alone and marked seen: changing it changes nothing.
  Row* find(std::int64_t id);

  // Notes that the list named `id` (a row or not); false when it had named it already.
  bool mark_seen(std::int64_t id);
  bool seen(std::int64_t id);

  // The list ended: the rows it never reached are read (they are all unseen). Then, and on
  // each call after it, these answer for the whole table:
  std::vector<std::int64_t> unseen();  // rows the list did not name, in id order
  std::vector<Row> unseen_rows();      // the same, each with its hash and state
  std::int64_t size();                 // rows of the table (with a CRM id)

  // Rows held in memory now: the page and the rows the list passed without naming.
  std::size_t rows_held() const { return page_.size() + passed_unseen_.size(); }

 private:
  Row* locate(std::int64_t id);
  void read_pages_through(std::int64_t id);  // until the page holds `id`, or the table ends
  void leave_page();

  PageReader read_page_;
  RowReader read_row_;
  std::size_t page_rows_ = 0;
  std::vector<Row> page_;            // rows with ids above passed_through_, in id order
  std::size_t last_ = 0;             // the row of page_ found last: where find() looks first
  std::int64_t passed_through_ = 0;  // every row up to this id has left page_
  bool table_read_ = true;           // no page is left to read
  std::vector<Row> passed_unseen_;   // rows that left page_ unseen, in id order
  NamedIds others_;                  // ids named that are not rows of the table
  std::int64_t rows_read_ = 0;
  Row alone_;  // a row read alone (see find())
};

}  // namespace clevertim::storage
