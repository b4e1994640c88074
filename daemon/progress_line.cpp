#include "daemon/progress_line.h"

namespace clevertim::daemon {

ProgressLine::Collection& ProgressLine::collection(std::string_view resource) {
  if (current_.name != resource) {
    auto start = started_.find(resource);
    if (start == started_.end())
      start = started_.emplace(std::string(resource), std::chrono::steady_clock::now()).first;
    current_ = Collection{std::string(resource), 0, 0, start->second};
  }
  return current_;
}

void ProgressLine::elements(std::string_view resource, std::int64_t count) {
  std::lock_guard lock(mutex_);
  collection(resource).elements = count;
  draw(false);
}

void ProgressLine::bytes(std::string_view resource, std::uint64_t count) {
  std::lock_guard lock(mutex_);
  collection(resource).bytes = count;
  draw(false);
}

void ProgressLine::finished(std::string_view resource, std::int64_t count, std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  Collection& c = collection(resource);
  c.elements = count;
  c.bytes = bytes;
  draw(true);
  std::fputc('\n', out_);  // the finished collection's line stays
  std::fflush(out_);
  shown_ = false;
  current_ = Collection{};
}

void ProgressLine::clear_for_message() {
  mutex_.lock();
  if (shown_) std::fputs("\r\033[K", out_);
}

void ProgressLine::redraw_after_message() {
  if (shown_) draw(true);
  mutex_.unlock();
}

std::string ProgressLine::text(const Collection& c) const {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - c.started).count();
  const double mb = static_cast<double>(c.bytes) / 1e6;
  char line[160];
  std::snprintf(line, sizeof line, "  %-12s %10lld elements %8.1f MB %7.1f MB/s", c.name.c_str(),
                static_cast<long long>(c.elements), mb, seconds > 0.05 ? mb / seconds : 0.0);
  return line;
}

void ProgressLine::draw(bool force) {
  if (current_.name.empty()) return;
  const auto now = std::chrono::steady_clock::now();
  // A terminal redrawn thousands of times a second shows nothing more, and costs the sync.
  if (!force && shown_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  std::fputs(("\r\033[K" + text(current_)).c_str(), out_);
  std::fflush(out_);
  shown_ = true;
}

void ProgressAwareSink::sink_it_(const spdlog::details::log_msg& msg) {
  line_.clear_for_message();
  inner_->log(msg);
  inner_->flush();
  line_.redraw_after_message();
}

}  // namespace clevertim::daemon
