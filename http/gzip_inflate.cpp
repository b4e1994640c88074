#include "http/gzip_inflate.h"

#include <zlib.h>

#include <limits>
#include <vector>

namespace clevertim::sync {

struct GzipInflater::State {
  z_stream z{};
  std::vector<unsigned char> out;
  bool ended = false;  // saw the end of a gzip member
  bool failed = false;
};

GzipInflater::GzipInflater(Sink sink, std::size_t out_chunk)
    : state_(std::make_unique<State>()), sink_(std::move(sink)) {
  state_->out.resize(out_chunk == 0 ? 1 : out_chunk);
  // 16 + MAX_WBITS: expect a gzip header and trailer, not raw zlib.
  if (inflateInit2(&state_->z, 16 + MAX_WBITS) != Z_OK) state_->failed = true;
}

GzipInflater::~GzipInflater() {
  inflateEnd(&state_->z);
}

std::optional<std::string> GzipInflater::write(std::string_view compressed) {
  State& s = *state_;
  if (s.failed) return "gzip decoder is in a failed state";
  while (!compressed.empty()) {
    if (s.ended) {
      // Concatenated gzip members are valid gzip: start the next one.
      if (inflateReset(&s.z) != Z_OK) return s.failed = true, "gzip reset failed";
      s.ended = false;
    }
    const std::size_t take =
        std::min<std::size_t>(compressed.size(), std::numeric_limits<uInt>::max());
    s.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    s.z.avail_in = static_cast<uInt>(take);
    int rc = Z_OK;
    do {
      s.z.next_out = s.out.data();
      s.z.avail_out = static_cast<uInt>(s.out.size());
      rc = inflate(&s.z, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        s.failed = true;
        return std::string("invalid gzip data: ") + (s.z.msg ? s.z.msg : "inflate failed");
      }
      const std::size_t produced = s.out.size() - s.z.avail_out;
      if (produced > 0) {
        decoded_ += produced;
        sink_(std::string_view(reinterpret_cast<const char*>(s.out.data()), produced));
      }
      if (rc == Z_STREAM_END) {
        s.ended = true;
        break;
      }
      // Z_BUF_ERROR with input left and no output would spin: it means no progress possible.
      if (rc == Z_BUF_ERROR && produced == 0) break;
    } while (s.z.avail_in > 0 || s.z.avail_out == 0);
    compressed.remove_prefix(take - s.z.avail_in);
    if (!s.ended && s.z.avail_in > 0) {
      s.failed = true;
      return "invalid gzip data: decoder stalled";
    }
  }
  return std::nullopt;
}

std::optional<std::string> GzipInflater::finish() {
  if (state_->failed) return "gzip decoder is in a failed state";
  if (!state_->ended) return "gzip data ends early (no trailer)";
  return std::nullopt;
}

}  // namespace clevertim::sync
