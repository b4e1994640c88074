// StagedElements against its contract: what is added is read back in order, equal, whatever
// bytes its text holds, as often as it is rewound.
#include <doctest/doctest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "sync/staged_elements.h"

using clevertim::storage::Cell;
using clevertim::storage::MappedElement;
using clevertim::sync::StagedElements;

namespace {

MappedElement random_element(std::mt19937_64& rng, std::int64_t id) {
  MappedElement e;
  e.id = id;
  e.raw_hash = static_cast<std::int64_t>(rng());
  for (std::size_t i = rng() % 40; i > 0; --i) {
    switch (rng() % 4) {
      case 0:
        e.cells.emplace_back(std::monostate{});
        break;
      case 1:
        e.cells.emplace_back(static_cast<std::int64_t>(rng()));
        break;
      case 2:
        e.cells.emplace_back(static_cast<double>(rng()) / 3.0);
        break;
      default: {
        std::string text(rng() % 300, '\0');
        for (char& c : text) c = static_cast<char>(rng());  // NUL, newlines, anything
        e.cells.emplace_back(std::move(text));
      }
    }
  }
  for (std::size_t i = rng() % 3; i > 0; --i) e.warnings.push_back("warning " + std::to_string(i));
  e.raw = R"({"id":)" + std::to_string(id) + ",\"x\":\"a\nb\\u0000\"}";
  return e;
}

bool same(const MappedElement& a, const MappedElement& b) {
  return a.id == b.id && a.raw_hash == b.raw_hash && a.cells == b.cells &&
         a.warnings == b.warnings && a.raw == b.raw;
}

}  // namespace

TEST_CASE("staged_elements: read back in order and equal, twice") {
  std::mt19937_64 rng(11);
  std::vector<MappedElement> added;
  StagedElements staged("contact");
  for (std::int64_t id = 1; id <= 500; ++id) {
    added.push_back(random_element(rng, id));
    staged.add(added.back());
  }
  CHECK(staged.size() == 500);
  for (int pass = 0; pass < 2; ++pass) {
    staged.rewind();
    std::size_t n = 0;
    for (MappedElement e; staged.next(e); ++n) {
      REQUIRE(n < added.size());
      CHECK(same(e, added[n]));
    }
    CHECK(n == added.size());
  }
}

TEST_CASE("staged_elements: nothing added, nothing read") {
  StagedElements staged("note");
  staged.rewind();
  MappedElement e;
  CHECK_FALSE(staged.next(e));
  CHECK(staged.size() == 0);
}

// A first fill is written while its list still arrives: one thread adds, another reads what
// was published so far, waiting when it has read everything published.
TEST_CASE("staged_elements: read while another thread adds, in order and equal") {
  std::mt19937_64 rng(12);
  std::vector<MappedElement> added;
  for (std::int64_t id = 1; id <= 3000; ++id) added.push_back(random_element(rng, id));
  StagedElements staged("contact");
  std::atomic<bool> adding_ended{false};
  std::thread adder([&] {
    for (std::size_t i = 0; i < added.size(); ++i) {
      staged.add(added[i]);
      if (i % 700 == 0) staged.publish();  // as at the end of a list, or of a network read
    }
    staged.publish();
    adding_ended = true;
  });
  std::size_t n = 0;
  std::int64_t waits = 0;
  for (MappedElement e;;) {
    if (staged.next(e)) {
      REQUIRE(n < added.size());
      CHECK(same(e, added[n]));
      CHECK(staged.published() > static_cast<std::int64_t>(n));
      ++n;
    } else if (adding_ended) {
      if (!staged.next(e)) break;  // published just before it ended
      CHECK(same(e, added[n++]));
    } else {
      ++waits;
      std::this_thread::yield();
    }
  }
  adder.join();
  CHECK(n == added.size());
  CHECK(staged.published() == 3000);
  // And read again whole, as a first fill that had to start over reads it.
  staged.rewind();
  n = 0;
  for (MappedElement e; staged.next(e); ++n) CHECK(same(e, added[n]));
  CHECK(n == added.size());
}
