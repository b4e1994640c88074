// The changed elements of one pull, mapped to their rows while the list streams in and kept in
// an unlinked temporary file until the whole list has arrived: memory stays small however large
// the account, and the mirror's thread, which applies them, only binds what was mapped here.
//
//   StagedElements staged("contact");
//   staged.add(mapped);                        // as each element arrives (throws on I/O errors)
//   staged.rewind();
//   for (MappedElement e; staged.next(e);) store(e);
//
// A record is binary (lengths, not delimiters): an element's text may hold any byte.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "storage/element_mapping.h"

namespace clevertim::sync {

class StagedElements {
 public:
  // `what` names the collection in error messages.
  explicit StagedElements(std::string_view what);
  ~StagedElements();
  StagedElements(const StagedElements&) = delete;
  StagedElements& operator=(const StagedElements&) = delete;

  // Appends one element. Throws std::filesystem::filesystem_error when the file cannot be
  // created or written (a full or read-only $TMPDIR), naming the collection and what to check.
  void add(const storage::MappedElement& element);
  std::int64_t size() const { return count_; }

  // Reads back from the first element. next() fills `element` (reusing its memory) and says
  // whether there was one; it throws as add() does when the file cannot be read.
  void rewind();
  bool next(storage::MappedElement& element);

 private:
  [[noreturn]] void fail(const std::string& doing) const;

  std::string what_;
  std::FILE* file_ = nullptr;
  std::int64_t count_ = 0;
  std::string record_;  // the record being written or read
};

}  // namespace clevertim::sync
