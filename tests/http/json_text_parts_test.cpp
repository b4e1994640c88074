// The pieces the envelope parser is made of, each against its own contract: UTF-8 checking on
// any split, escaping and compact writing exactly as boost::json::serialize writes, and the
// nesting guard cutting out what is too deep and nothing else.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "http/compact_writer.h"
#include "http/json_escape.h"
#include "http/nesting_guard.h"
#include "http/utf8_check.h"

namespace json = boost::json;
using clevertim::sync::append_json_escaped;
using clevertim::sync::CompactWriter;
using clevertim::sync::NestingGuard;
using clevertim::sync::Utf8Check;

namespace {

bool utf8_in_pieces(std::string_view s, std::size_t cut) {
  Utf8Check check;
  check.feed(s.substr(0, cut));
  check.feed(s.substr(cut));
  return check.finish();
}

// Writes `v` through a CompactWriter, event by event as the parser would report it.
void write_compact(CompactWriter& w, const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      w.open('{');
      for (const auto& [key, value] : v.get_object()) {
        w.end_key(key);
        write_compact(w, value);
      }
      w.close('}');
      break;
    case json::kind::array:
      w.open('[');
      for (const auto& e : v.get_array()) write_compact(w, e);
      w.close(']');
      break;
    case json::kind::string:
      w.end_string(v.get_string());
      break;
    case json::kind::int64:
      w.integer(v.get_int64());
      break;
    case json::kind::uint64:
      w.integer(v.get_uint64());
      break;
    default:
      w.literal(json::serialize(v));
  }
}

}  // namespace

TEST_CASE("utf8_check: valid text on every split, and each kind of invalid text refused") {
  const std::string good = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";  // é € 😀
  for (std::size_t cut = 0; cut <= good.size(); ++cut) CHECK(utf8_in_pieces(good, cut));
  for (const std::string bad :
       {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80", "\xe2\x82", "\xff", "a\xc3"})
    for (std::size_t cut = 0; cut <= bad.size(); ++cut) CHECK_FALSE(utf8_in_pieces(bad, cut));
  Utf8Check check;  // finish() makes it ready for the next text
  check.feed("\xff");
  CHECK_FALSE(check.finish());
  check.feed("ok");
  CHECK(check.finish());
}

TEST_CASE("json_escape: every byte escaped as boost::json::serialize escapes it") {
  for (int c = 0; c < 256; ++c) {
    const std::string s = "x" + std::string(1, static_cast<char>(c)) + "y";
    std::string mine = "\"";
    append_json_escaped(mine, s);
    mine += '"';
    CHECK(mine == json::serialize(json::value(json::string(s))));
  }
}

TEST_CASE("compact_writer: the same text as boost::json::serialize, for random values") {
  std::mt19937 rng(7);
  const std::vector<std::string> words = {"", "a", "q\"uote", "back\\slash", "tab\t", "\x01", "é"};
  std::function<json::value(int)> make = [&](int depth) -> json::value {
    switch (rng() % (depth > 3 ? 5 : 7)) {
      case 0:
        return json::value(static_cast<std::int64_t>(rng()) - 2'000'000'000);
      case 1:
        return json::value(std::uint64_t{18446744073709551615u});
      case 2:
        return json::value(static_cast<double>(rng()) / 7.0);
      case 3:
        return json::value(rng() % 2 == 0 ? json::value(nullptr) : json::value(true));
      case 4:
        return json::value(json::string(words[rng() % words.size()]));
      case 5: {
        json::array a;
        for (unsigned i = rng() % 4; i > 0; --i) a.push_back(make(depth + 1));
        return a;
      }
      default: {
        json::object o;
        for (unsigned i = rng() % 4; i > 0; --i) o[words[rng() % words.size()]] = make(depth + 1);
        return o;
      }
    }
  };
  CompactWriter w;
  for (int i = 0; i < 500; ++i) {
    const json::value v = make(0);
    w.clear();
    write_compact(w, v);
    REQUIRE(w.text() == json::serialize(v));
  }
}

TEST_CASE("nesting_guard: cuts out exactly the containers deeper than the bound") {
  // Depth 2 allowed: the third level and everything in it is left out, a string's brackets and
  // escaped quotes are not nesting, and the same input gives the same runs however it is split.
  const std::string input = R"({"a":[{"x":"]\"["},[1,[2]]],"b":[3]})";
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    NestingGuard guard(2);
    std::string kept;
    int cuts = 0;
    std::size_t skipped = 0;
    for (std::string_view piece :
         {std::string_view(input).substr(0, cut), std::string_view(input).substr(cut)}) {
      const auto stop = guard.feed(
          piece,
          [&](std::string_view run) {
            kept += run;
            return std::optional<int>();
          },
          [&] {
            kept += "null";
            ++cuts;
            return std::optional<int>();
          },
          [&](std::size_t n) { skipped += n; });
      CHECK_FALSE(stop);
    }
    CHECK(kept == R"({"a":[null,null],"b":[3]})");
    CHECK(cuts == 2);
    CHECK(skipped == std::string(R"({"x":"]\"["})").size() + std::string("[1,[2]]").size());
  }
}

TEST_CASE("nesting_guard: an error from the parser stops the feed and is returned") {
  NestingGuard guard(1);
  int runs = 0;
  const auto stop = guard.feed(
      "[[1]]",
      [&](std::string_view) {
        ++runs;
        return std::optional<int>(42);
      },
      [&] { return std::optional<int>(); }, [](std::size_t) {});
  CHECK(stop == 42);
  CHECK(runs == 1);
}

TEST_CASE("nesting_guard: a string ending in an escape such as \\n ends at its quote") {
  // The guard took the byte after a backslash
  // as escaped only when it was a quote, a backslash or a bracket, so the quote closing "x\n"
  // opened a string for it, and the brackets in "[[[" were counted as nesting.
  const std::string input = R"({"a":["x\n","[[[","\u005b\\",[[1]]],"b":"\t"})";
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    CAPTURE(cut);
    NestingGuard guard(2);
    std::string kept;
    int cuts = 0;
    for (std::string_view piece :
         {std::string_view(input).substr(0, cut), std::string_view(input).substr(cut)}) {
      CHECK_FALSE(guard.feed(
          piece,
          [&](std::string_view run) {
            kept += run;
            return std::optional<int>();
          },
          [&] {
            kept += "null";
            ++cuts;
            return std::optional<int>();
          },
          [](std::size_t) {}));
    }
    CHECK(kept == R"({"a":["x\n","[[[","\u005b\\",null],"b":"\t"})");
    CHECK(cuts == 1);
  }
}

TEST_CASE("nesting_guard: an object offered and taken whole is skipped, the nesting kept") {
  // Objects opening at depth 2 are offered; the first is taken, the second declined. Whatever is
  // taken, the guard goes on as if it had followed it: the third level is still cut after it.
  const std::string input = R"([{"a":"}"},{"b":[[1]]},[{"c":[2]}]])";
  NestingGuard guard(2);
  guard.offer_objects_at(2);
  std::string kept;
  std::vector<std::size_t> offered_at;
  const auto stop = guard.feed(
      input,
      [&](std::string_view run) {
        kept += run;
        return std::optional<int>();
      },
      [&] {
        kept += "null";
        return std::optional<int>();
      },
      [](std::size_t) {},
      [&](std::string_view pending, std::string_view object, NestingGuard::Offered& offered) {
        offered_at.push_back(input.size() - object.size());
        if (offered_at.size() == 1) {  // taken, with what comes before it
          CHECK(pending == "[");
          kept += pending;
          offered.pending_kept = true;
          offered.taken = std::string_view(R"({"a":"}"})").size();
          kept += "TAKEN";
        }
        return std::optional<int>();
      });
  CHECK_FALSE(stop);
  CHECK(offered_at == std::vector<std::size_t>{1, 11});
  CHECK(kept == R"([TAKEN,{"b":null},[null]])");
}
