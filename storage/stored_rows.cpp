#include "storage/stored_rows.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace clevertim::storage {
namespace {

constexpr std::int64_t kPastEveryId = std::numeric_limits<std::int64_t>::max();

bool by_id(const StoredRows::Row& a, const StoredRows::Row& b) {
  return a.id < b.id;
}

// The row with this id in rows sorted by id, or nullptr.
StoredRows::Row* find_in(std::vector<StoredRows::Row>& rows, std::int64_t id) {
  const auto at = std::lower_bound(rows.begin(), rows.end(), StoredRows::Row{id}, by_id);
  return at == rows.end() || at->id != id ? nullptr : &*at;
}

}  // namespace

StoredRows::StoredRows(PageReader pages, RowReader row, std::size_t page_rows)
    : read_page_(std::move(pages)),
      read_row_(std::move(row)),
      page_rows_(std::max<std::size_t>(1, page_rows)),
      table_read_(false) {}

// What the list passes unnamed is kept: it is what the list may have deleted.
void StoredRows::leave_page() {
  for (const Row& row : page_)
    if (!row.seen) passed_unseen_.push_back(row);
  if (!page_.empty()) passed_through_ = page_.back().id;
  page_.clear();
  last_ = 0;
}

void StoredRows::read_pages_through(std::int64_t id) {
  while (!table_read_ && (page_.empty() || page_.back().id < id)) {
    const std::int64_t after = page_.empty() ? passed_through_ : page_.back().id;
    leave_page();
    page_ = read_page_(after, page_rows_);
    rows_read_ += static_cast<std::int64_t>(page_.size());
    table_read_ = page_.size() < page_rows_;
  }
}

// A list in id order finds its rows in the page, at the row found last or the one after it.
StoredRows::Row* StoredRows::locate(std::int64_t id) {
  if (id > passed_through_) {
    read_pages_through(id);
    for (std::size_t i = last_; i < page_.size() && i <= last_ + 1; ++i)
      if (page_[i].id == id) return &page_[last_ = i];
    Row* row = find_in(page_, id);
    if (row != nullptr) last_ = static_cast<std::size_t>(row - page_.data());
    return row;
  }
  // Behind the page: a row passed unnamed, or one the list named already, or none.
  if (Row* row = find_in(passed_unseen_, id)) return row;
  if (!read_row_) return nullptr;
  const std::optional<Row> row = read_row_(id);
  if (!row) return nullptr;
  alone_ = *row;
  alone_.seen = true;
  return &alone_;
}

StoredRows::Row* StoredRows::find(std::int64_t id) {
  return locate(id);
}

bool StoredRows::mark_seen(std::int64_t id) {
  if (Row* row = locate(id)) return !std::exchange(row->seen, true);
  return others_.insert(id);
}

bool StoredRows::seen(std::int64_t id) {
  if (const Row* row = locate(id)) return row->seen;
  return others_.contains(id);
}

std::vector<StoredRows::Row> StoredRows::unseen_rows() {
  read_pages_through(kPastEveryId);
  leave_page();
  passed_through_ = kPastEveryId;
  std::vector<Row> rows;
  for (const Row& row : passed_unseen_)
    if (!row.seen) rows.push_back(row);
  return rows;
}

std::vector<std::int64_t> StoredRows::unseen() {
  std::vector<std::int64_t> ids;
  for (const Row& row : unseen_rows()) ids.push_back(row.id);
  return ids;
}

std::int64_t StoredRows::size() {
  read_pages_through(kPastEveryId);
  return rows_read_;
}

}  // namespace clevertim::storage
