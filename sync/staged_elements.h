// The changed elements of one pull, mapped to their rows while the list streams in and kept in
// an unlinked temporary file until the whole list has arrived: memory stays small however large
// the account, and the mirror's thread, which applies them, only binds what was mapped here.
//
//   StagedElements staged("contact");
//   staged.add(mapped);                        // as each element arrives (throws on I/O errors)
//   staged.rewind();
//   for (MappedElement e; staged.next(e);) store(e);
//
// One thread may read while another still adds (a first fill is written as it arrives): next()
// returns only what add() has published, which it does every 64 KiB, at publish(), and at the
// next add() after a reader found nothing (or asked, want_more()); a reader that finds nothing
// waits and asks again. rewind() is for when adding has ended.
//
// A record is binary (lengths, not delimiters): an element's text may hold any byte.
#pragma once

#include <atomic>
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

  // ---- the adding thread
  // Appends one element. Throws std::filesystem::filesystem_error when the file cannot be
  // created or written (a full or read-only $TMPDIR), naming the collection and what to check.
  void add(const storage::MappedElement& element);
  // Makes every element added so far readable by next().
  void publish();
  std::int64_t size() const { return count_; }

  // ---- the reading thread
  // Elements published so far (any thread may ask).
  std::int64_t published() const { return published_count_.load(std::memory_order_relaxed); }
  // Asks the adding thread to publish at its next add() (a reader waiting for the first ones).
  void want_more() { wanted_.store(true, std::memory_order_relaxed); }
  // Publishes what was added, and reads back from the first element. Only once adding ended.
  void rewind();
  // Fills `element` with the next published element (reusing its memory) and says whether
  // there was one; it throws as add() does when the file cannot be read.
  bool next(storage::MappedElement& element);

 private:
  [[noreturn]] void fail(const std::string& doing) const;
  // Has at least `bytes` unread bytes in in_, reading published ones from the file; false
  // when fewer are published.
  bool have(std::size_t bytes);

  std::string what_;
  std::FILE* file_ = nullptr;  // created by the first publish(); its descriptor is read with pread
  int fd_ = -1;

  // The adding thread's.
  std::int64_t count_ = 0;
  std::string out_;            // records added, not yet written
  std::uint64_t written_ = 0;  // bytes written to the file
  // Written by the adding thread, read by the reading one (release / acquire).
  std::atomic<std::uint64_t> published_bytes_{0};
  std::atomic<std::int64_t> published_count_{0};
  std::atomic<bool> wanted_{false};  // a reader found nothing: publish at the next add()

  // The reading thread's.
  std::string in_;          // bytes read from the file, not yet taken
  std::size_t in_at_ = 0;   // the first of them not taken
  std::uint64_t read_ = 0;  // bytes read from the file
};

}  // namespace clevertim::sync
