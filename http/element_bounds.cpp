#include "http/element_bounds.h"

#include <algorithm>
#include <bit>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "http/nesting_marks.h"

namespace clevertim::sync::detail {
namespace {

constexpr std::string_view kLeadingId = R"({"id":)";
constexpr std::string_view kIdKey = R"("id":)";
constexpr std::size_t kMaxIdDigits = 18;  // any such number fits an int64

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Where the scan stands: inside a string or not, and how deep (the element itself is 1).
struct ScanState {
  bool in_string = false;
  std::size_t depth = 1;
};

// Follows bytes[from, to) a byte at a time. The end (one past the '}' closing the element) when
// it is there; otherwise where to go on from (`to`, or one past it after a backslash). With
// `stop_at_id_key`, a key "id" at depth 1 stops it, closed at 0. A backslash escapes the next
// byte wherever it is (in valid JSON, only inside strings), as the 64-byte steps have it.
struct Stop {
  bool closed = false;
  std::size_t at = 0;
};
Stop follow_bytes(std::string_view bytes, std::size_t from, std::size_t to, ScanState& s,
                  bool stop_at_id_key = false) {
  std::size_t i = from;
  for (; i < to; ++i) {
    const char c = bytes[i];
    if (!marks_nesting(c)) continue;
    if (c == '\\') {
      ++i;  // the escaped byte, whatever it is
    } else if (s.in_string) {
      s.in_string = c != '"';
    } else if (c == '"') {
      // A second "id" would be the one a parser keeps: not this element's id after all.
      if (stop_at_id_key && s.depth == 1 && bytes.substr(i, kIdKey.size()) == kIdKey)
        return {true, 0};
      s.in_string = true;
    } else if (c == '{' || c == '[') {
      ++s.depth;
    } else if (--s.depth == 0) {  // '}' or ']'
      return {true, i + 1};
    }
  }
  return {false, i};
}

#if defined(__SSE2__)
// 64 bytes as bit masks, bit k for byte k. `ids`: where `"id"` begins, wherever it is (reading
// up to 3 bytes past the 64).
struct Block {
  std::uint64_t quotes = 0, escapes = 0, opens = 0, closes = 0, ids = 0;
};
constexpr std::size_t kBlock = 64, kBlockReach = kBlock + 3;

Block classify(const char* p) {
  Block b;
  const __m128i quote = _mm_set1_epi8('"'), escape = _mm_set1_epi8('\\');
  const __m128i open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}');
  const __m128i case_bit = _mm_set1_epi8(0x20);  // '[' | 0x20 == '{', ']' | 0x20 == '}'
  const __m128i i = _mm_set1_epi8('i'), d = _mm_set1_epi8('d');
  auto load = [](const char* at) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at)); };
  for (std::size_t part = 0; part < 4; ++part) {
    const char* at = p + 16 * part;
    const __m128i v = load(at);
    const __m128i folded = _mm_or_si128(v, case_bit);
    auto bits = [&](__m128i eq) {
      return static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(eq)))
             << (16 * part);
    };
    const __m128i is_quote = _mm_cmpeq_epi8(v, quote);
    b.quotes |= bits(is_quote);
    b.escapes |= bits(_mm_cmpeq_epi8(v, escape));
    b.opens |= bits(_mm_cmpeq_epi8(folded, open));
    b.closes |= bits(_mm_cmpeq_epi8(folded, close));
    b.ids |= bits(_mm_and_si128(
        _mm_and_si128(is_quote, _mm_cmpeq_epi8(load(at + 1), i)),
        _mm_and_si128(_mm_cmpeq_epi8(load(at + 2), d), _mm_cmpeq_epi8(load(at + 3), quote))));
  }
  return b;
}

// Bit k: the parity of the bits 0..k of x.
std::uint64_t prefix_xor(std::uint64_t x) {
  for (int shift = 1; shift < 64; shift *= 2) x ^= x << shift;
  return x;
}

// The bytes a backslash escapes, given the backslashes of a step and whether its first byte is
// escaped by the step before (`carry`, updated for the next). A run of backslashes escapes
// every other byte from its first: the subtraction finds where each run of odd length ends.
// (The way simdjson finds them.)
std::uint64_t escaped_bytes(std::uint64_t backslashes, std::uint64_t& carry) {
  constexpr std::uint64_t kOddBits = 0xAAAAAAAAAAAAAAAAull;
  const std::uint64_t potential = backslashes & ~carry;
  const std::uint64_t ends = (((potential << 1) | kOddBits) - potential) ^ kOddBits;
  const std::uint64_t escaped = ends ^ (backslashes | carry);
  carry = (ends & backslashes) >> 63;
  return escaped;
}
#endif

// The end of the element whose '{' is bytes[0], following it from `from` (outside any string,
// at depth 1, past its leading "id"); npos when it does not close within `bytes`, or when it
// holds another top-level key "id".
std::size_t find_end(std::string_view bytes, std::size_t from) {
  ScanState s;
  std::size_t at = from;
  bool id_again = false;  // `"id"` seen where a step does not tell whether it is a key at depth 1
  // The end, unless the element holds another top-level "id" (rare: followed again a byte at a
  // time, which tells).
  auto unless_id_again = [&](std::size_t end) {
    ScanState again;
    if (id_again && follow_bytes(bytes, from, end, again, /*stop_at_id_key=*/true).at == 0)
      return std::string_view::npos;
    return end;
  };
#if defined(__SSE2__)
  // 64 bytes a step: which brackets lie outside strings follows from the parity of the quotes
  // that no backslash escapes.
  std::uint64_t carry = 0;  // the step's first byte is escaped
  while (at + kBlockReach <= bytes.size()) {
    const Block b = classify(bytes.data() + at);
    const std::uint64_t escaped = escaped_bytes(b.escapes, carry);
    const std::uint64_t quotes = b.quotes & ~escaped;
    std::uint64_t inside = prefix_xor(quotes);
    if (s.in_string) inside = ~inside;
    for (std::uint64_t brackets = (b.opens | b.closes) & ~inside & ~escaped; brackets != 0;
         brackets &= brackets - 1) {
      const int k = std::countr_zero(brackets);
      if ((b.opens >> k) & 1) {
        ++s.depth;
      } else if (--s.depth == 0) {
        // Only what lies before the end counts: the next element's "id" often follows it.
        id_again = id_again || (b.ids & ((std::uint64_t{1} << k) - 1)) != 0;
        return unless_id_again(at + static_cast<std::size_t>(k) + 1);
      }
    }
    id_again = id_again || b.ids != 0;
    s.in_string ^= (std::popcount(quotes) & 1) != 0;
    at += kBlock;
  }
  at += carry;
#endif
  const Stop stop = follow_bytes(bytes, at, bytes.size(), s, /*stop_at_id_key=*/true);
  if (!stop.closed || stop.at == 0) return std::string_view::npos;
  return unless_id_again(stop.at);
}

}  // namespace

std::optional<LeadingIdElement> find_element_with_leading_id(std::string_view bytes,
                                                             std::uint64_t max_size) {
  if (!bytes.starts_with(kLeadingId)) return std::nullopt;
  std::size_t i = kLeadingId.size();
  if (i == bytes.size() || bytes[i] < '1' || bytes[i] > '9') return std::nullopt;
  LeadingIdElement found;
  const std::size_t digits_from = i;
  for (; i < bytes.size() && is_digit(bytes[i]); ++i) {
    if (i - digits_from == kMaxIdDigits) return std::nullopt;
    found.id = found.id * 10 + (bytes[i] - '0');
  }
  if (i == bytes.size() || (bytes[i] != ',' && bytes[i] != '}')) return std::nullopt;
  const std::string_view within = bytes.substr(0, std::min<std::uint64_t>(bytes.size(), max_size));
  found.size = find_end(within, i);
  if (found.size == std::string_view::npos) return std::nullopt;
  return found;
}

}  // namespace clevertim::sync::detail
