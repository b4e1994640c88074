#include "storage/element_mapping.h"

#include <boost/json.hpp>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "model/resources.h"

namespace clevertim::storage {
namespace {

namespace json = boost::json;
using model::FieldType;

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t out = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return out;
}

std::optional<std::int64_t> as_integer(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.get_uint64());
  if (v.is_string()) return parse_integer(v.get_string());
  return std::nullopt;
}

std::string kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "an integer";
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

std::string mismatch(const model::Field& f, const json::value& v) {
  return "expected " + std::string(model::to_string(f.type)) + ", got " + kind_name(v);
}

bool all_elements(const json::array& a, bool (*ok)(const json::value&)) {
  for (const json::value& e : a)
    if (!ok(e)) return false;
  return true;
}

Cell json_text_cell(const json::value& v) {
  return json::serialize(v);
}

// Boost.JSON 1.81 reads a number beyond a double's range as infinity (1e400) or NaN (0e400),
// and writes those back as text that is not JSON: an element holding one cannot be kept in raw.
bool has_non_finite_number(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_:
      return !std::isfinite(v.get_double());
    case json::kind::array:
      for (const json::value& e : v.get_array())
        if (has_non_finite_number(e)) return true;
      return false;
    case json::kind::object:
      for (const auto& kv : v.get_object())
        if (has_non_finite_number(kv.value())) return true;
      return false;
    default:
      return false;
  }
}

}  // namespace

std::optional<std::int64_t> element_id(const json::value& id) {
  return as_integer(id);
}

// Eight bytes a step (FNV-1a, a byte a step, was a seventh of an unchanged re-sync's CPU).
// Each step, ((h ^ word) * odd constant) then h ^= h >> 32, is a bijection of the state for a
// given word, and the length seeds it: two texts of one length that differ in a single
// eight-byte block always hash apart; the final mix spreads every bit over the result.
namespace {
// The eight bytes at `p` as a little-endian number, whatever this machine's order: a mirror
// file copied to another architecture keeps its hashes.
std::uint64_t little_endian_word(const char* p, std::size_t n) {
  std::uint64_t word = 0;
  std::memcpy(&word, p, n);
  if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
  return word;
}
}  // namespace

std::int64_t raw_hash(std::string_view raw) {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  std::uint64_t h = 0x2545F4914F6CDD1Dull ^ (raw.size() * kMul);
  std::size_t i = 0;
  for (; i + 8 <= raw.size(); i += 8) {
    h = (h ^ little_endian_word(raw.data() + i, 8)) * kMul;
    h ^= h >> 32;
  }
  if (i < raw.size()) {
    h = (h ^ little_endian_word(raw.data() + i, raw.size() - i)) * kMul;
    h ^= h >> 32;
  }
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 32;
  return static_cast<std::int64_t>(h);
}

std::optional<std::string> iso_from_date_object(const json::value& value) {
  const json::object* o = value.if_object();
  if (o == nullptr) return std::nullopt;
  auto part = [&](const char* key) -> std::optional<std::int64_t> {
    const json::value* v = o->if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    return as_integer(*v);
  };
  const auto y = part("y"), mo = part("mo"), d = part("d"), h = part("h"), mi = part("mi");
  // Only the shapes that convert back to the same object: y/mo/d, plus both h and mi or
  // neither, and nothing else (a null or an extra key stays in raw only).
  const std::size_t keys = h && mi ? 5 : 3;
  if (!y || !mo || !d || h.has_value() != mi.has_value() || o->size() != keys) return std::nullopt;
  if (*y < 0 || *y > 9999 || *mo < 1 || *mo > 12 || *d < 1 || *d > 31) return std::nullopt;
  char buf[32];
  if (h) {
    if (*h < 0 || *h > 23 || *mi < 0 || *mi > 59) return std::nullopt;
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d", static_cast<int>(*y),
                  static_cast<int>(*mo), static_cast<int>(*d), static_cast<int>(*h),
                  static_cast<int>(*mi));
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(*y), static_cast<int>(*mo),
                  static_cast<int>(*d));
  }
  return std::string(buf);
}

std::optional<json::value> date_object_from_iso(std::string_view iso) {
  if (iso.size() != 10 && iso.size() != 16) return std::nullopt;
  if (iso[4] != '-' || iso[7] != '-') return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len) { return parse_integer(iso.substr(pos, len)); };
  const auto y = num(0, 4), mo = num(5, 2), d = num(8, 2);
  if (!y || !mo || !d || *mo < 1 || *mo > 12 || *d < 1 || *d > 31) return std::nullopt;
  json::object o;
  o["y"] = *y;
  o["mo"] = *mo;
  o["d"] = *d;
  if (iso.size() == 16) {
    if (iso[10] != 'T' || iso[13] != ':') return std::nullopt;
    const auto h = num(11, 2), mi = num(14, 2);
    if (!h || !mi || *h > 23 || *mi > 59) return std::nullopt;
    o["h"] = *h;
    o["mi"] = *mi;
  }
  return json::value(std::move(o));
}

Cell cell_from_json(const model::Field& f, const json::value& v, std::string& problem) {
  problem.clear();
  if (v.is_null()) return {};
  switch (f.type) {
    case FieldType::kInt:
      if (auto i = as_integer(v)) return *i;
      if (f.accepts_id_list() && v.is_array() &&
          all_elements(v.get_array(),
                       [](const json::value& e) { return as_integer(e).has_value(); })) {
        // A list of ids is a normal shape for this field: its one id, or none (kept in raw).
        if (v.get_array().size() == 1) return *as_integer(v.get_array().front());
        return {};
      }
      break;
    case FieldType::kText:
      if (v.is_string()) return std::string(v.get_string());
      if (v.is_int64()) return std::to_string(v.get_int64());
      if (v.is_uint64()) return std::to_string(v.get_uint64());
      if (v.is_double()) return json::serialize(v);
      break;
    case FieldType::kBool:
      if (v.is_bool()) return std::int64_t{v.get_bool() ? 1 : 0};
      if (v.is_int64() && (v.get_int64() == 0 || v.get_int64() == 1)) return v.get_int64();
      break;
    case FieldType::kTimestamp:
      if (v.is_string()) return std::string(v.get_string());
      if (auto i = as_integer(v)) return *i;
      if (v.is_double()) return v.get_double();
      break;
    case FieldType::kDate:
      if (auto iso = iso_from_date_object(v)) return *iso;
      problem =
          "expected a date object {y, mo, d[, h, mi]}, got " + json::serialize(v).substr(0, 80);
      return {};
    case FieldType::kStringArray:
      if (v.is_array() &&
          all_elements(v.get_array(), [](const json::value& e) { return e.is_string(); }))
        return json_text_cell(v);
      break;
    case FieldType::kIntArray:
      if (v.is_array() && all_elements(v.get_array(), [](const json::value& e) {
            return e.is_int64() || e.is_uint64() || e.is_string();
          }))
        return json_text_cell(v);
      break;
    case FieldType::kObjectArray:
      if (v.is_array() &&
          all_elements(v.get_array(), [](const json::value& e) { return e.is_object(); }))
        return json_text_cell(v);
      break;
    case FieldType::kObject:
      if (v.is_object()) return json_text_cell(v);
      break;
    case FieldType::kAny:
      if (v.is_string()) return std::string(v.get_string());
      if (v.is_bool()) return std::int64_t{v.get_bool() ? 1 : 0};
      if (v.is_int64()) return v.get_int64();
      if (v.is_double()) return v.get_double();
      return json_text_cell(v);
  }
  problem = mismatch(f, v);
  return {};
}

std::optional<json::value> json_from_cell(const model::Field& f, const Cell& cell,
                                          std::string& problem) {
  problem.clear();
  if (is_null(cell)) return json::value(nullptr);
  const auto* i = std::get_if<std::int64_t>(&cell);
  const auto* d = std::get_if<double>(&cell);
  const auto* s = std::get_if<std::string>(&cell);
  switch (f.type) {
    case FieldType::kInt:
      if (i) return json::value(*i);
      if (s)
        if (auto parsed = parse_integer(*s)) return json::value(*parsed);
      problem = "must be an integer id, not " + describe(cell);
      return std::nullopt;
    case FieldType::kText:
      if (s) return json::value(*s);
      if (i) return json::value(std::to_string(*i));
      return json::value(json::serialize(json::value(*d)));
    case FieldType::kBool:
      if (i && (*i == 0 || *i == 1)) return json::value(*i == 1);
      problem = "must be 0 or 1, not " + describe(cell);
      return std::nullopt;
    case FieldType::kTimestamp:
      if (s) return json::value(*s);
      if (i) return json::value(*i);
      return json::value(*d);
    case FieldType::kDate:
      if (s)
        if (auto o = date_object_from_iso(*s)) return o;
      problem = "must be a date YYYY-MM-DD or YYYY-MM-DDTHH:MM, not " + describe(cell);
      return std::nullopt;
    case FieldType::kStringArray:
    case FieldType::kIntArray:
    case FieldType::kObjectArray:
    case FieldType::kObject: {
      if (s) {
        json::error_code ec;
        json::value parsed = json::parse(*s, ec);
        const bool want_array = f.type != FieldType::kObject;
        if (!ec && (want_array ? parsed.is_array() : parsed.is_object())) return parsed;
      }
      problem = std::string("must be ") + std::string(model::to_string(f.type)) + ", not " +
                describe(cell);
      return std::nullopt;
    }
    case FieldType::kAny:
      if (i) return json::value(*i);
      if (d) return json::value(*d);
      if (s && !s->empty() && (s->front() == '[' || s->front() == '{')) {
        json::error_code ec;
        json::value parsed = json::parse(*s, ec);
        if (!ec) return parsed;
      }
      return json::value(*s);
  }
  return std::nullopt;
}

std::string describe(const Cell& cell) {
  if (is_null(cell)) return "NULL";
  if (const auto* i = std::get_if<std::int64_t>(&cell)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&cell)) return std::to_string(*d);
  const std::string& s = std::get<std::string>(cell);
  return "'" + (s.size() > 60 ? s.substr(0, 60) + "..." : s) + "'";
}

namespace {

// One cell per field of `r`, as `o` holds them; `on_problem(field, problem)` hears of each
// value whose shape was unexpected (its cell is NULL).
template <class OnProblem>
std::vector<Cell> cells_from(const model::Resource& r, const json::object& o,
                             OnProblem on_problem) {
  std::vector<Cell> cells;
  cells.reserve(r.fields.size());
  std::string problem;
  for (const model::Field& f : r.fields) {
    const json::value* v = o.if_contains(f.api);
    if (v == nullptr) {
      cells.emplace_back();
      continue;
    }
    cells.push_back(cell_from_json(f, *v, problem));
    if (!problem.empty()) on_problem(f, problem);
  }
  return cells;
}

MappingResult map_object(const model::Resource& r, const json::object& o, std::string serialized,
                         std::int64_t serialized_hash) {
  const json::value* id_value = o.if_contains("id");
  if (id_value == nullptr) return MappingError{std::string(r.singular) + " element has no id"};
  const auto id = element_id(*id_value);
  if (!id || *id <= 0)
    return MappingError{std::string(r.singular) + " element has an unusable id " +
                        json::serialize(*id_value).substr(0, 40)};
  // Found by fuzzing: such an element was stored with a raw that is not JSON, which no later
  // merge, export or report could read.
  for (const auto& kv : o)
    if (has_non_finite_number(kv.value()))
      return MappingError{std::string(r.singular) + " " + std::to_string(*id) +
                          " holds a number out of a double's range (such as 1e400)"};
  MappedElement out;
  out.id = *id;
  out.cells = cells_from(r, o, [&](const model::Field& f, const std::string& problem) {
    out.warnings.push_back(std::string(r.singular) + " " + std::to_string(out.id) + ": field " +
                           std::string(f.api) + " kept in raw only (" + std::string(r.table) + "." +
                           std::string(f.column) + " left NULL): " + problem);
  });
  out.raw = std::move(serialized);
  out.raw_hash = serialized_hash;
  return out;
}

}  // namespace

MappingResult map_element(const model::Resource& r, const json::value& element) {
  std::string raw = json::serialize(element);
  const std::int64_t hash = raw_hash(raw);
  return map_element(r, element, std::move(raw), hash);
}

MappingResult map_element(const model::Resource& r, const json::object& element) {
  std::string raw = json::serialize(element);
  const std::int64_t hash = raw_hash(raw);
  return map_object(r, element, std::move(raw), hash);
}

MappingResult map_element(const model::Resource& r, const json::value& element,
                          std::string serialized, std::int64_t serialized_hash) {
  const json::object* o = element.if_object();
  if (o == nullptr)
    return MappingError{std::string(r.singular) + " element is " + kind_name(element) +
                        ", not an object"};
  return map_object(r, *o, std::move(serialized), serialized_hash);
}

std::vector<Cell> cells_of(const model::Resource& r, const json::object& element) {
  return cells_from(r, element, [](const model::Field&, const std::string&) {});
}

}  // namespace clevertim::storage
