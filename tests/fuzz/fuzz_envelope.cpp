// libFuzzer target: the streaming envelope parser (http/json_stream.h), as the HTTP client
// drives it: the body arrives in chunks, here of a size derived from the data itself.
//
// Besides crashes and sanitizer reports it checks that the answer does not depend on how the
// body was split: the same input fed whole and fed in chunks gives the same elements (doubles
// up to Boost.JSON's rounding, see fuzz_json.h), the same error kind, and the same status /
// error / content; and that text mode gives exactly the same events with the canonical path on
// and off.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "fuzz_json.h"
#include "http/json_stream.h"

namespace {

namespace json = boost::json;
using clevertim::sync::CompactTaker;
using clevertim::sync::EnvelopeStream;
using clevertim::sync::StreamError;

struct Outcome {
  std::vector<json::value> elements;
  std::optional<StreamError::Kind> error;  // first error of write / finish / check_ok
  std::optional<std::string> status, error_text;
  bool has_content = false;
  std::uint64_t largest_write = 0;
};

Outcome feed(std::string_view body, std::size_t chunk) {
  Outcome out;
  EnvelopeStream stream([&](json::value&& v) { out.elements.push_back(std::move(v)); });
  auto note = [&](const std::optional<StreamError>& e) {
    if (e) out.error = e->kind;
    return e.has_value();
  };
  bool failed = false;
  for (std::size_t at = 0; at < body.size() && !failed; at += chunk)
    failed = note(stream.write(body.substr(at, chunk)));
  if (!failed) failed = note(stream.finish());
  if (!failed) {
    // Both variants of the check, as a read-all and a delete use them.
    note(stream.check_ok(false));
    note(stream.check_ok(true));
    FUZZ_CHECK(stream.bytes() == body.size());
  }
  out.status = stream.status();
  out.error_text = stream.error();
  out.has_content = stream.has_content();
  out.largest_write = stream.largest_write();
  FUZZ_CHECK(out.elements.size() == stream.elements());
  return out;
}

// The same input in text mode (EnvelopeStream::offer_compact_first), every element taken as
// text: parsed back, in order with the stand-ins and scalars handed over as values.
std::vector<json::value> feed_as_text(std::string_view body, std::size_t chunk, bool& failed) {
  std::vector<json::value> out;
  EnvelopeStream stream([&](json::value&& v) { out.push_back(std::move(v)); });
  stream.offer_compact_first([&](const json::value&, std::string_view compact) {
    json::error_code ec;
    json::value back = json::parse(compact, ec);
    FUZZ_CHECK(!ec);  // the compact text is JSON
    out.push_back(std::move(back));
    return true;
  });
  failed = false;
  for (std::size_t at = 0; at < body.size() && !failed; at += chunk)
    failed = stream.write(body.substr(at, chunk)).has_value();
  if (!failed) failed = stream.finish().has_value();
  return out;
}

// Compact texts by id, as a mirror stores them.
using Stored = std::map<std::int64_t, std::string>;

// Text mode as a pull drives it, every event in order (the taker declining some elements, so
// that those are built too), with the canonical path (EnvelopeStream::take_canonical_bytes) on
// or off, and with or without texts stored to match (CompactTaker::same_as_stored): they must
// be pure optimizations, the same events either way. `taken`, when given, gets the compact
// texts taken that had an integer id.
std::vector<std::string> text_mode_events(std::string_view body, std::size_t chunk, bool canonical,
                                          const Stored* stored = nullptr, Stored* taken = nullptr) {
  std::vector<std::string> events;
  EnvelopeStream stream([&](json::value&& v) { events.push_back(json::serialize(v)); });
  CompactTaker taker([&](const json::value& id, std::string_view compact) {
    events.push_back(json::serialize(id) + " " + std::string(compact));
    const bool take = compact.size() % 3 != 0;
    if (take && taken != nullptr && id.is_int64()) taken->emplace(id.get_int64(), compact);
    return take;
  });
  if (stored != nullptr)
    taker.same_as_stored = [&](std::int64_t id, std::string_view bytes) {
      const auto it = stored->find(id);
      if (it == stored->end() || it->second != bytes || bytes.size() % 3 == 0) return false;
      events.push_back(std::to_string(id) + " " + std::string(bytes));
      return true;
    };
  stream.offer_compact_first(std::move(taker));
  stream.take_canonical_bytes(canonical);
  std::optional<StreamError> e;
  for (std::size_t at = 0; at < body.size() && !e; at += chunk)
    e = stream.write(body.substr(at, chunk));
  if (!e) e = stream.finish();
  events.push_back(e ? e->message : "ok");
  events.push_back(std::to_string(stream.elements()) + " " +
                   std::to_string(stream.taken_as_text()) + " " + std::to_string(stream.bytes()));
  return events;
}

// FNV-1a: a split point that follows the data, so the fuzzer explores splits too.
std::size_t chunk_size(std::string_view body) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : body) h = (h ^ c) * 1099511628211ull;
  return 1 + static_cast<std::size_t>(h % (body.size() + 1));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const Outcome whole = feed(body, body.size() + 1);
  const std::size_t chunk = chunk_size(body);
  const Outcome split = feed(body, chunk);
  FUZZ_CHECK(split.largest_write <= chunk);

  // The split must not change the answer.
  FUZZ_CHECK(whole.error == split.error);
  FUZZ_CHECK(whole.elements.size() == split.elements.size());
  for (std::size_t i = 0; i < whole.elements.size(); ++i)
    FUZZ_CHECK(fuzz::same_json(whole.elements[i], split.elements[i]));
  if (!whole.error) {
    FUZZ_CHECK(whole.status == split.status && whole.error_text == split.error_text);
    FUZZ_CHECK(whole.has_content == split.has_content);
  }
  // Text mode gives the same elements: its compact text reads back as the value the other
  // mode builds (a pull stores that text as raw and hashes it).
  bool text_failed = false;
  const auto as_text = feed_as_text(body, chunk, text_failed);
  if (!whole.error) {
    FUZZ_CHECK(!text_failed);
    FUZZ_CHECK(as_text.size() == whole.elements.size());
    for (std::size_t i = 0; i < as_text.size(); ++i)
      FUZZ_CHECK(fuzz::same_json(as_text[i], whole.elements[i]));
  }
  Stored taken;
  const auto events = text_mode_events(body, chunk, false, nullptr, &taken);
  FUZZ_CHECK(text_mode_events(body, chunk, true) == events);
  FUZZ_CHECK(text_mode_events(body, chunk, true, &taken) == events);
  // Every element handed over is JSON again when serialized (raw and the staging file rely on
  // it); stand-ins for elements that cannot be kept are made not to be.
  for (const json::value& e : split.elements) {
    const std::string text = json::serialize(e);
    if (clevertim::sync::as_skipped(e)) continue;
    json::error_code ec;
    FUZZ_CHECK((json::parse(text, ec), !ec));
  }
  return 0;
}
