#include "sync/merge.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "model/resources.h"

namespace clevertim::sync {

std::optional<ConflictPolicy> parse_conflict_policy(std::string_view text) {
  if (text == "newest") return ConflictPolicy::kNewest;
  if (text == "remote-wins") return ConflictPolicy::kRemoteWins;
  if (text == "local-wins") return ConflictPolicy::kLocalWins;
  if (text == "manual") return ConflictPolicy::kManual;
  return std::nullopt;
}

std::string_view to_string(ConflictPolicy policy) {
  switch (policy) {
    case ConflictPolicy::kNewest:
      return "newest";
    case ConflictPolicy::kRemoteWins:
      return "remote-wins";
    case ConflictPolicy::kLocalWins:
      return "local-wins";
    case ConflictPolicy::kManual:
      return "manual";
  }
  return "newest";
}

FieldMerge merge_fields(const model::Resource& resource, const std::vector<storage::Cell>& base,
                        const std::vector<storage::Cell>& local,
                        const std::vector<storage::Cell>& remote) {
  FieldMerge merge;
  for (size_t i = 0; i < resource.fields.size(); ++i) {
    if (!resource.fields[i].writable()) continue;
    const bool local_changed = local[i] != base[i];
    const bool remote_changed = remote[i] != base[i];
    if (local_changed && remote_changed) {
      if (local[i] != remote[i]) merge.both.push_back(i);  // same new value: nothing to do
    } else if (local_changed) {
      merge.local_only.push_back(i);
    } else if (remote_changed) {
      merge.remote_only.push_back(i);
    }
  }
  return merge;
}

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Instant = std::chrono::sys_time<milliseconds>;

// Reads exactly `n` digits at `pos`; advances `pos`.
std::optional<int> digits(std::string_view text, size_t& pos, size_t n) {
  if (pos + n > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += n;
  return value;
}

// Seconds or milliseconds since the epoch. Below 10^11 a number is taken as seconds (10^11
// seconds is the year 5138; 10^11 milliseconds is 1973): the two never meet in practice.
std::optional<Timestamp> from_epoch_number(long double number) {
  if (!std::isfinite(number) || number < 0) return std::nullopt;
  constexpr long double kMillisecondsFrom = 1e11L;
  constexpr long double kLatest = 1e15L;  // about the year 33658 in milliseconds
  if (number >= kLatest) return std::nullopt;
  if (number < kMillisecondsFrom) {
    const bool whole = number == std::floor(number);
    return Timestamp{Instant(milliseconds(std::llround(std::floor(number * 1000)))),
                     whole ? milliseconds(seconds(1)) : milliseconds(1)};
  }
  return Timestamp{Instant(milliseconds(std::llround(std::floor(number)))), milliseconds(1)};
}

// A number of seconds or milliseconds since the epoch, as text.
bool is_epoch_text(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}
std::optional<Timestamp> from_epoch_text(std::string_view text) {
  if (text.size() > 30 || std::count(text.begin(), text.end(), '.') > 1 || text.front() == '.' ||
      text.back() == '.')
    return std::nullopt;
  return from_epoch_number(std::strtold(std::string(text).c_str(), nullptr));
}

// YYYY-MM-DD, a real date.
std::optional<std::chrono::year_month_day> read_date(std::string_view text, size_t& pos) {
  const auto year = digits(text, pos, 4);
  if (!year || pos >= text.size() || text[pos++] != '-') return std::nullopt;
  const auto month = digits(text, pos, 2);
  if (!month || pos >= text.size() || text[pos++] != '-') return std::nullopt;
  const auto day = digits(text, pos, 2);
  if (!day) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  return date;
}

// The time of day: HH:MM[:SS[.fraction]], and how precisely it was given.
struct ClockTime {
  milliseconds since_midnight{0};
  milliseconds resolution = seconds(60);
};
std::optional<ClockTime> read_clock(std::string_view text, size_t& pos) {
  const auto hour = digits(text, pos, 2);
  if (!hour || pos >= text.size() || text[pos++] != ':') return std::nullopt;
  const auto minute = digits(text, pos, 2);
  if (!minute) return std::nullopt;
  int second = 0;
  ClockTime clock;
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    const auto s = digits(text, pos, 2);
    if (!s) return std::nullopt;
    second = *s;
    clock.resolution = seconds(1);
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      ++pos;
      const size_t start = pos;
      int millis = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (pos - start < 3) millis = millis * 10 + (text[pos] - '0');
        ++pos;
      }
      if (pos == start) return std::nullopt;
      for (size_t n = pos - start; n < 3; ++n) millis *= 10;  // ".5" is 500 ms
      clock.since_midnight = milliseconds(millis);
      clock.resolution = milliseconds(1);
    }
  }
  // 24:00 and leap seconds (:60) are not what the API sends; refusing them is safer than
  // guessing.
  if (*hour > 23 || *minute > 59 || second > 59) return std::nullopt;
  clock.since_midnight +=
      std::chrono::hours(*hour) + std::chrono::minutes(*minute) + seconds(second);
  return clock;
}

// What follows the time: Z, an offset (+HH:MM, +HHMM, +HH) or nothing (UTC, which is what the
// API means). The offset is what to subtract to get UTC.
std::optional<milliseconds> read_offset(std::string_view text, size_t& pos) {
  if (pos == text.size()) return milliseconds(0);
  const char sign = text[pos++];
  if (sign == 'Z' || sign == 'z') return milliseconds(0);
  if (sign != '+' && sign != '-') return std::nullopt;
  const auto oh = digits(text, pos, 2);
  if (!oh) return std::nullopt;
  int om = 0;
  if (pos < text.size()) {
    if (text[pos] == ':') ++pos;
    const auto m = digits(text, pos, 2);
    if (!m) return std::nullopt;
    om = *m;
  }
  if (*oh > 23 || om > 59) return std::nullopt;
  const milliseconds offset = std::chrono::hours(*oh) + std::chrono::minutes(om);
  return sign == '-' ? -offset : offset;
}

}  // namespace

std::optional<Timestamp> parse_timestamp(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  if (is_epoch_text(text)) return from_epoch_text(text);
  // ISO 8601: a date, then T or a space, a time of day, then Z, an offset or nothing.
  size_t pos = 0;
  const auto date = read_date(text, pos);
  if (!date) return std::nullopt;
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' '))
    return std::nullopt;
  ++pos;
  const auto clock = read_clock(text, pos);
  if (!clock) return std::nullopt;
  const auto offset = read_offset(text, pos);
  if (!offset || pos != text.size()) return std::nullopt;
  return Timestamp{std::chrono::sys_days(*date) + clock->since_midnight - *offset,
                   clock->resolution};
}

std::optional<Timestamp> parse_timestamp(const boost::json::value& value) {
  if (value.is_string()) return parse_timestamp(std::string_view(value.get_string()));
  if (value.is_int64()) return from_epoch_number(static_cast<long double>(value.get_int64()));
  if (value.is_uint64()) return from_epoch_number(static_cast<long double>(value.get_uint64()));
  if (value.is_double()) return from_epoch_number(static_cast<long double>(value.get_double()));
  return std::nullopt;
}

Winner choose_winner(ConflictPolicy policy, const std::optional<Timestamp>& local_edit,
                     const boost::json::object& remote) {
  switch (policy) {
    case ConflictPolicy::kRemoteWins:
      return Winner::kRemote;
    case ConflictPolicy::kLocalWins:
      return Winner::kLocal;
    case ConflictPolicy::kManual:
      return Winner::kPerson;
    case ConflictPolicy::kNewest:
      break;
  }
  const boost::json::value* lm = remote.if_contains("lm");
  const std::optional<Timestamp> remote_edit = lm ? parse_timestamp(*lm) : std::nullopt;
  if (!local_edit || !remote_edit) return Winner::kRemote;
  // Compared as instants (text order breaks on offsets, spaces and numbers). `lm` names a
  // whole second: the local edit is surely later only from the end of that second on; within
  // it, it is a tie, and a tie goes to the CRM.
  return local_edit->at >= remote_edit->at + remote_edit->resolution ? Winner::kLocal
                                                                     : Winner::kRemote;
}

}  // namespace clevertim::sync
