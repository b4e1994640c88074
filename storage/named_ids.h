// The ids a CRM list has named so far, to tell an id named twice. While they come in increasing
// order (as the CRM's and the emulator's lists do), each costs the gap from the one before, a
// byte or two (a first sync of a million elements names a million ids: 8 MB as plain integers);
// a lookup finds its block of 128 by binary search and adds up at most 127 gaps. At the first
// id that comes out of order they move into a hash set, 8 bytes and more each.
#pragma once

#include <boost/unordered/unordered_flat_set.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>

namespace clevertim::storage {

class NamedIds {
 public:
  // False when `id` was named already.
  bool insert(std::int64_t id);
  bool contains(std::int64_t id) const;
  void clear();

  // Memory the ids take (roughly: not counting the allocator's own).
  std::size_t bytes_held() const;

 private:
  // Up to kPerBlock ids named in increasing order: the first, the last, and where the gaps
  // between them start in gaps_.
  struct Block {
    std::int64_t first = 0;
    std::int64_t last = 0;
    std::size_t gaps_at = 0;
    std::uint32_t count = 0;
  };
  static constexpr std::uint32_t kPerBlock = 128;

  bool contains_in_order(std::int64_t id) const;
  void append_in_order(std::int64_t id);
  void move_into_hash_set();

  // Deques: growing them copies nothing, and never holds the old and the new array at once.
  std::deque<Block> blocks_;
  std::deque<std::uint8_t> gaps_;  // LEB128: 7 bits a byte, the high bit set on all but the last
  boost::unordered_flat_set<std::int64_t> any_order_;
  bool ordered_ = true;
};

}  // namespace clevertim::storage
