#include "storage/named_ids.h"

#include <algorithm>

namespace clevertim::storage {
namespace {

void append_gap(std::deque<std::uint8_t>& gaps, std::uint64_t gap) {
  while (gap >= 0x80) {
    gaps.push_back(static_cast<std::uint8_t>(gap | 0x80));
    gap >>= 7;
  }
  gaps.push_back(static_cast<std::uint8_t>(gap));
}

std::uint64_t read_gap(const std::deque<std::uint8_t>& gaps, std::size_t& at) {
  std::uint64_t gap = 0;
  for (int shift = 0;; shift += 7) {
    const std::uint8_t byte = gaps[at++];
    gap |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return gap;
  }
}

}  // namespace

bool NamedIds::insert(std::int64_t id) {
  if (!ordered_) return any_order_.insert(id).second;
  if (blocks_.empty() || id > blocks_.back().last) {
    append_in_order(id);
    return true;
  }
  if (contains_in_order(id)) return false;
  move_into_hash_set();
  return any_order_.insert(id).second;
}

bool NamedIds::contains(std::int64_t id) const {
  return ordered_ ? contains_in_order(id) : any_order_.contains(id);
}

void NamedIds::clear() {
  std::deque<Block>().swap(blocks_);
  std::deque<std::uint8_t>().swap(gaps_);
  boost::unordered_flat_set<std::int64_t>().swap(any_order_);
  ordered_ = true;
}

std::size_t NamedIds::bytes_held() const {
  return blocks_.size() * sizeof(Block) + gaps_.size() +
         any_order_.bucket_count() * sizeof(std::int64_t);
}

void NamedIds::append_in_order(std::int64_t id) {
  if (blocks_.empty() || blocks_.back().count == kPerBlock) {
    blocks_.push_back({id, id, gaps_.size(), 1});
    return;
  }
  Block& block = blocks_.back();
  append_gap(gaps_, static_cast<std::uint64_t>(id) - static_cast<std::uint64_t>(block.last));
  block.last = id;
  ++block.count;
}

bool NamedIds::contains_in_order(std::int64_t id) const {
  const auto block = std::lower_bound(blocks_.begin(), blocks_.end(), id,
                                      [](const Block& b, std::int64_t x) { return b.last < x; });
  if (block == blocks_.end() || block->first > id) return false;
  std::int64_t named = block->first;
  std::size_t at = block->gaps_at;
  for (std::uint32_t i = 1; i < block->count && named < id; ++i)
    named = static_cast<std::int64_t>(static_cast<std::uint64_t>(named) + read_gap(gaps_, at));
  return named == id;
}

void NamedIds::move_into_hash_set() {
  for (const Block& block : blocks_) {
    std::int64_t named = block.first;
    std::size_t at = block.gaps_at;
    any_order_.insert(named);
    for (std::uint32_t i = 1; i < block.count; ++i) {
      named = static_cast<std::int64_t>(static_cast<std::uint64_t>(named) + read_gap(gaps_, at));
      any_order_.insert(named);
    }
  }
  std::deque<Block>().swap(blocks_);
  std::deque<std::uint8_t>().swap(gaps_);
  ordered_ = false;
}

}  // namespace clevertim::storage
