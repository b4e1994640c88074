// The first sync's progress on a terminal: one line redrawn in place as a collection streams in
// (elements, megabytes, rate), a line kept per finished collection, and log messages printed
// above the line instead of through it.
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace clevertim::daemon {

class ProgressLine {
 public:
  explicit ProgressLine(std::FILE* out) : out_(out) {}

  // What arrived so far of `resource`: its elements, or its body bytes.
  void elements(std::string_view resource, std::int64_t count);
  void bytes(std::string_view resource, std::uint64_t count);
  // `resource` arrived whole: its line stays.
  void finished(std::string_view resource, std::int64_t count, std::uint64_t bytes);

  // Around a log message: the line is cleared before it and drawn again after it.
  void clear_for_message();
  void redraw_after_message();

 private:
  struct Collection {
    std::string name;
    std::int64_t elements = 0;
    std::uint64_t bytes = 0;
    std::chrono::steady_clock::time_point started;
  };
  Collection& collection(std::string_view resource);
  void draw(bool force);  // with mutex_ held
  std::string text(const Collection& c) const;

  std::FILE* out_;
  std::mutex mutex_;
  Collection current_;
  // When each collection's first news came: two stream at once, and the line follows the one
  // that spoke last, so a rate needs each one's own start.
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> started_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

// A log sink that prints through `inner`, keeping a ProgressLine below the messages.
class ProgressAwareSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ProgressAwareSink(spdlog::sink_ptr inner, ProgressLine& line)
      : inner_(std::move(inner)), line_(line) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override { inner_->flush(); }

 private:
  spdlog::sink_ptr inner_;
  ProgressLine& line_;
};

}  // namespace clevertim::daemon
