#include "emulator/faults.h"

#include <boost/json.hpp>

#include <stdexcept>

namespace clevertim::emulator {

namespace json = boost::json;

std::string_view fault_name(Fault f) {
  switch (f) {
    case Fault::kServerError:
      return "5xx";
    case Fault::kRateLimited:
      return "429";
    case Fault::kUnavailable:
      return "503";
    case Fault::kReset:
      return "reset";
    case Fault::kTruncate:
      return "truncate";
    case Fault::kEmpty:
      return "empty";
    case Fault::kDropAfterCommit:
      return "drop_after_commit";
    case Fault::kShort:
      return "short";
    case Fault::kBadId:
      return "bad_id";
    case Fault::kUnavailableAfterCommit:
      return "503_after_commit";
    case Fault::kRateLimitedAfterCommit:
      return "429_after_commit";
    case Fault::kNone:
      break;
  }
  return "";
}

Fault parse_fault(std::string_view name) {
  for (Fault f : {Fault::kServerError, Fault::kRateLimited, Fault::kUnavailable, Fault::kReset,
                  Fault::kTruncate, Fault::kEmpty, Fault::kDropAfterCommit, Fault::kShort,
                  Fault::kBadId, Fault::kUnavailableAfterCommit, Fault::kRateLimitedAfterCommit})
    if (fault_name(f) == name) return f;
  throw std::invalid_argument(
      "unknown fault '" + std::string(name) +
      "'; use 5xx, 429, 503, reset, truncate, empty, drop_after_commit, short, bad_id, "
      "503_after_commit, 429_after_commit");
}

Faults::Faults(FaultRates rates) : rates_(rates), rng_(rates.seed) {}

bool Faults::roll(double rate) {
  if (rate <= 0) return false;
  return std::uniform_real_distribution<double>(0, 1)(rng_) < rate;
}

int Faults::server_error_status() {
  const auto& statuses = rates_.server_error_statuses;
  return statuses[rng_() % statuses.size()];
}

std::string Faults::spoil_read_all(Fault f, const std::string& body) {
  if (f != Fault::kShort && f != Fault::kBadId) return body;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  json::array* content = nullptr;
  if (!ec && v.is_object())
    if (json::value* c = v.get_object().if_contains("content")) content = c->if_array();
  if (content == nullptr || content->empty()) return body;
  const std::size_t n = content->size();
  if (f == Fault::kShort) {
    // k of n dropped, chosen by a partial Fisher-Yates shuffle; the rest keep their order.
    const std::size_t k = 1 + rng_() % n;
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    std::vector<bool> dropped(n, false);
    for (std::size_t i = 0; i < k; ++i) {
      std::swap(order[i], order[i + rng_() % (n - i)]);
      dropped[order[i]] = true;
    }
    json::array kept;
    for (std::size_t i = 0; i < n; ++i)
      if (!dropped[i]) kept.push_back(std::move((*content)[i]));
    *content = std::move(kept);
    return json::serialize(v);
  }
  // kBadId. The odd numbers (104.0, 1.04e2, 2^64) cannot be written by a JSON library that
  // normalises numbers, so the element carries a marker string that the text then replaces.
  json::object& victim = (*content)[rng_() % n].as_object();
  const std::string_view bad = kBadIds[rng_() % std::size(kBadIds)];
  std::string own;
  if (const json::value* id = victim.if_contains("id")) {
    if (const json::string* s = id->if_string())
      own = std::string(*s);
    else if (id->is_number())
      own = json::serialize(*id);
  }
  if (own.empty()) own = "0";
  std::string text;  // what replaces the marker
  if (bad == "ID.0") {
    text = own + ".0";
  } else if (bad == "ID-exp") {  // 104 -> 1.04e2, 7 -> 7e0
    const std::string digits = own.starts_with('-') ? own.substr(1) : own;
    text = (own.starts_with('-') ? "-" : "") + digits.substr(0, 1) +
           (digits.size() > 1 ? "." + digits.substr(1) : "") + "e" +
           std::to_string(digits.size() - 1);
  } else {
    text = std::string(bad);
  }
  json::object spoiled;  // rebuilt, not erased in place: erase would reorder the keys
  const json::string marker = "\u0001clevertim-emulator-bad-id\u0001";
  for (auto& kv : victim) {
    if (kv.key() != "id")
      spoiled.emplace(kv.key(), std::move(kv.value()));
    else if (!bad.empty())
      spoiled.emplace("id", marker);
  }
  if (!bad.empty() && !victim.contains("id")) spoiled.emplace("id", marker);
  victim = std::move(spoiled);
  std::string out = json::serialize(v);
  const std::string quoted_marker = json::serialize(json::value(marker));
  if (const auto at = out.find(quoted_marker); at != std::string::npos)
    out.replace(at, quoted_marker.size(), text);
  return out;
}

Fault Faults::draw(std::string_view method, std::string_view path, bool read_all, bool write) {
  for (auto it = next_.begin(); it != next_.end(); ++it) {
    if (!it->method.empty() && it->method != method) continue;
    if (!it->path.empty() && !path.starts_with(it->path)) continue;
    if ((hits_read_alls_only(it->fault) && !read_all) ||
        ((it->fault == Fault::kDropAfterCommit || it->fault == Fault::kUnavailableAfterCommit ||
          it->fault == Fault::kRateLimitedAfterCommit) &&
         !write))
      continue;
    const Fault f = it->fault;
    next_.erase(it);
    return f;
  }
  if (roll(rates_.server_error)) return Fault::kServerError;
  if (roll(rates_.rate_limited)) return Fault::kRateLimited;
  if (roll(rates_.unavailable)) return Fault::kUnavailable;
  if (roll(rates_.reset)) return Fault::kReset;
  if (roll(rates_.truncate)) return Fault::kTruncate;
  if (read_all && roll(rates_.empty)) return Fault::kEmpty;
  // After the older faults, and rolled only when set: their draws stay what they were.
  if (read_all && roll(rates_.short_list)) return Fault::kShort;
  if (read_all && roll(rates_.bad_id)) return Fault::kBadId;
  if (write && roll(rates_.drop_after_commit)) return Fault::kDropAfterCommit;
  return Fault::kNone;
}

json::object Faults::to_json() const {
  json::array next;
  for (const OneShot& o : next_)
    next.push_back({{"fault", fault_name(o.fault)}, {"method", o.method}, {"path", o.path}});
  json::array statuses(rates_.server_error_statuses.begin(), rates_.server_error_statuses.end());
  return {{"5xx", rates_.server_error},
          {"5xx_statuses", std::move(statuses)},
          {"429", rates_.rate_limited},
          {"503", rates_.unavailable},
          {"reset", rates_.reset},
          {"truncate", rates_.truncate},
          {"empty", rates_.empty},
          {"drop_after_commit", rates_.drop_after_commit},
          {"short", rates_.short_list},
          {"bad_id", rates_.bad_id},
          {"retry_after", rates_.retry_after_seconds},
          {"latency_ms", rates_.latency_ms},
          {"seed", rates_.seed},
          {"next", std::move(next)}};
}

namespace {

double rate_of(const json::value& v, std::string_view key) {
  const double r = v.is_number() ? v.to_number<double>() : -1;
  if (r < 0 || r > 1) throw std::invalid_argument(std::string(key) + " must be a rate from 0 to 1");
  return r;
}

std::int64_t count_of(const json::value& v, std::string_view key) {
  if (!v.is_int64() && !v.is_uint64())
    throw std::invalid_argument(std::string(key) + " must be a whole number");
  const std::int64_t n = v.to_number<std::int64_t>();
  if (n < 0 || n > 3'600'000) throw std::invalid_argument(std::string(key) + " is out of range");
  return n;
}

std::string text_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return "";
  if (!v->is_string()) throw std::invalid_argument(std::string(key) + " must be a string");
  return std::string(v->get_string());
}

}  // namespace

std::vector<int> parse_server_error_statuses(const json::value& v) {
  std::vector<int> out;
  if (const json::array* list = v.if_array())
    for (const json::value& s : *list) {
      if (!s.is_int64() || s.get_int64() < 500 || s.get_int64() > 599)
        throw std::invalid_argument("5xx_statuses must hold statuses from 500 to 599");
      out.push_back(static_cast<int>(s.get_int64()));
    }
  if (out.empty()) throw std::invalid_argument("5xx_statuses must be a non-empty list");
  return out;
}

void Faults::update(const json::object& s) {
  Faults next = *this;  // all or nothing
  FaultRates& r = next.rates_;
  for (const auto& kv : s) {
    const std::string_view key = kv.key();
    const json::value& v = kv.value();
    if (key == "5xx") {
      r.server_error = rate_of(v, key);
    } else if (key == "5xx_statuses") {
      r.server_error_statuses = parse_server_error_statuses(v);
    } else if (key == "429") {
      r.rate_limited = rate_of(v, key);
    } else if (key == "503") {
      r.unavailable = rate_of(v, key);
    } else if (key == "reset") {
      r.reset = rate_of(v, key);
    } else if (key == "truncate") {
      r.truncate = rate_of(v, key);
    } else if (key == "empty") {
      r.empty = rate_of(v, key);
    } else if (key == "drop_after_commit") {
      r.drop_after_commit = rate_of(v, key);
    } else if (key == "short") {
      r.short_list = rate_of(v, key);
    } else if (key == "bad_id") {
      r.bad_id = rate_of(v, key);
    } else if (key == "retry_after") {
      r.retry_after_seconds = static_cast<int>(count_of(v, key));
    } else if (key == "latency_ms") {
      r.latency_ms = static_cast<int>(count_of(v, key));
    } else if (key == "seed") {
      if (!v.is_uint64() && !(v.is_int64() && v.get_int64() >= 0))
        throw std::invalid_argument("seed must be a whole number");
      r.seed = v.to_number<std::uint64_t>();
      next.rng_.seed(r.seed);
    } else if (key == "next") {
      if (!v.is_array()) throw std::invalid_argument("next must be a list of one-shot faults");
      for (const json::value& o : v.get_array()) {
        if (!o.is_object()) throw std::invalid_argument("each entry of next must be an object");
        const json::object& shot = o.get_object();
        next.next_.push_back(
            {parse_fault(text_of(shot, "fault")), text_of(shot, "method"), text_of(shot, "path")});
      }
    } else {
      throw std::invalid_argument("unknown fault setting '" + std::string(key) + "'");
    }
  }
  *this = std::move(next);
}

}  // namespace clevertim::emulator
