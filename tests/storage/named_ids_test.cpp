// NamedIds (storage/named_ids.h) against a std::set: ids in increasing order with gaps of every
// size (1, a few, thousands, up to the largest id), then out of order, repeated, cleared.
#include <doctest/doctest.h>

#include <limits>
#include <random>
#include <set>

#include "storage/named_ids.h"

using namespace clevertim;
using storage::NamedIds;

namespace {

std::int64_t gap(std::mt19937_64& rng) {
  switch (rng() % 5) {
    case 0:
      return 1;
    case 1:
      return 1 + static_cast<std::int64_t>(rng() % 10);
    case 2:
      return 1 + static_cast<std::int64_t>(rng() % 300);
    case 3:
      return 1 + static_cast<std::int64_t>(rng() % 100000);
    default:
      return 1 + static_cast<std::int64_t>(rng() % (std::int64_t{1} << 40));
  }
}

}  // namespace

TEST_CASE("NamedIds tells which ids were named, as a set would") {
  std::mt19937_64 rng(20261202);
  for (int round = 0; round < 300; ++round) {
    CAPTURE(round);
    NamedIds named;
    std::set<std::int64_t> model;
    for (int pass = 0; pass < 2; ++pass) {  // the second after clear()
      std::int64_t id = static_cast<std::int64_t>(rng() % 1000);
      const int in_order = static_cast<int>(rng() % 2000);
      std::vector<std::int64_t> named_so_far;
      for (int i = 0; i < in_order && id < std::numeric_limits<std::int64_t>::max() / 2; ++i) {
        id += gap(rng);
        named_so_far.push_back(id);
        REQUIRE(named.insert(id) == model.insert(id).second);
      }
      // Asked about ids named, and ids around them that were not.
      for (int i = 0; i < 200 && !named_so_far.empty(); ++i) {
        const std::int64_t asked =
            named_so_far[rng() % named_so_far.size()] + static_cast<std::int64_t>(rng() % 5) - 2;
        REQUIRE(named.contains(asked) == model.contains(asked));
      }
      // Then, maybe, out of order: repeats, and ids between and beyond.
      if (rng() % 2 && !named_so_far.empty())
        for (int i = 0; i < 100; ++i) {
          const std::int64_t next = rng() % 3 ? named_so_far[rng() % named_so_far.size()] +
                                                    static_cast<std::int64_t>(rng() % 3) - 1
                                              : static_cast<std::int64_t>(rng() % 1000000);
          REQUIRE(named.insert(next) == model.insert(next).second);
          REQUIRE(named.contains(next));
        }
      for (std::int64_t asked : named_so_far) REQUIRE(named.contains(asked));
      CHECK_FALSE(named.contains(std::numeric_limits<std::int64_t>::max()));
      named.clear();
      model.clear();
      for (std::int64_t asked : named_so_far) REQUIRE_FALSE(named.contains(asked));
    }
  }
}

TEST_CASE("NamedIds keeps a million ids named in order in a few bytes each") {
  NamedIds named;
  for (std::int64_t id = 1; id <= 1000000; ++id) REQUIRE(named.insert(id * 3));
  CHECK(named.bytes_held() < 2 * 1000000);
  CHECK(named.contains(3000000));
  CHECK_FALSE(named.contains(3000001));
  CHECK_FALSE(named.insert(500000 * 3));
  CHECK(named.insert(500000 * 3 + 1));  // out of order: into a hash set, still right
  CHECK(named.contains(500000 * 3 + 1));
  CHECK(named.contains(999999 * 3));
}
