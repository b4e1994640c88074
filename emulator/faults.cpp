#include "emulator/faults.h"

#include <boost/json.hpp>

#include <stdexcept>

namespace clevertim::emulator {

namespace json = boost::json;

Fault parse_fault(std::string_view name) {
  if (name == "5xx") return Fault::kServerError;
  if (name == "429") return Fault::kRateLimited;
  if (name == "503") return Fault::kUnavailable;
  if (name == "reset") return Fault::kReset;
  if (name == "truncate") return Fault::kTruncate;
  if (name == "empty") return Fault::kEmpty;
  if (name == "drop_after_commit") return Fault::kDropAfterCommit;
  throw std::invalid_argument("unknown fault '" + std::string(name) +
                              "'; use 5xx, 429, 503, reset, truncate, empty, drop_after_commit");
}

Faults::Faults(FaultRates rates) : rates_(rates), rng_(rates.seed) {}

bool Faults::roll(double rate) {
  if (rate <= 0) return false;
  return std::uniform_real_distribution<double>(0, 1)(rng_) < rate;
}

Fault Faults::draw(std::string_view method, std::string_view path, bool read_all, bool write) {
  for (auto it = next_.begin(); it != next_.end(); ++it) {
    if (!it->method.empty() && it->method != method) continue;
    if (!it->path.empty() && path.substr(0, it->path.size()) != it->path) continue;
    const Fault f = it->fault;
    if ((f == Fault::kEmpty && !read_all) || (f == Fault::kDropAfterCommit && !write)) continue;
    next_.erase(it);
    return f;
  }
  if (roll(rates_.server_error)) return Fault::kServerError;
  if (roll(rates_.rate_limited)) return Fault::kRateLimited;
  if (roll(rates_.unavailable)) return Fault::kUnavailable;
  if (roll(rates_.reset)) return Fault::kReset;
  if (roll(rates_.truncate)) return Fault::kTruncate;
  if (read_all && roll(rates_.empty)) return Fault::kEmpty;
  if (write && roll(rates_.drop_after_commit)) return Fault::kDropAfterCommit;
  return Fault::kNone;
}

json::object Faults::to_json() const {
  json::array next;
  for (const OneShot& o : next_)
    next.push_back({{"fault", static_cast<int>(o.fault)}, {"method", o.method}, {"path", o.path}});
  return {{"5xx", rates_.server_error},
          {"429", rates_.rate_limited},
          {"503", rates_.unavailable},
          {"reset", rates_.reset},
          {"truncate", rates_.truncate},
          {"empty", rates_.empty},
          {"drop_after_commit", rates_.drop_after_commit},
          {"retry_after", rates_.retry_after_seconds},
          {"latency_ms", rates_.latency_ms},
          {"seed", rates_.seed},
          {"next", std::move(next)}};
}

void Faults::update(const json::object& s) {
  auto rate = [&](const json::value& v, std::string_view key) {
    if (!v.is_number() || v.to_number<double>() < 0 || v.to_number<double>() > 1)
      throw std::invalid_argument(std::string(key) + " must be a rate between 0 and 1");
    return v.to_number<double>();
  };
  for (const auto& kv : s) {
    const std::string_view key = kv.key();
    const json::value& v = kv.value();
    if (key == "5xx")
      rates_.server_error = rate(v, key);
    else if (key == "429")
      rates_.rate_limited = rate(v, key);
    else if (key == "503")
      rates_.unavailable = rate(v, key);
    else if (key == "reset")
      rates_.reset = rate(v, key);
    else if (key == "truncate")
      rates_.truncate = rate(v, key);
    else if (key == "empty")
      rates_.empty = rate(v, key);
    else if (key == "drop_after_commit")
      rates_.drop_after_commit = rate(v, key);
    else if (key == "retry_after")
      rates_.retry_after_seconds = static_cast<int>(v.to_number<std::int64_t>());
    else if (key == "latency_ms")
      rates_.latency_ms = static_cast<int>(v.to_number<std::int64_t>());
    else if (key == "seed") {
      rates_.seed = v.to_number<std::uint64_t>();
      rng_.seed(rates_.seed);
    } else if (key == "next") {
      if (!v.is_array()) throw std::invalid_argument("next must be a list");
      for (const json::value& o : v.get_array()) {
        if (!o.is_object() || !o.get_object().contains("fault"))
          throw std::invalid_argument("each entry of next needs a fault");
        OneShot shot{parse_fault(o.at("fault").as_string()), "", ""};
        if (auto* m = o.get_object().if_contains("method")) shot.method = m->as_string();
        if (auto* p = o.get_object().if_contains("path")) shot.path = p->as_string();
        next_.push_back(std::move(shot));
      }
    } else {
      throw std::invalid_argument("unknown fault setting '" + std::string(key) + "'");
    }
  }
}

}  // namespace clevertim::emulator
