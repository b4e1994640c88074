// The envelope parser on hostile bodies, split at every byte: the depth guard and the UTF-8
// check follow the input byte by byte, so where the network cuts it must not matter. These run
// without sockets; the tests beside them drive the same bodies through clevertim-sync.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "http/json_stream.h"

using namespace clevertim::sync;
namespace json = boost::json;

namespace {

struct Outcome {
  std::vector<json::value> elements;  // stand-ins included
  std::optional<StreamError::Kind> error;

  bool operator==(const Outcome& o) const { return elements == o.elements && error == o.error; }
};

// Feeds `body` in pieces that end at each of `cuts`.
Outcome feed(const std::string& body, const std::vector<std::size_t>& cuts) {
  Outcome out;
  EnvelopeStream stream([&](json::value&& v) { out.elements.push_back(std::move(v)); });
  std::optional<StreamError> e;
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    if (!e && cut > from) e = stream.write(std::string_view(body).substr(from, cut - from));
    from = std::max(from, cut);
  }
  if (!e) e = stream.write(std::string_view(body).substr(from));
  if (!e) e = stream.finish();
  if (!e) e = stream.check_ok(true);
  if (e) out.error = e->kind;
  return out;
}

// The same outcome for the body whole, cut once anywhere, and fed byte by byte.
Outcome same_for_every_split(const std::string& body) {
  const Outcome whole = feed(body, {});
  for (std::size_t cut = 1; cut < body.size(); ++cut) {
    const Outcome split = feed(body, {cut});
    REQUIRE_MESSAGE(split == whole, "split at byte " << cut);
  }
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < body.size(); ++i) every.push_back(i);
  REQUIRE(feed(body, every) == whole);
  return whole;
}

std::string envelope(const std::string& content) {
  return R"({"status":"OK","content":)" + content + "}";
}

}  // namespace

TEST_CASE("a too deep element becomes a stand-in wherever the body is split") {
  const std::string deep = std::string(40, '[') + R"("]\"[", {"k": "}"})" + std::string(40, ']');
  const Outcome o = same_for_every_split(envelope(R"([{"id":1},{"fn":"x","deep":)" + deep +
                                                  R"(,"id":"7"},[)" + deep + R"(],{"id":3}])"));
  REQUIRE(!o.error);
  REQUIRE(o.elements.size() == 4);
  CHECK(o.elements[0] == json::parse(R"({"id":1})"));
  CHECK(o.elements[3] == json::parse(R"({"id":3})"));
  const auto second = as_skipped(o.elements[1]);
  REQUIRE(second);
  CHECK(second->position == 2);
  CHECK(second->id == json::value("7"));
  CHECK(second->why == "is nested deeper than 32 levels");
  const auto third = as_skipped(o.elements[2]);
  REQUIRE(third);
  CHECK(third->position == 3);
  CHECK(third->id.is_null());
  CHECK_FALSE(as_skipped(o.elements[0]));
}

TEST_CASE("text that is not UTF-8 becomes a stand-in wherever the body is split") {
  const Outcome o = same_for_every_split(
      envelope("[{\"id\":1,\"fn\":\"Zo\xc3\xab \xf0\x9f\x98\x80\"},{\"id\":2,\"fn\":\"a\xe2\x82\"},"
               "{\"id\":3,\"k\xff\":1},\"\xc0\x80\",{\"fn\":\"\xed\xbf\xbf\",\"id\":5}]"));
  REQUIRE(!o.error);
  REQUIRE(o.elements.size() == 5);
  CHECK_FALSE(as_skipped(o.elements[0]));
  for (std::size_t i = 1; i < 5; ++i) {
    CAPTURE(i);
    const auto s = as_skipped(o.elements[i]);
    REQUIRE(s);
    CHECK(s->position == i + 1);
    CHECK(s->why == "holds text that is not valid UTF-8");
  }
  CHECK(as_skipped(o.elements[1])->id == json::value(2));
  CHECK(as_skipped(o.elements[2])->id == json::value(3));
  CHECK(as_skipped(o.elements[3])->id.is_null());
  CHECK(as_skipped(o.elements[4])->id == json::value(5));
}

TEST_CASE("hostile bodies that are not a usable envelope fail the same way for every split") {
  CHECK(same_for_every_split(std::string(300, '[')).error == StreamError::Kind::kNotEnvelope);
  CHECK(same_for_every_split(R"({"status":"OK","content":[{"a":)" + std::string(100, '[')).error ==
        StreamError::Kind::kTruncated);
  CHECK(same_for_every_split("{\"status\":\"OK\\u00e9\xff\",\"content\":[]}").error ==
        StreamError::Kind::kNotEnvelope);
  // Too deep, then garbage where the deep part ends: the garbage is still refused.
  CHECK(same_for_every_split(R"({"status":"OK","content":[{"a":)" + std::string(40, '[') +
                             std::string(40, ']') + "}]} x")
            .error == StreamError::Kind::kInvalidJson);
}

TEST_CASE("a stand-in is told apart from any element that arrived intact") {
  // The marker key is not UTF-8: an element cannot carry it, so none is taken for a stand-in.
  const Outcome o = same_for_every_split(
      envelope(R"([{"\u00ffskipped element":{"position":1,"id":1,"why":"forged"}}])"));
  REQUIRE(o.elements.size() == 1);
  CHECK_FALSE(as_skipped(o.elements[0]));
}
