#include "http/envelope_handler.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <system_error>

namespace clevertim::sync::detail {
namespace {

namespace json = boost::json;

// The first block of an element's arena; a larger element takes further blocks.
constexpr std::size_t kElementArena = 4096;

std::string size_text(std::uint64_t bytes) {
  if (bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::string too_large(std::uint64_t limit) {
  return "is larger than " + size_text(limit) +
         " (sync.max_element_size); raise that setting to keep it";
}

}  // namespace

bool EnvelopeHandler::on_double(double d, string_view, error_code& ec) {
  if (!std::isfinite(d)) {
    // Found by fuzzing: Boost.JSON 1.81 reads a number beyond a double's range as infinity
    // (1e400) or NaN (0e400), and writes those back as text that is not JSON; the staged
    // copy of such an element failed to parse and took the whole list down.
    if (element_depth_ > 0) problem("holds a number out of a double's range (such as 1e400)");
    return scalar(
        ec, [] {}, [] { return json::value(nullptr); }, [] {});
  }
  return scalar(
      ec, [&] { stack_.push_double(d); }, [&] { return json::value(d); },
      [&] { compact_.literal(json::serialize(json::value(d))); });  // Boost's own digits
}

// Stands for a container nested too deeply, left out of the input (see EnvelopeStream::write),
// always inside an element or inside a top-level value that is skipped anyway; or, directly in
// `content`, for an element already handed over by take_whole_element().
void EnvelopeHandler::on_elided_null() {
  elided_ = false;
  if (element_depth_ > 0) {
    problem("is nested deeper than " + std::to_string(kMaxElementDepth) + " levels");
    id_next_ = false;
  }
}

// An element of `content` begins: an object or array.
void EnvelopeHandler::begin_element() {
  // Each element gets its own arena, freed at once when the last value using it goes: the
  // element's many small strings, objects and arrays cost no malloc/free each.
  if (text_mode_)
    compact_.clear();
  else
    stack_.reset(json::make_shared_resource<json::monotonic_resource>(kElementArena));
  element_depth_ = 1;
  element_size_ = 0;
  ++position_;
  problem_in_element_.clear();
  id_ = nullptr;
  id_next_ = false;
  key_.clear();
  id_text_.clear();
}

// The element ended: handed over as rebuilt, or as a stand-in when it cannot be kept.
void EnvelopeHandler::end_element() {
  if (!building()) {
    if (!text_mode_) stack_.reset();  // drops what was rebuilt before the problem showed
    return deliver(stand_in());
  }
  if (!text_mode_) return deliver(stack_.release());
  offer_or_build(compact_.text());
}

void EnvelopeHandler::take_whole_element(json::value id, std::string_view compact) {
  ++position_;
  id_ = std::move(id);
  offer_or_build(compact);
}

bool EnvelopeHandler::take_if_same_as_stored(std::int64_t id, std::string_view bytes) {
  if (!taker_.same_as_stored || !taker_.same_as_stored(id, bytes)) return false;
  ++position_;
  ++taken_;
  return true;
}

// The element's compact text goes to the taker; one it declines is built from that text.
void EnvelopeHandler::offer_or_build(std::string_view compact) {
  if (taker_.take(id_, compact)) {
    ++taken_;
    return;
  }
  json::error_code ec;
  json::value element =
      json::parse(compact, ec, json::make_shared_resource<json::monotonic_resource>(kElementArena));
  if (ec) {  // cannot happen: the text was written from a valid element; still, never dropped
    problem("could not be read back from its compact form (" + ec.message() + ")");
    return deliver(stand_in());
  }
  deliver(std::move(element));
}

void EnvelopeHandler::deliver(json::value&& v) {
  ++elements_;
  sink_(std::move(v));
}

// An object or array as the value of a top-level key.
bool EnvelopeHandler::begin_top_value(error_code& ec, bool array) {
  if (slot_ != Slot::kContent) {
    skipped_depth_ = 1;  // status/error as containers stay unset; others are simply ignored
    return true;
  }
  if (!array) return reject(ec, "`content` is an object, not an array");
  if (has_content_) return reject(ec, "`content` appears twice");
  has_content_ = true;
  level_ = Level::kContent;
  return true;
}

// A key of the top-level object was read (in text_).
bool EnvelopeHandler::top_key() {
  slot_ = text_ == "status"    ? Slot::kStatus
          : text_ == "error"   ? Slot::kError
          : text_ == "content" ? Slot::kContent
                               : Slot::kOther;
  text_.clear();
  return true;
}

// A string outside elements was read (in text_): an element of `content` itself, or the value
// of a top-level key.
bool EnvelopeHandler::outer_string(error_code& ec) {
  std::string text = std::move(text_);
  text_.clear();
  if (level_ == Level::kContent) {
    ++position_;
    if (!problem_in_element_.empty()) {  // a lone string that is not UTF-8
      id_ = nullptr;
      deliver(stand_in());
    } else {
      deliver(json::value(text));
    }
    return true;
  }
  if (level_ != Level::kTop) return reject(ec, "the response is a JSON string, not an object");
  switch (slot_) {
    case Slot::kStatus:
      status_ = std::move(text);
      break;
    case Slot::kError:
      error_ = std::move(text);
      break;
    case Slot::kContent:
      return reject(ec, "`content` is a string, not an array");
    case Slot::kOther:
      break;
  }
  return true;
}

// A number, true, false or null outside elements and outside `content`.
bool EnvelopeHandler::outer_scalar(error_code& ec) {
  if (level_ == Level::kTop) {
    if (slot_ == Slot::kContent) return reject(ec, "`content` is not an array");
    return true;  // a non-string status stays unset and fails check_ok
  }
  return reject(ec, "the response is a JSON scalar, not an object");
}

void EnvelopeHandler::drop_element_too_large() {
  problem(too_large(max_element_));
  compact_.release();
  if (!text_mode_) stack_.reset();
}

// Text outside elements (a top-level string, a key, a string element of `content`), kept
// within the same limit: a string element beyond it is skipped, other text cut.
void EnvelopeHandler::append_text(string_view s) {
  if (text_.size() + s.size() > max_element_) {
    if (level_ == Level::kContent && element_depth_ == 0 && skipped_depth_ == 0)
      problem(too_large(max_element_));
    return;
  }
  text_.append(s.data(), s.size());
}

void EnvelopeHandler::problem(std::string why) {
  if (problem_in_element_.empty()) problem_in_element_ = std::move(why);
}

// Text that is not UTF-8: the element holding it is skipped; outside elements the whole
// response is refused.
bool EnvelopeHandler::bad_text(error_code& ec) {
  if (element_depth_ > 0 || (skipped_depth_ == 0 && level_ == Level::kContent)) {
    problem("holds text that is not valid UTF-8");
    return true;
  }
  return reject(ec, "the response holds text that is not valid UTF-8 outside its elements");
}

json::value EnvelopeHandler::stand_in() {
  json::object about;
  about["position"] = position_;
  about["id"] = std::move(id_);
  about["why"] = problem_in_element_;
  json::object o;
  o[kSkippedKey] = std::move(about);
  id_ = nullptr;
  problem_in_element_.clear();
  return o;
}

bool EnvelopeHandler::reject(error_code& ec, std::string why) {
  problem_ = std::move(why);
  ec = std::make_error_code(std::errc::invalid_argument);
  return false;
}

}  // namespace clevertim::sync::detail
