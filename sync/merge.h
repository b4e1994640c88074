// Three-way merge of one element: the base (last synced version), the local row and the CRM's
// current version, field by field.
#pragma once

#include <boost/json/fwd.hpp>

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "storage/element_mapping.h"

namespace clevertim::model {
struct Resource;
}

namespace clevertim::sync {

// Who wins when the same field changed on both sides.
enum class ConflictPolicy {
  kNewest,  // the later edit: the local edit time against the CRM's `lm`; CRM when unknown
  kRemoteWins,
  kLocalWins,
  kManual,  // keep the row in conflict until a person picks a side
};

std::optional<ConflictPolicy> parse_conflict_policy(std::string_view text);
std::string_view to_string(ConflictPolicy policy);

// Field indexes (into Resource::fields, writable fields only) sorted by what the merge does.
struct FieldMerge {
  std::vector<size_t> local_only;   // changed here only: send them
  std::vector<size_t> remote_only;  // changed in the CRM only: take them
  std::vector<size_t> both;         // changed on both sides to different values: a conflict

  bool has_conflict() const { return !both.empty(); }
};

FieldMerge merge_fields(const model::Resource& resource, const std::vector<storage::Cell>& base,
                        const std::vector<storage::Cell>& local,
                        const std::vector<storage::Cell>& remote);

// A point in time read from the CRM or the outbox, with how precise its source was: `lm` has
// whole seconds (an edit at 12:00:00 may have happened until 12:00:00.999), the outbox
// milliseconds.
struct Timestamp {
  std::chrono::sys_time<std::chrono::milliseconds> at;
  std::chrono::milliseconds resolution{1};
};

// An instant, whatever its shape: ISO 8601 with `T` or a space between date and time, with or
// without seconds and a fraction of them, with `Z`, an offset (`-05:00`, `+0200`, `+02`) or no
// zone (UTC); or a number of seconds, or of milliseconds, since 1970 (from 10^11 on, a number
// is taken as milliseconds), as a JSON number or as text. Nothing for anything else.
std::optional<Timestamp> parse_timestamp(std::string_view text);
std::optional<Timestamp> parse_timestamp(const boost::json::value& value);
// A string literal converts to both of the above; it is text.
inline std::optional<Timestamp> parse_timestamp(const char* text) {
  return parse_timestamp(std::string_view(text));
}

enum class Winner { kLocal, kRemote, kPerson };

// Applies the policy to one conflicting field. `local_edit` is when that field was last
// edited here; the CRM's time is the element's `lm`. Under `newest` the local edit wins only
// when it is surely later: an unknown time on either side, or a tie within the precision of
// `lm`, goes to the CRM.
Winner choose_winner(ConflictPolicy policy, const std::optional<Timestamp>& local_edit,
                     const boost::json::object& remote);

}  // namespace clevertim::sync
