// KnownRows (storage/known_rows.h) against a plain std::map and std::set doing the same, over
// random tables and random lists: rows in any order, ids listed in order, shuffled, repeated,
// and ids the table does not have.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "storage/known_rows.h"

using namespace clevertim;
using storage::KnownRows;

namespace {

struct Case {
  std::map<std::int64_t, KnownRows::Row> table;  // the model
  std::vector<std::int64_t> list;                // the ids a list names, in its order
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
  if (rng() % 2) std::shuffle(c.list.begin(), c.list.end(), rng);  // else: mostly in id order
  const int repeats = static_cast<int>(rng() % 5);
  for (int i = 0; i < repeats && !c.list.empty(); ++i)
    c.list.insert(c.list.begin() + static_cast<long>(rng() % c.list.size()),
                  c.list[rng() % c.list.size()]);
  return c;
}

}  // namespace

TEST_CASE("KnownRows finds every row and tells what a list named, as a map and a set would") {
  std::mt19937_64 rng(20261201);
  for (int round = 0; round < 500; ++round) {
    const Case c = random_case(rng);
    std::vector<KnownRows::Row> rows;
    for (const auto& [id, row] : c.table) rows.push_back(row);
    std::shuffle(rows.begin(), rows.end(), rng);  // the constructor takes any order
    KnownRows known(rows);
    REQUIRE(known.size() == c.table.size());

    std::set<std::int64_t> seen;
    for (std::int64_t id : c.list) {
      const KnownRows::Row* row = known.find(id);
      const auto expected = c.table.find(id);
      REQUIRE((row != nullptr) == (expected != c.table.end()));
      if (row != nullptr) {
        CHECK(row->id == id);
        CHECK(row->raw_hash == expected->second.raw_hash);
        CHECK(row->state == expected->second.state);
      }
      CHECK(known.seen(id) == seen.contains(id));
      CHECK(known.mark_seen(id) == seen.insert(id).second);
      CHECK(known.seen(id));
    }
    std::vector<std::int64_t> unseen, expected_unseen;
    for (const KnownRows::Row& row : known.rows())
      if (!row.seen) unseen.push_back(row.id);
    for (const auto& [id, row] : c.table)
      if (!seen.contains(id)) expected_unseen.push_back(id);
    CHECK(unseen == expected_unseen);  // in id order

    known.forget_seen();
    for (std::int64_t id : c.list) CHECK_FALSE(known.seen(id));
    seen.clear();  // the list read again from the start
    for (std::int64_t id : c.list) CHECK(known.mark_seen(id) == seen.insert(id).second);
  }
}

TEST_CASE("a row found through KnownRows can be changed in place") {
  KnownRows known({{7, 1, storage::SyncState::kSynced}, {3, 2, storage::SyncState::kSynced}});
  known.find(7)->state = storage::SyncState::kPending;
  CHECK(known.find(3)->state == storage::SyncState::kSynced);
  CHECK(known.find(7)->state == storage::SyncState::kPending);
  CHECK(known.find(5) == nullptr);
  CHECK(known.rows().front().id == 3);
}
