// Streaming gzip decoding (Content-Encoding: gzip): compressed chunks in, decoded chunks out
// through a callback, with a fixed output buffer, so a large body is never whole in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace clevertim::sync {

class GzipInflater {
 public:
  using Sink = std::function<void(std::string_view decoded)>;

  // `out_chunk` bounds every piece handed to the sink.
  explicit GzipInflater(Sink sink, std::size_t out_chunk = std::size_t{64} * 1024);
  ~GzipInflater();
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;

  // Decodes the next compressed bytes. Returns a description when they are not valid gzip.
  std::optional<std::string> write(std::string_view compressed);
  // The input ended: reports a stream cut short (no gzip trailer).
  std::optional<std::string> finish();

  std::uint64_t decoded_bytes() const { return decoded_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  Sink sink_;
  std::uint64_t decoded_ = 0;
};

}  // namespace clevertim::sync
