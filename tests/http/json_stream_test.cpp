// The envelope parser on its own: every split of the input must give the same answer.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <string>
#include <vector>

#include "http/json_stream.h"

namespace json = boost::json;
using clevertim::sync::EnvelopeStream;
using clevertim::sync::StreamError;

namespace {

// The read-all sample of API.md, with strings that need escapes and nested values.
const std::string kEnvelope =
    R"({"status": "OK", "content": [)"
    R"({"id": 1, "fn": "Ann", "ln": "L\u00e9e \"q\"", "email": ["a@x.io"],)"
    R"( "phones": [{"type": "Work", "no": "0087"}], "cf": {"12": ["a", "b"]}, "companyId": null},)"
    R"({"id": 2, "cn": "Acme", "is_company": true, "value": 4500.5, "big": 18446744073709551615},)"
    R"({"id": 3, "startDate": {"y": 2013, "mo": 12, "d": 29}, "tags": []})"
    R"(], "extra": {"ignored": [1, 2, {"content": [9]}]}})";

struct Run {
  std::vector<json::value> elements;
  std::optional<StreamError> error;  // first error from write/finish/check_ok
};

Run feed(const std::vector<std::string_view>& pieces, bool need_content = true) {
  Run run;
  EnvelopeStream stream([&](json::value&& v) { run.elements.push_back(std::move(v)); });
  for (auto p : pieces) {
    if ((run.error = stream.write(p))) return run;
  }
  if ((run.error = stream.finish())) return run;
  run.error = stream.check_ok(need_content);
  return run;
}

Run feed(std::string_view all, bool need_content = true) {
  return feed(std::vector<std::string_view>{all}, need_content);
}

}  // namespace

TEST_CASE("json_stream: the API.md envelope yields each element of content") {
  Run run = feed(kEnvelope);
  REQUIRE_FALSE(run.error);
  REQUIRE(run.elements.size() == 3);
  const json::value whole = json::parse(kEnvelope);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(run.elements[i] == whole.at("content").at(i));
  }
  CHECK(run.elements[0].at("ln").as_string() ==
        "L\xc3\xa9"
        "e \"q\"");
  CHECK(run.elements[1].at("big").is_uint64());
}

TEST_CASE("json_stream: any split into two or three pieces gives the same elements") {
  const json::value whole = json::parse(kEnvelope);
  const std::string_view all = kEnvelope;
  for (std::size_t i = 0; i <= all.size(); ++i) {
    Run run = feed({all.substr(0, i), all.substr(i)});
    REQUIRE_MESSAGE(!run.error, "split at " << i);
    REQUIRE(run.elements.size() == 3);
    CHECK(run.elements[2] == whole.at("content").at(2));
  }
  // One byte at a time.
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < all.size(); ++i) bytes.push_back(all.substr(i, 1));
  Run run = feed(bytes);
  REQUIRE_FALSE(run.error);
  REQUIRE(run.elements.size() == 3);
  CHECK(run.elements[0] == whole.at("content").at(0));
}

TEST_CASE("json_stream: truncated at every position is reported, never accepted") {
  const std::string_view all = kEnvelope;
  for (std::size_t i = 0; i < all.size(); ++i) {
    Run run = feed(all.substr(0, i));
    REQUIRE_MESSAGE(run.error, "truncated at " << i);
    CHECK_MESSAGE(run.error->kind == StreamError::Kind::kTruncated,
                  "truncated at " << i << ": " << run.error->message);
  }
}

TEST_CASE("json_stream: status, error and content at the top level") {
  SUBCASE("status after content is fine") {
    Run run = feed(R"({"content": [{"id": 1}], "status": "OK"})");
    CHECK_FALSE(run.error);
    CHECK(run.elements.size() == 1);
  }
  SUBCASE("status ERROR carries the server's error text") {
    Run run = feed(R"({"status": "ERROR", "error": "Invalid field 'fn'"})");
    REQUIRE(run.error);
    CHECK(run.error->kind == StreamError::Kind::kNotEnvelope);
    CHECK(run.error->message == "Invalid field 'fn'");
  }
  SUBCASE("no content where content is needed") {
    Run run = feed(R"({"status": "OK"})");
    REQUIRE(run.error);
    CHECK(run.error->kind == StreamError::Kind::kNotEnvelope);
    CHECK(run.error->message.find("content") != std::string::npos);
  }
  SUBCASE("no content is fine for a delete") {
    CHECK_FALSE(feed(R"({"status": "OK"})", /*need_content=*/false).error);
  }
  SUBCASE("no status") {
    Run run = feed(R"({"content": []})");
    REQUIRE(run.error);
    CHECK(run.error->kind == StreamError::Kind::kNotEnvelope);
  }
  SUBCASE("status that is not a string") {
    Run run = feed(R"({"status": 1, "content": []})");
    REQUIRE(run.error);
    CHECK(run.error->kind == StreamError::Kind::kNotEnvelope);
  }
  SUBCASE("content that is not an array") {
    Run run = feed(R"({"status": "OK", "content": {"id": 1}})");
    REQUIRE(run.error);
    CHECK(run.error->kind == StreamError::Kind::kNotEnvelope);
    CHECK(feed(R"({"status": "OK", "content": 5})").error);
    CHECK(feed(R"({"status": "OK", "content": "x"})").error);
  }
  SUBCASE("content twice") {
    Run run = feed(R"({"status": "OK", "content": [], "content": []})");
    REQUIRE(run.error);
    CHECK(run.error->kind == StreamError::Kind::kNotEnvelope);
  }
  SUBCASE("scalars and arrays inside content are handed over too") {
    Run run = feed(R"({"status": "OK", "content": [1, "two", null, [3], {"id": 4}]})");
    CHECK_FALSE(run.error);
    REQUIRE(run.elements.size() == 5);
    CHECK(run.elements[1] == json::value("two"));
    CHECK(run.elements[3].is_array());
    CHECK(run.elements[4].is_object());
  }
}

TEST_CASE("json_stream: a top level that is not an object is rejected") {
  for (const char* text : {R"([{"id": 1}])", R"("OK")", "42", "null", "true"}) {
    Run run = feed(text);
    REQUIRE_MESSAGE(run.error, text);
    CHECK(run.error->kind == StreamError::Kind::kNotEnvelope);
  }
}

TEST_CASE("json_stream: input that is not JSON") {
  for (const char* text :
       {"<html>502 Bad Gateway</html>", "{'status': 'OK'}", R"({"status": "OK", "content": [1,]})",
        R"({"status": "OK"} x)", R"({"status": "OK"}{})"}) {
    Run run = feed(text);
    REQUIRE_MESSAGE(run.error, text);
    CHECK_MESSAGE(run.error->kind == StreamError::Kind::kInvalidJson, text);
  }
  Run empty = feed("");
  REQUIRE(empty.error);
  CHECK(empty.error->kind == StreamError::Kind::kTruncated);
}

TEST_CASE("json_stream: trailing whitespace after the document is accepted") {
  CHECK_FALSE(feed({R"({"status": "OK", "content": []})", "\r\n  ", "\n"}).error);
}

// Regression (tests/fuzz/corpus/fuzz_envelope/regression-number-beyond-double): Boost.JSON
// reads 1e400 as infinity (0e400 as NaN) and writes it back as text that is not JSON; the
// pull's staged copy of the element then failed to parse, and the whole list with it.
TEST_CASE("json_stream: an element with a number beyond a double's range is a stand-in") {
  const std::string body =
      R"({"status": "OK", "content": [{"id": 1, "fn": "A"}, {"id": 2, "x": [1, 1e400]},)"
      R"( {"x": -0.0e+1467, "id": "3"}, 1e400, {"id": 4, "ok": 1.7976931348623157e308}]})";
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    const Run run =
        feed({std::string_view(body).substr(0, cut), std::string_view(body).substr(cut)});
    REQUIRE_FALSE(run.error);
    REQUIRE(run.elements.size() == 5);
    CHECK(run.elements[0] == json::parse(R"({"id": 1, "fn": "A"})"));
    const auto second = clevertim::sync::as_skipped(run.elements[1]);
    REQUIRE(second);
    CHECK(second->position == 2);
    CHECK(second->id == json::value(2));
    CHECK(second->why.find("number out of a double's range") != std::string::npos);
    const auto third = clevertim::sync::as_skipped(run.elements[2]);
    REQUIRE(third);
    CHECK(third->id == json::value("3"));
    CHECK(run.elements[3].is_null());  // a lone number: not an object, skipped by the reader
    CHECK(run.elements[4].at("ok").as_double() == 1.7976931348623157e308);
    for (const json::value& e : run.elements)
      if (!clevertim::sync::as_skipped(e)) CHECK(json::parse(json::serialize(e)) == e);
  }
}

TEST_CASE("json_stream: nothing more is accepted after an error") {
  EnvelopeStream stream([](json::value&&) {});
  CHECK(stream.write("[").has_value());
  CHECK(stream.write(R"({"status": "OK"})").has_value());
  CHECK(stream.finish().has_value());
}

namespace {

// Elements as compact text (EnvelopeStream's text mode) and as built values (the other mode),
// from the same input fed `step` bytes at a time.
struct Compared {
  std::vector<std::string> texts;
  std::vector<json::value> built;
};
Compared both_modes(std::string_view body, std::size_t step) {
  Compared out;
  EnvelopeStream text_mode([](json::value&&) { FAIL("a usable element was built"); });
  text_mode.offer_compact_first([&](const json::value&, std::string_view compact) {
    out.texts.emplace_back(compact);
    return true;
  });
  EnvelopeStream value_mode([&](json::value&& v) { out.built.push_back(std::move(v)); });
  for (std::size_t at = 0; at < body.size(); at += step) {
    REQUIRE_FALSE(text_mode.write(body.substr(at, step)));
    REQUIRE_FALSE(value_mode.write(body.substr(at, step)));
  }
  REQUIRE_FALSE(text_mode.finish());
  REQUIRE_FALSE(value_mode.finish());
  CHECK(text_mode.taken_as_text() == out.texts.size());
  return out;
}

}  // namespace

TEST_CASE("json_stream: an element's compact text is exactly boost::json::serialize of it") {
  // Escapes of every kind, text that is not ASCII, all number kinds, empty and nested values.
  const std::string body =
      R"({"status": "OK", "content": [)"
      R"({"id": 1, "s": "tab\there \"q\" back\\slash \/ nl\n cr\r ff\f bs\b \u0001\u001f\u007f",)"
      R"( "u": "Zoë Łukasiewicz 日本 \ud83d\ude00", "e": "", "k\"ey": 1},)"
      R"({"id": "2", "n": [0, -1, 9223372036854775807, -9223372036854775808, 18446744073709551615],)"
      R"( "d": [1.5, -0.0, 1e10, 1E-7, 2.5e+300, 0.1, 123456789.123456789, 4500.0]},)"
      R"({"id": 3, "o": {}, "a": [], "deep": [[{"x": [null, true, false, {"y": []}]}]], "z": null},)"
      R"(  {  "id" : 4 ,  "spaced" : [ 1 , { "a" : "b" } ] }  ,)"
      R"([1, "not an object"])"
      R"(]})";
  for (std::size_t step : {body.size(), std::size_t{1}, std::size_t{7}}) {
    CAPTURE(step);
    const Compared c = both_modes(body, step);
    REQUIRE(c.texts.size() == 5);
    REQUIRE(c.built.size() == 5);
    for (std::size_t i = 0; i < c.texts.size(); ++i)
      CHECK(c.texts[i] == json::serialize(c.built[i]));
  }
}

TEST_CASE("json_stream: an element the taker declines is built and handed over as usual") {
  std::vector<json::value> built;
  std::vector<json::value> ids;
  EnvelopeStream stream([&](json::value&& v) { built.push_back(std::move(v)); });
  stream.offer_compact_first([&](const json::value& id, std::string_view) {
    ids.push_back(id);
    return id == json::value(2);  // takes element 2 only
  });
  REQUIRE_FALSE(stream.write(kEnvelope));
  REQUIRE_FALSE(stream.finish());
  REQUIRE(ids.size() == 3);
  CHECK(ids[0] == json::value(1));
  CHECK(ids[2] == json::value(3));
  REQUIRE(built.size() == 2);
  CHECK(built[0].at("fn") == "Ann");
  CHECK(built[1].at("tags").as_array().empty());
  CHECK(stream.taken_as_text() == 1);
}

TEST_CASE("json_stream: in text mode a broken element is still a stand-in, never offered") {
  std::size_t offered = 0;
  std::vector<json::value> handed;
  EnvelopeStream stream([&](json::value&& v) { handed.push_back(std::move(v)); });
  stream.offer_compact_first([&](const json::value&, std::string_view) { return ++offered, true; });
  const std::string body = R"({"status":"OK","content":[{"id":1,"x":1e400},{"id":2,"s":")" +
                           std::string("\xff") + R"("},{"id":3}]})";
  REQUIRE_FALSE(stream.write(body));
  REQUIRE_FALSE(stream.finish());
  CHECK(offered == 1);  // only element 3
  REQUIRE(handed.size() == 2);
  CHECK(clevertim::sync::as_skipped(handed[0]));
  CHECK(clevertim::sync::as_skipped(handed[1]));
}

TEST_CASE("json_stream: an element larger than the limit is a stand-in, in either mode") {
  const std::string big(300, 'x');
  const std::string body = R"({"status":"OK","content":[{"id":1,"fn":"Ann"},{"id":2,"bg":")" + big +
                           R"("},")" + big + R"(",{"id":3,"n":[1,2,3]}]})";
  for (const bool text_mode : {false, true}) {
    CAPTURE(text_mode);
    // Every split in two: the limit must not depend on how the bytes arrive.
    for (std::size_t cut = 0; cut <= body.size(); cut += 7) {
      std::vector<json::value> got;
      std::vector<std::string> texts;
      EnvelopeStream stream([&](json::value&& v) { got.push_back(std::move(v)); });
      if (text_mode)
        stream.offer_compact_first([&](const json::value&, std::string_view compact) {
          texts.emplace_back(compact);
          return true;
        });
      stream.limit_element_size(256);
      REQUIRE_FALSE(stream.write(std::string_view(body).substr(0, cut)));
      REQUIRE_FALSE(stream.write(std::string_view(body).substr(cut)));
      REQUIRE_FALSE(stream.finish());
      REQUIRE_FALSE(stream.check_ok(true));
      // Elements 1 and 3 intact; 2 (an object) and the long string element skipped.
      REQUIRE(got.size() + texts.size() == 4);
      int skipped = 0;
      for (const json::value& v : got) {
        if (const auto s = clevertim::sync::as_skipped(v)) {
          ++skipped;
          CHECK(s->why.find("sync.max_element_size") != std::string::npos);
          if (s->position == 2) CHECK(s->id == json::value(2));
        }
      }
      CHECK(skipped == 2);
    }
  }
}

TEST_CASE("json_stream: brackets in a string after an escape such as \\n are text, not nesting") {
  // The nesting guard took the quote closing "a\n" for an escaped one, then counted these
  // brackets as nesting, cut the rest of the body out as too deep, and the list failed as
  // truncated.
  const std::string body = R"({"status":"OK","content":[{"id":1,"s":"a\n","t":")" +
                           std::string(40, '[') + R"("},{"id":2}]})";
  for (std::size_t cut = 0; cut <= body.size(); cut += 5) {
    CAPTURE(cut);
    Run run = feed({std::string_view(body).substr(0, cut), std::string_view(body).substr(cut)});
    REQUIRE_FALSE(run.error);
    REQUIRE(run.elements.size() == 2);
    CHECK(run.elements[0] == json::parse(body).at("content").at(0));
  }
}
