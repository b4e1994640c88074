#include "emulator/shapes.h"

#include <boost/json.hpp>

#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <optional>
#include <stdexcept>

#include "model/resources.h"

namespace clevertim::emulator {
namespace {

namespace json = boost::json;

// What a draw decides; part of the hash so that the decisions about one field are independent.
enum class Dim : std::uint64_t { kNull = 1, kIdString, kCustList, kStamp, kOffset };

// SplitMix64's finalizer: a fixed, portable mix (std::hash is neither), so a seed means the
// same shapes on every build and machine.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

struct Draw {
  const ShapeOptions& o;
  std::string_view endpoint;
  Id id;
  std::uint64_t answer;
  std::uint64_t operator()(std::string_view field, Dim d) const {
    std::uint64_t h = mix(o.seed);
    h = mix(h ^ fnv1a(endpoint));
    h = mix(h ^ static_cast<std::uint64_t>(id));
    h = mix(h ^ fnv1a(field));
    h = mix(h ^ static_cast<std::uint64_t>(d));
    if (o.per_request) h = mix(h ^ answer);
    return h;
  }
};

// UTC offsets a server might write, "+00:00" included (the same instant as "Z", another
// spelling); half and quarter hours and the extremes catch clients that assume whole hours.
constexpr std::array<int, 8> kOffsets = {-300, 60, 330, -570, 840, -720, 0, 345};

}  // namespace

json::value ids_written_as(const json::value& v, bool as_string) {
  auto one = [&](const json::value& x) -> json::value {
    const auto id = as_id(x);
    if (!id) return x;
    if (as_string) return json::value(std::to_string(*id));
    return json::value(*id);
  };
  if (const json::array* list = v.if_array()) {
    json::array out;
    out.reserve(list->size());
    for (const json::value& x : *list) out.push_back(one(x));
    return out;
  }
  return one(v);
}

namespace {

// The one customer a note's `cust` names, whether written as an id or as a list of one.
std::optional<Id> single_id(const json::value& v) {
  if (const json::array* list = v.if_array()) {
    if (list->size() != 1) return std::nullopt;
    return as_id(list->front());
  }
  return as_id(v);
}

bool is_utc_stamp(std::string_view s) {
  static constexpr std::string_view kPattern = "dddd-dd-ddTdd:dd:ddZ";
  if (s.size() != kPattern.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (kPattern[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(s[i])) : s[i] != kPattern[i])
      return false;
  return true;
}

json::value stamp_as(const json::string& utc, std::uint64_t form, std::uint64_t offset_draw) {
  if (!is_utc_stamp(utc)) return utc;  // a stamp in another form was stored as sent: keep it
  switch (form % 3) {
    case 1:
      return json::value(with_offset(utc, kOffsets[offset_draw % kOffsets.size()]));
    case 2: {
      std::string spaced(utc.data(), utc.size() - 1);  // no "Z": UTC by convention
      spaced[10] = ' ';
      return json::value(spaced);
    }
    default:
      return utc;
  }
}

bool flag_of(const json::value& v, std::string_view key) {
  if (!v.is_bool()) throw std::invalid_argument(std::string(key) + " must be true or false");
  return v.get_bool();
}

}  // namespace

json::object to_json(const ShapeOptions& o) {
  return {
      {"seed", o.seed}, {"per_request", o.per_request}, {"soft_delete_tasks", o.soft_delete_tasks}};
}

ShapeOptions updated(ShapeOptions o, const json::object& settings) {
  for (const auto& kv : settings) {
    const std::string_view key = kv.key();
    const json::value& v = kv.value();
    if (key == "seed") {
      if (!v.is_uint64() && !(v.is_int64() && v.get_int64() >= 0))
        throw std::invalid_argument("seed must be a whole number (0: shapes off)");
      o.seed = v.to_number<std::uint64_t>();
    } else if (key == "per_request") {
      o.per_request = flag_of(v, key);
    } else if (key == "soft_delete_tasks") {
      o.soft_delete_tasks = flag_of(v, key);
    } else {
      throw std::invalid_argument("unknown shape setting '" + std::string(key) +
                                  "'; use seed, per_request, soft_delete_tasks");
    }
  }
  return o;
}

bool holds_ids(const model::Resource& r, std::string_view field) {
  if (field == "id") return true;
  const model::Field* f = r.field_by_api(field);
  return f != nullptr && (f->ref != model::Ref::kNone || f->type == model::FieldType::kIntArray);
}

std::string with_offset(std::string_view utc, int offset_minutes) {
  if (!is_utc_stamp(utc)) return "";
  std::tm tm{};
  auto num = [&](std::size_t at, std::size_t len) {
    return std::stoi(std::string(utc.substr(at, len)));
  };
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  const std::time_t local = timegm(&tm) + static_cast<std::time_t>(offset_minutes) * 60;
  std::tm shifted{};
  gmtime_r(&local, &shifted);
  char buf[40];
  const int minutes = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &shifted);
  std::snprintf(buf + n, sizeof buf - n, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+',
                minutes / 60, minutes % 60);
  return buf;
}

std::string shape_element(const ShapeOptions& o, const model::Resource& r,
                          std::string_view element_json, std::uint64_t answer) {
  const json::object in = json::parse(element_json).as_object();
  const json::value* id_value = in.if_contains("id");
  const Draw draw{o, r.endpoint, id_value ? as_id(*id_value).value_or(0) : 0, answer};
  json::object out;
  out.reserve(in.size());
  for (const auto& kv : in) {
    const std::string_view key = kv.key();
    json::value v = kv.value();
    if (v.is_null()) {
      // Absent and null mean the same to the API: a server may leave the field out.
      if (key != "id" && draw(key, Dim::kNull) % 2 == 1) continue;
      out.emplace(key, nullptr);
      continue;
    }
    const model::Field* f = r.field_by_api(key);
    if (f != nullptr && accepts_id_list(r, *f))
      if (const auto one = single_id(v))  // several customers stay a list
        v = draw(key, Dim::kCustList) % 2 == 1 ? json::value(json::array{*one}) : json::value(*one);
    if (holds_ids(r, key)) {
      v = ids_written_as(v, draw(key, Dim::kIdString) % 2 == 1);
    } else if (f != nullptr && f->type == model::FieldType::kTimestamp && v.is_string()) {
      // One offset per element, so its ao and lm agree when both carry one.
      v = stamp_as(v.get_string(), draw(key, Dim::kStamp), draw("", Dim::kOffset));
    }
    out.emplace(key, std::move(v));
  }
  return json::serialize(out);
}

}  // namespace clevertim::emulator
