#include "sync/staged_elements.h"

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
  if (file_ == nullptr) {
    // Unlinked: gone when closed, even after a crash.
    file_ = std::tmpfile();
    if (file_ == nullptr) fail("create");
  }
  record_.clear();
  put(record_, e.id);
  put(record_, e.raw_hash);
  put(record_, static_cast<std::uint32_t>(e.cells.size()));
  for (const Cell& cell : e.cells) {
    if (const auto* i = std::get_if<std::int64_t>(&cell)) {
      put(record_, kInteger);
      put(record_, *i);
    } else if (const auto* d = std::get_if<double>(&cell)) {
      put(record_, kReal);
      put(record_, *d);
    } else if (const auto* s = std::get_if<std::string>(&cell)) {
      put(record_, kText);
      put_text(record_, *s);
    } else {
      put(record_, kNull);
    }
  }
  put(record_, static_cast<std::uint32_t>(e.warnings.size()));
  for (const std::string& w : e.warnings) put_text(record_, w);
  put_text(record_, e.raw);
  const auto size = static_cast<std::uint64_t>(record_.size());
  if (std::fwrite(&size, sizeof size, 1, file_) != 1 ||
      std::fwrite(record_.data(), 1, record_.size(), file_) != record_.size())
    fail("write");
  ++count_;
}

void StagedElements::rewind() {
  if (file_ != nullptr) std::rewind(file_);
}

bool StagedElements::next(storage::MappedElement& e) {
  if (file_ == nullptr) return false;
  std::uint64_t size = 0;
  if (std::fread(&size, sizeof size, 1, file_) != 1) {
    if (std::ferror(file_)) fail("read");
    return false;
  }
  record_.resize(size);
  if (std::fread(record_.data(), 1, size, file_) != size) fail("read");
  Reader in(record_);
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
