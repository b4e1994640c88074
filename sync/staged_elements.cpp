#include "sync/staged_elements.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <type_traits>

namespace clevertim::sync {
namespace {

using storage::Cell;

enum Tag : char { kNull, kInteger, kReal, kText };

// How much is added before it is written out and published: a reader following a first fill
// gets elements a few hundred at a time, and the adding thread makes one system call for them.
constexpr std::size_t kPublishEvery = std::size_t{64} * 1024;

template <class T>
void put(std::string& out, T value) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}
void put_text(std::string& out, std::string_view text) {
  put(out, static_cast<std::uint32_t>(text.size()));
  out.append(text);
}

// Reads a record written by add(); any inconsistency is a damaged file.
class Reader {
 public:
  explicit Reader(std::string_view record) : rest_(record) {}
  template <class T>
  T get() {
    T value;
    take(&value, sizeof value);
    return value;
  }
  void get_text(std::string& out) {
    const auto size = get<std::uint32_t>();
    if (size > rest_.size()) throw std::runtime_error("a staged record ends early");
    out.assign(rest_.data(), size);
    rest_.remove_prefix(size);
  }
  bool done() const { return rest_.empty(); }

 private:
  void take(void* to, std::size_t size) {
    if (size > rest_.size()) throw std::runtime_error("a staged record ends early");
    std::memcpy(to, rest_.data(), size);
    rest_.remove_prefix(size);
  }
  std::string_view rest_;
};

void read_cell(Reader& in, Cell& cell) {
  switch (in.get<char>()) {
    case kNull:
      cell = std::monostate{};
      return;
    case kInteger:
      cell = in.get<std::int64_t>();
      return;
    case kReal:
      cell = in.get<double>();
      return;
    case kText:
      if (!std::holds_alternative<std::string>(cell)) cell = std::string();
      in.get_text(std::get<std::string>(cell));  // reuses the cell's memory
      return;
    default:
      throw std::runtime_error("a staged record holds an unknown cell type");
  }
}

}  // namespace

StagedElements::StagedElements(std::string_view what) : what_(what) {}

StagedElements::~StagedElements() {
  if (file_ != nullptr) std::fclose(file_);
}

void StagedElements::fail(const std::string& doing) const {
  throw std::filesystem::filesystem_error("cannot " + doing + " the " + what_ +
                                              " pull's staging file; check that $TMPDIR is " +
                                              "writable and has space",
                                          std::error_code(errno, std::generic_category()));
}

void StagedElements::add(const storage::MappedElement& e) {
  const std::size_t at = out_.size();
  put(out_, std::uint64_t{0});  // the record's size, known at its end
  put(out_, e.id);
  put(out_, e.raw_hash);
  put(out_, static_cast<std::uint32_t>(e.cells.size()));
  for (const Cell& cell : e.cells) {
    if (const auto* i = std::get_if<std::int64_t>(&cell)) {
      put(out_, kInteger);
      put(out_, *i);
    } else if (const auto* d = std::get_if<double>(&cell)) {
      put(out_, kReal);
      put(out_, *d);
    } else if (const auto* s = std::get_if<std::string>(&cell)) {
      put(out_, kText);
      put_text(out_, *s);
    } else {
      put(out_, kNull);
    }
  }
  put(out_, static_cast<std::uint32_t>(e.warnings.size()));
  for (const std::string& w : e.warnings) put_text(out_, w);
  put_text(out_, e.raw);
  const auto size = static_cast<std::uint64_t>(out_.size() - at - sizeof(std::uint64_t));
  std::memcpy(out_.data() + at, &size, sizeof size);
  ++count_;
  if (out_.size() >= kPublishEvery || wanted_.load(std::memory_order_relaxed)) publish();
}

void StagedElements::publish() {
  wanted_.store(false, std::memory_order_relaxed);
  if (out_.empty()) return;
  if (file_ == nullptr) {
    // Unlinked: gone when closed, even after a crash.
    file_ = std::tmpfile();
    if (file_ == nullptr) fail("create");
    fd_ = fileno(file_);
  }
  for (std::size_t done = 0; done < out_.size();) {
    const ssize_t n =
        ::pwrite(fd_, out_.data() + done, out_.size() - done, static_cast<off_t>(written_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("write");
    done += static_cast<std::size_t>(n);
  }
  written_ += out_.size();
  out_.clear();
  published_count_.store(count_, std::memory_order_relaxed);
  published_bytes_.store(written_, std::memory_order_release);
}

void StagedElements::rewind() {
  publish();
  in_.clear();
  in_at_ = 0;
  read_ = 0;
}

bool StagedElements::have(std::size_t bytes) {
  while (in_.size() - in_at_ < bytes) {
    const std::uint64_t published = published_bytes_.load(std::memory_order_acquire);
    if (published == read_) {
      want_more();
      return false;
    }
    in_.erase(0, in_at_);
    in_at_ = 0;
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(
        published - read_, std::max<std::uint64_t>(kPublishEvery, bytes - in_.size())));
    const std::size_t had = in_.size();
    in_.resize(had + want);
    const ssize_t n = ::pread(fd_, in_.data() + had, want, static_cast<off_t>(read_));
    if (n < 0 && errno == EINTR) {
      in_.resize(had);
      continue;
    }
    if (n <= 0) fail("read");
    in_.resize(had + static_cast<std::size_t>(n));
    read_ += static_cast<std::uint64_t>(n);
  }
  return true;
}

bool StagedElements::next(storage::MappedElement& e) {
  std::uint64_t size = 0;
  if (!have(sizeof size)) return false;
  std::memcpy(&size, in_.data() + in_at_, sizeof size);
  // A record is published whole: its size read, the rest is there.
  if (!have(sizeof size + size)) throw std::runtime_error("a staged record ends early");
  Reader in(std::string_view(in_).substr(in_at_ + sizeof size, size));
  in_at_ += sizeof size + size;
  e.id = in.get<std::int64_t>();
  e.raw_hash = in.get<std::int64_t>();
  e.cells.resize(in.get<std::uint32_t>());
  for (Cell& cell : e.cells) read_cell(in, cell);
  e.warnings.resize(in.get<std::uint32_t>());
  for (std::string& w : e.warnings) in.get_text(w);
  in.get_text(e.raw);
  if (!in.done()) throw std::runtime_error("a staged record is longer than it says");
  return true;
}

}  // namespace clevertim::sync
