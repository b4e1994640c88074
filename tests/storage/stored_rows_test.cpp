// StoredRows (storage/stored_rows.h) against a plain std::map and std::set doing the same, over
// random tables and random lists (ids in order, shuffled, repeated, new), read in pages of
// random sizes: the same answers as the whole table in memory would give, and for a list in
// id order, no more rows held than a page and the rows the list passed without naming.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "storage/stored_rows.h"

using namespace clevertim;
using storage::StoredRows;
using Row = StoredRows::Row;

namespace {

struct Case {
  std::map<std::int64_t, Row> table;  // the model
  std::vector<std::int64_t> list;     // the ids a list names, in its order
  bool in_order = true;
};

Case random_case(std::mt19937_64& rng) {
  Case c;
  const int rows = static_cast<int>(rng() % 300);
  for (int i = 0; i < rows; ++i) {
    const auto id = static_cast<std::int64_t>(rng() % 1000 + 1);
    c.table[id] = {id, static_cast<std::int64_t>(rng()),
                   static_cast<storage::SyncState>(rng() % 4)};
  }
  for (const auto& [id, row] : c.table)
    if (rng() % 4 != 0) c.list.push_back(id);       // most rows listed
  const int others = static_cast<int>(rng() % 50);  // new ids
  for (int i = 0; i < others; ++i) c.list.push_back(static_cast<std::int64_t>(rng() % 1200 + 1));
  switch (rng() % 3) {
    case 0:  // in id order, each once: as the CRM sends a list
      std::sort(c.list.begin(), c.list.end());
      c.list.erase(std::unique(c.list.begin(), c.list.end()), c.list.end());
      return c;
    case 1:
      std::shuffle(c.list.begin(), c.list.end(), rng);
      break;
    default:
      break;  // in order, then new ids at the end
  }
  c.in_order = false;
  const int repeats = static_cast<int>(rng() % 5);
  for (int i = 0; i < repeats && !c.list.empty(); ++i)
    c.list.insert(c.list.begin() + static_cast<long>(rng() % c.list.size()),
                  c.list[rng() % c.list.size()]);
  return c;
}

// The table, read as the mirror's digest index is; counts the rows it hands out.
struct Table {
  const std::map<std::int64_t, Row>& rows;
  std::int64_t rows_handed = 0;

  StoredRows stored(std::size_t page_rows) {
    return StoredRows(
        [this](std::int64_t after, std::size_t limit) {
          std::vector<Row> page;
          for (auto at = rows.upper_bound(after); at != rows.end() && page.size() < limit; ++at)
            page.push_back(at->second);
          rows_handed += static_cast<std::int64_t>(page.size());
          return page;
        },
        [this](std::int64_t id) -> std::optional<Row> {
          const auto at = rows.find(id);
          if (at == rows.end()) return std::nullopt;
          return at->second;
        },
        page_rows);
  }
};

}  // namespace

TEST_CASE("StoredRows finds every row and tells what a list named, as a map and a set would") {
  std::mt19937_64 rng(20261202);
  for (int round = 0; round < 1000; ++round) {
    const Case c = random_case(rng);
    Table table{c.table};
    const std::size_t page_rows = 1 + rng() % 40;
    StoredRows stored = table.stored(page_rows);
    CAPTURE(round);
    CAPTURE(page_rows);

    std::set<std::int64_t> seen;
    std::size_t passed_unnamed = 0;  // rows of the table below the list's last id, not named
    for (std::int64_t id : c.list) {
      const Row* row = stored.find(id);
      const auto expected = c.table.find(id);
      REQUIRE((row != nullptr) == (expected != c.table.end()));
      if (row != nullptr) {
        CHECK(row->id == id);
        CHECK(row->raw_hash == expected->second.raw_hash);
        CHECK(row->state == expected->second.state);
        CHECK(row->seen == seen.contains(id));
      }
      CHECK(stored.seen(id) == seen.contains(id));
      CHECK(stored.mark_seen(id) == seen.insert(id).second);
      CHECK(stored.seen(id));
      if (c.in_order) {
        passed_unnamed = 0;
        for (auto at = c.table.begin(); at != c.table.end() && at->first < id; ++at)
          passed_unnamed += seen.contains(at->first) ? 0 : 1;
        CHECK(stored.rows_held() <= page_rows + passed_unnamed);
      }
    }
    std::vector<std::int64_t> expected_unseen;
    for (const auto& [id, row] : c.table)
      if (!seen.contains(id)) expected_unseen.push_back(id);
    CHECK(stored.unseen() == expected_unseen);  // in id order
    CHECK(stored.size() == static_cast<std::int64_t>(c.table.size()));
    CHECK(table.rows_handed == static_cast<std::int64_t>(c.table.size()));  // each row read once

    // After the list: an element looked up alone, or a row kept, is named like any other.
    for (std::int64_t id : expected_unseen) {
      CHECK_FALSE(stored.seen(id));
      CHECK(stored.find(id)->raw_hash == c.table.at(id).raw_hash);
      if (rng() % 2) {
        CHECK(stored.mark_seen(id));
        seen.insert(id);
      }
    }
    for (const auto& [id, row] : c.table) CHECK(stored.seen(id) == seen.contains(id));
    for (std::int64_t id = 1000; id < 1300; ++id) CHECK(stored.seen(id) == seen.contains(id));
    expected_unseen.clear();
    for (const auto& [id, row] : c.table)
      if (!seen.contains(id)) expected_unseen.push_back(id);
    CHECK(stored.unseen() == expected_unseen);
    CHECK(stored.size() == static_cast<std::int64_t>(c.table.size()));
  }
}

TEST_CASE("a list in id order holds one page of a large table, not the table") {
  std::map<std::int64_t, Row> rows;
  for (std::int64_t id = 1; id <= 100000; ++id)
    rows[id] = {id, id * 7, storage::SyncState::kSynced};
  Table table{rows};
  StoredRows stored = table.stored(4096);
  std::size_t most_held = 0;
  for (std::int64_t id = 1; id <= 100000; ++id) {
    if (id % 1000 == 0) continue;  // deleted in the CRM
    REQUIRE(stored.find(id)->raw_hash == id * 7);
    REQUIRE(stored.mark_seen(id));
    most_held = std::max(most_held, stored.rows_held());
  }
  CHECK(most_held <= 4096 + 100);
  CHECK(stored.unseen().size() == 100);
  CHECK(stored.size() == 100000);
}

TEST_CASE("a table with nothing stored reads nothing and finds nothing") {
  StoredRows stored;
  CHECK(stored.find(5) == nullptr);
  CHECK(stored.mark_seen(5));
  CHECK_FALSE(stored.mark_seen(5));
  CHECK(stored.seen(5));
  CHECK_FALSE(stored.seen(4));
  CHECK(stored.unseen().empty());
  CHECK(stored.size() == 0);
  CHECK(stored.find(5) == nullptr);
}
