// The canonical path of EnvelopeStream (take_canonical_bytes): elements already written as the
// compact writer writes them are handed over from their bytes, without the parser. It must be a
// pure optimization: on any body, split anywhere, the taker, the sink, every count and every
// error are the same with it on and off. Checked here on random bodies full of hostile elements.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "http/canonical_element.h"
#include "http/element_bounds.h"
#include "http/json_stream.h"

namespace json = boost::json;
using clevertim::sync::CompactTaker;
using clevertim::sync::EnvelopeStream;
using clevertim::sync::kMaxElementDepth;
using clevertim::sync::StreamError;
using clevertim::sync::detail::CanonicalReader;
using clevertim::sync::detail::find_element_with_leading_id;

namespace {

// ---- random bodies

class BodyMaker {
 public:
  explicit BodyMaker(unsigned seed) : rng_(seed) {}

  // An envelope of elements, most canonical, many hostile; sometimes with other top-level keys
  // holding objects at an element's depth, sometimes broken or cut short.
  std::string body() {
    std::string out = "{";
    if (chance(4)) out += R"("meta":[{"id":7},{"id":8}],)";  // not `content`: never offered
    if (chance(2)) out += R"("status":"OK",)";
    out += R"("content":[)";
    const int n = static_cast<int>(rng_() % 12);
    for (int i = 0; i < n; ++i) {
      if (i > 0) out += chance(20) ? " , " : ",";
      if (chance(30)) out += "\n ";
      out += element();
    }
    if (chance(40)) out += ",,";  // invalid JSON
    out += "]";
    if (chance(4)) out += R"(,"more":[{"id":7},{"id":8}])";  // after `content`: never offered
    if (!out.starts_with(R"({"status")") &&
        !out.starts_with(R"({"meta":[{"id":7},{"id":8}],"status")"))
      out += R"(,"status":"OK")";
    out += "}";
    if (chance(8)) out.resize(rng_() % (out.size() + 1));  // truncated
    if (chance(30)) out += R"( x{"content":[{"id":1}]})";  // data after the end
    return out;
  }

  // Cut points for feeding `body` in pieces: none, one per byte, or random.
  std::vector<std::string_view> split(std::string_view body) {
    std::vector<std::string_view> pieces;
    const unsigned how = rng_() % 4;
    std::size_t at = 0;
    while (at < body.size()) {
      std::size_t step = body.size();
      if (how == 1) step = 1;
      if (how >= 2) step = 1 + rng_() % (how == 2 ? 16 : 400);
      pieces.push_back(body.substr(at, step));
      at += std::min(step, body.size() - at);
    }
    return pieces;
  }

  std::uint64_t limit() {
    return chance(3) ? 64 + rng_() % 400 : std::numeric_limits<std::uint64_t>::max();
  }

 private:
  bool chance(unsigned one_in) { return rng_() % one_in == 0; }

  std::string element() {
    switch (rng_() % 10) {
      case 0:
        return hostile_object();
      case 1:
        return chance(2) ? "[1,2]" : chance(2) ? R"("a string")" : "42";  // not objects
      case 2:
        return deep(kMaxElementDepth - 2 + rng_() % 5);
      default:
        return json::serialize(canonical_object());
    }
  }

  // What a server sends: serialize's own output, so canonical unless mutated.
  json::value canonical_object() {
    json::object o;
    if (!chance(8)) o["id"] = id();
    const int fields = static_cast<int>(rng_() % 6);
    for (int i = 0; i < fields; ++i) o[key()] = value(0);
    return o;
  }

  json::value id() {
    switch (rng_() % 8) {
      case 0:
        return json::value(json::string(std::string(1 + rng_() % 80, 'i')));  // long string id
      case 1:
        return json::value("s" + std::to_string(rng_() % 5));
      case 2:
        return json::value(-static_cast<std::int64_t>(rng_() % 3));
      case 3:
        return json::value(nullptr);
      default:
        return json::value(static_cast<std::int64_t>(rng_() % 20));  // repeats: declined
    }
  }

  std::string key() {
    static const std::vector<std::string> keys = {"fn", "ln", "id", "a\"b", "é", "", "x\ny", "k"};
    return keys[rng_() % keys.size()];
  }

  json::value value(int depth) {
    switch (rng_() % (depth > 2 ? 6 : 8)) {
      case 0:
        return json::value(static_cast<std::int64_t>(rng_()) - (1LL << 31));
      case 1: {
        static const std::vector<json::value> numbers = {
            json::value(std::numeric_limits<std::int64_t>::min()),
            json::value(std::numeric_limits<std::uint64_t>::max()),
            json::value(1.5),
            json::value(-0.0),
            json::value(0.1),
            json::value(1e300),
            json::value(static_cast<double>(rng_()) / 7.0)};
        return numbers[rng_() % numbers.size()];
      }
      case 2:
        return chance(2) ? json::value(true) : json::value(nullptr);
      case 3:
      case 4:
      case 5:
        return json::value(text());
      case 6: {
        json::array a;
        for (unsigned i = rng_() % 4; i > 0; --i) a.push_back(value(depth + 1));
        return a;
      }
      default: {
        json::object o;
        for (unsigned i = rng_() % 4; i > 0; --i) o[key()] = value(depth + 1);
        return o;
      }
    }
  }

  std::string text() {
    static const std::vector<std::string> parts = {
        "Ann", " ",  "é",  "日本", "\xf0\x9f\x98\x80",   "\"",   "\\",   "\n",
        "\t",  "\b", "\f", "\r",   std::string(1, '\0'), "\x1f", "\x7f", "/"};
    std::string s;
    for (unsigned i = rng_() % 5; i > 0; --i) s += parts[rng_() % parts.size()];
    return s;
  }

  // An object with something the compact writer would not write, or that is not JSON at all.
  std::string hostile_object() {
    static const std::vector<std::string> oddities = {
        R"("s":"\u00e9")", R"("s":"\/")", R"("s":"\u0000")", R"("s":"\u0008")", R"("s":"\u001F")",
        R"("s":"\ud83d\ude00")", R"("s":"\ud800")", R"("s":"\udc00x")", "\"s\":\"\xff\"",
        "\"s\":\"\xc3\"", "\"s\":\"\xed\xa0\x80\"", "\"s\":\"\x01\"", R"( "s":1)", R"("s" :1)",
        R"("s": 1)", R"("s":[1 ,2])", R"("n":1.0)", R"("n":1.5)", R"("n":1.5E0)", R"("n":1e400)",
        R"("n":-0)", R"("n":-0.0)", R"("n":+1)", R"("n":01)", R"("n":1.)",
        R"("n":18446744073709551616)", R"("n":-9223372036854775809)", R"("n":9223372036854775808)",
        R"("id":1,"id":2)", R"("id":1,"id":[2])", R"("id":"a","id":true)", R"("id":"\u0041")",
        R"("id":2.5E0)", R"("id":-0)", R"("id":9223372036854775808)", R"("n":tru)", R"("n":nul)",
        R"("n":true1)", R"("s":"a",)", R"("id":3})", R"("a":{"b":[{}]})", R"("id")",
        // Tokens Boost 1.81 reads otherwise near the end of its input.
        R"("n":123456789.123456789)", R"("n":9500000000000001.5)", R"("n":1.2345678901234567E8)",
        R"("n":12345678901234567890123)", R"("n":nul)", R"("n":fals)", R"("s":"\u")",
        R"("s":"\ud800\u0041")", R"("s":"\uZZZZ")", R"("s":"\x")", R"("n":1.e5)", R"("n":1e)"};
    std::string out = "{";
    if (chance(2)) out += R"("id":)" + std::to_string(rng_() % 20) + ",";
    out += oddities[rng_() % oddities.size()];
    if (chance(2)) out += R"(,"z":[true,false,null,{}])";
    return out + (chance(15) ? "  }" : "}");
  }

  std::string deep(std::size_t levels) {
    std::string out = R"({"id":)" + std::to_string(rng_() % 20) + R"(,"d":)";
    for (std::size_t i = 1; i < levels; ++i) out += chance(2) ? "[" : R"({"k":)";
    out += "0";
    for (std::size_t i = out.size(); i > 0; --i) {
      if (out[i - 1] == '[') out += ']';
      if (out[i - 1] == ':' && out.compare(i - 4, 3, "\"k\"") == 0) out += '}';
    }
    return out + "}";
  }

  std::mt19937 rng_;
};

// ---- what a stream did, in order

struct Trace {
  std::vector<std::string> events;
  std::uint64_t not_parsed = 0;
  std::uint64_t matched_stored = 0;
  bool operator==(const Trace& other) const { return events == other.events; }
};

std::string describe(const std::optional<StreamError>& e) {
  if (!e) return "ok";
  return std::to_string(static_cast<int>(e->kind)) + " " + e->message;
}

// Texts a mirror holds, by id: compact, valid, each with its own id (as a pull stores them).
using Stored = std::map<std::int64_t, std::string>;

// `stored` given: the taker also has a same_as_stored(), which takes exactly what the taker
// would take, when the bytes are the stored text, and says so as the taker would.
Trace run(const std::vector<std::string_view>& pieces, std::uint64_t limit, bool canonical,
          const Stored* stored = nullptr) {
  Trace t;
  std::unordered_set<std::int64_t> seen;
  EnvelopeStream stream([&](json::value&& v) { t.events.push_back("sink " + json::serialize(v)); });
  // Like ResourcePull::accept_compact: a usable id, once; and some declined on a whim.
  auto would_take = [&](std::int64_t id, std::string_view compact) {
    return id > 0 && !seen.contains(id) && compact.size() % 5 != 0;
  };
  CompactTaker taker([&](const json::value& id, std::string_view compact) {
    const bool take = id.is_int64() && would_take(id.get_int64(), compact);
    if (take) seen.insert(id.get_int64());
    t.events.push_back("offer " + json::serialize(id) + " " + std::string(compact) +
                       (take ? " taken" : " declined"));
    return take;
  });
  if (stored != nullptr)
    taker.same_as_stored = [&](std::int64_t id, std::string_view bytes) {
      const auto it = stored->find(id);
      if (it == stored->end() || it->second != bytes || !would_take(id, bytes)) return false;
      seen.insert(id);
      ++t.matched_stored;
      t.events.push_back("offer " + std::to_string(id) + " " + std::string(bytes) + " taken");
      return true;
    };
  stream.offer_compact_first(std::move(taker));
  stream.take_canonical_bytes(canonical);
  stream.limit_element_size(limit);
  std::optional<StreamError> e;
  for (std::string_view p : pieces) {
    if ((e = stream.write(p))) break;
  }
  t.events.push_back("write " + describe(e));
  if (!e) t.events.push_back("finish " + describe(stream.finish()));
  t.events.push_back("check_ok " + describe(stream.check_ok(true)));
  t.events.push_back("counts " + std::to_string(stream.elements()) + " " +
                     std::to_string(stream.taken_as_text()) + " " + std::to_string(stream.bytes()) +
                     " " + std::to_string(stream.largest_write()) + " " +
                     std::to_string(stream.has_content()) + " " + stream.status().value_or("-") +
                     " " + stream.error().value_or("-"));
  t.not_parsed = stream.elements_not_parsed();
  return t;
}

// The first event where two traces part, for the failure message.
std::string first_difference(const Trace& a, const Trace& b) {
  for (std::size_t i = 0; i < std::max(a.events.size(), b.events.size()); ++i) {
    const std::string x = i < a.events.size() ? a.events[i] : "(none)";
    const std::string y = i < b.events.size() ? b.events[i] : "(none)";
    if (x != y) return "event " + std::to_string(i) + ":\n  on:  " + x + "\n  off: " + y;
  }
  return "none";
}

// Calls `check(seed, pieces, limit)` for 20000 random bodies, each split and limited at random.
constexpr unsigned kBodies = 20000;
void for_each_random_body(const std::function<void(unsigned, const std::vector<std::string_view>&,
                                                   std::uint64_t)>& check) {
  for (unsigned seed = 0; seed < kBodies; ++seed) {
    BodyMaker make(seed);
    const std::string body = make.body();
    const auto pieces = make.split(body);
    const std::uint64_t limit = make.limit();
    CAPTURE(seed);
    CAPTURE(body);
    check(seed, pieces, limit);
  }
}

}  // namespace

TEST_CASE("canonical path: the same taker, sink, counts and errors with it on and off") {
  std::uint64_t not_parsed = 0, offered = 0, bodies_ok = 0;
  for_each_random_body([&](unsigned, const auto& pieces, std::uint64_t limit) {
    const Trace on = run(pieces, limit, true);
    const Trace off = run(pieces, limit, false);
    REQUIRE_MESSAGE(on.events == off.events, first_difference(on, off));
    CHECK(off.not_parsed == 0);
    not_parsed += on.not_parsed;
    for (const auto& e : on.events) {
      offered += e.starts_with("offer ");
      bodies_ok += e == "finish ok";
    }
  });
  // The comparison means something only if the canonical path was taken often, and bodies were
  // read to their end as often as they failed.
  MESSAGE("elements not parsed: " << not_parsed << " of " << offered << " offered; " << bodies_ok
                                  << " bodies read whole");
  CHECK(not_parsed > offered / 10);
  CHECK(bodies_ok > kBodies / 4);
}

// What the run took, as a mirror would have stored it: each taken element's compact text by id,
// the first one of each id.
Stored taken_texts(const Trace& trace) {
  Stored out;
  for (const std::string& e : trace.events) {
    if (!e.starts_with("offer ") || !e.ends_with(" taken")) continue;
    const std::string rest = e.substr(6, e.size() - 6 - 6);
    const std::size_t space = rest.find(' ');
    out.emplace(std::stoll(rest.substr(0, space)), rest.substr(space + 1));
  }
  return out;
}

TEST_CASE("stored texts: elements matched by their bytes alone change nothing but the work") {
  // The mirror of a re-sync: some elements stored exactly as the list now sends them, some
  // stored otherwise (changed since, by a byte or more), some not at all; and texts of ids the
  // list does not hold.
  std::uint64_t matched = 0, taken = 0;
  for_each_random_body([&](unsigned seed, const auto& pieces, std::uint64_t limit) {
    const Trace off = run(pieces, limit, false);
    std::mt19937 rng(seed);
    Stored stored;
    for (auto& [id, text] : taken_texts(off)) {
      switch (rng() % 4) {
        case 0:
          break;  // not stored
        case 1:
          stored[id] = text.substr(0, text.size() - 1) + R"(,"x":1})";  // changed since
          break;
        default:
          stored[id] = text;
      }
    }
    stored[20 + rng() % 5] = R"({"id":21})";
    // What the body holds outside `content` is never an element, stored or not.
    stored.emplace(7, R"({"id":7})");
    stored.emplace(8, R"({"id":8})");
    const Trace matching = run(pieces, limit, true, &stored);
    REQUIRE_MESSAGE(matching.events == off.events, first_difference(matching, off));
    matched += matching.matched_stored;
    for (const auto& e : off.events) taken += e.starts_with("offer ") && e.ends_with(" taken");
  });
  // Half of the taken elements are stored as they are; those whole in one piece, after enough
  // bytes for the parser (see take_if_canonical), are matched: the comparison means something
  // only if that happened often.
  MESSAGE("elements matched by their stored text: " << matched << " of " << taken << " taken");
  CHECK(matched > taken / 20);
}

TEST_CASE("element bounds: the extent and the leading id, found without parsing") {
  const std::string text = R"({"id":42,"s":"a}\"]\\","o":{"id":7,"l":[{},[]]},"t":"\"id\":"})";
  auto e = find_element_with_leading_id(text + R"(,{"id":43})", 1000);
  REQUIRE(e);
  CHECK(e->size == text.size());
  CHECK(e->id == 42);
  CHECK(find_element_with_leading_id(R"({"id":1})", 8)->size == 8);
  CHECK(find_element_with_leading_id(R"({"id":999999999999999999})", 100)->id ==
        999999999999999999);
  // Not answered: no leading "id", an id that is not a positive integer written plainly, a
  // second top-level "id" (a parser keeps that one), an end not within the bytes or the limit.
  const std::vector<std::string> not_answered = {
      R"({"x":1,"id":2})",  R"({ "id":1})",
      R"({"id" :1})",       R"({"id":0})",
      R"({"id":-1})",       R"({"id":01})",
      R"({"id":1.5})",      R"({"id":1e3})",
      R"({"id":"1"})",      R"({"id":1000000000000000000})",
      R"({"id":1,"id":2})", R"({"id":1,"a":0,"id":[2]})",
      R"({"id":1,"s":"}")", R"({"id":1,"o":{})",
      R"({"id":1)",         R"({"id":)",
      R"({"id":1,"s":"\"})"};
  for (const std::string& bytes : not_answered) {
    CAPTURE(bytes);
    CHECK_FALSE(find_element_with_leading_id(bytes, 1000));
  }
  CHECK_FALSE(find_element_with_leading_id(R"({"id":1,"x":"abcdef"})", 20));
  CHECK(find_element_with_leading_id(R"({"id":1,"x":"abcdef"})", 21));
}

// The rules of element_bounds.h a byte at a time, as plainly as they can be written.
std::optional<std::pair<std::size_t, std::int64_t>> leading_id_element(std::string_view bytes,
                                                                       std::uint64_t max_size) {
  std::size_t i = 6;
  if (!bytes.starts_with(R"({"id":)") || i == bytes.size() || bytes[i] < '1' || bytes[i] > '9')
    return std::nullopt;
  std::int64_t id = 0;
  for (; i < bytes.size() && bytes[i] >= '0' && bytes[i] <= '9'; ++i) {
    if (i == 6 + 18) return std::nullopt;
    id = id * 10 + (bytes[i] - '0');
  }
  if (i == bytes.size() || (bytes[i] != ',' && bytes[i] != '}')) return std::nullopt;
  bool in_string = false;
  std::size_t depth = 1;
  for (; i < bytes.size() && i < max_size; ++i) {
    const char c = bytes[i];
    if (c == '\\') {  // escapes the next byte, even outside a string (not JSON then)
      ++i;
    } else if (in_string) {
      in_string = c != '"';
    } else if (c == '"') {
      if (depth == 1 && bytes.substr(i, 5) == R"("id":)") return std::nullopt;
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return std::pair{i + 1, id};
    }
  }
  return std::nullopt;
}

TEST_CASE("element bounds: the same answers as the rules followed a byte at a time") {
  // Long runs (the scan takes 64 bytes a step) of the bytes that matter, strings among them.
  const std::vector<std::string> parts = {"\"",
                                          "\\",
                                          "\\\"",
                                          "{",
                                          "}",
                                          "[",
                                          "]",
                                          ",",
                                          ":",
                                          "abcdefghijklmnopqrstuvwxyz",
                                          "\"id\":",
                                          "\"k\":\"v\"",
                                          "\"s\":\"a}]\\\"[{\"",
                                          "é",
                                          std::string(1, '\0')};
  std::mt19937 rng(7);
  std::uint64_t found = 0, beyond_a_step = 0;
  for (int n = 0; n < 200000; ++n) {
    std::string bytes = R"({"id":)" + std::to_string(1 + rng() % 1000) + (rng() % 2 ? "," : "}");
    for (unsigned k = rng() % 200; k > 0; --k) {
      const std::string& part = parts[rng() % parts.size()];
      if ((part == "}" || part == "]") && rng() % 8 != 0) continue;  // longer elements
      bytes += part;
    }
    const std::uint64_t limit = rng() % 4 == 0 ? rng() % 400 : 1u << 20;
    CAPTURE(bytes);
    CAPTURE(limit);
    const auto expected = leading_id_element(bytes, limit);
    const auto got = find_element_with_leading_id(bytes, limit);
    REQUIRE(got.has_value() == expected.has_value());
    if (!got) continue;
    ++found;
    beyond_a_step += got->size > 64 + 6;
    CHECK(got->size == expected->first);
    CHECK(got->id == expected->second);
  }
  MESSAGE(found << " elements found whole, " << beyond_a_step << " of them past the first step");
  CHECK(found > 200000 / 10);
  CHECK(beyond_a_step > found / 20);
}

TEST_CASE("canonical path: serialize's own output is proven canonical, with its id") {
  CanonicalReader reader;
  const std::string text =
      json::serialize(json::parse(R"({"id":12,"s":"a\"\\\b\f\n\r\t\u0001\u001f\u007f é 日本",)"
                                  R"("n":[0,-1,9223372036854775807,-9223372036854775808,)"
                                  R"(18446744073709551615,1.5,-2.5E-7,1E300],"o":{},"a":[],)"
                                  R"("l":[true,false,null,{"x":[[]]}]})"));
  const auto e = reader.read(text + ",");
  REQUIRE(e);
  CHECK(e->size == text.size());
  CHECK(e->id == json::value(12));
  CHECK(reader.read(R"({"id":"abc"})")->id == json::value("abc"));
  CHECK(reader.read(R"({"id":true,"x":1})")->id == json::value(true));
  CHECK(reader.read(R"({"x":1})")->id.is_null());
  CHECK(reader.read(R"({"id":1,"id":2})")->id == json::value(2));    // the last one, as parsed
  CHECK(reader.read(R"({"id":1,"id":[2]})")->id == json::value(1));  // a container is no id
  CHECK(reader.read(R"({"id":18446744073709551615})")->id.is_uint64());
  CHECK(reader.read(R"({"id":9223372036854775807})")->id.is_int64());
  // A string id is cut at 64 bytes, as the handler cuts it.
  const std::string long_id(80, 'x');
  CHECK(reader.read(R"({"id":")" + long_id + R"("})")->id == json::value(long_id.substr(0, 64)));
}

TEST_CASE("canonical path: anything the writer would write otherwise is not proven") {
  CanonicalReader reader;
  const std::vector<std::string> bad_ones = {R"({"id":1 })",
                                             R"({ "id":1})",
                                             R"({"id" :1})",
                                             R"({"s":"\/"})",
                                             R"({"s":"\u00e9"})",
                                             R"({"s":"\u0008"})",
                                             R"({"s":"\u001F"})",
                                             R"({"s":"\ud83d\ude00"})",
                                             R"({"n":1.0})",
                                             R"({"n":1.5})",
                                             R"({"n":-0})",
                                             R"({"n":01})",
                                             R"({"n":1e400})",
                                             R"({"n":-0.0})",
                                             R"({"n":18446744073709551616})",
                                             R"({"n":-9223372036854775809})",
                                             "{\"s\":\"\xff\"}",
                                             "{\"s\":\"\xc3\"}",
                                             "{\"s\":\"\x01\"}",
                                             R"({"id":"\u0041"})",
                                             R"({"id":2.5E0})",
                                             R"({"n":tru})",
                                             R"({"id":1,})",
                                             R"([1])",
                                             R"({"id":1)"};
  for (const std::string& bad : bad_ones) {
    CAPTURE(bad);
    CHECK_FALSE(reader.read(bad + " "));
  }
  // Whole, but the number may go on in the next bytes: not known, so not proven.
  CHECK_FALSE(reader.read(R"({"n":[12)"));
  // Deeper than an element may go: the guard cuts it, so the parser's path.
  std::string deep = R"({"d":)";
  for (std::size_t i = 1; i < kMaxElementDepth; ++i) deep += "[";
  CHECK(reader.read(deep + std::string(kMaxElementDepth - 1, ']') + "}"));
  CHECK_FALSE(reader.read(deep + "[]" + std::string(kMaxElementDepth - 1, ']') + "}"));
  // Larger than the limit, by the handler's own estimate.
  reader.limit_element_size(10);
  CHECK_FALSE(reader.read(R"({"id":1,"x":"abcdef"})"));
}
