// Three-way merge of one element: the base (last synced version), the local row and the CRM's
// current version, field by field.
#pragma once

#include <boost/json/fwd.hpp>

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

enum class Winner { kLocal, kRemote, kPerson };

// Applies the policy. `local_edit_time` is the ISO time of the latest local edit; the CRM's
// time is its `lm` field, when it has one.
Winner choose_winner(ConflictPolicy policy, std::string_view local_edit_time,
                     const boost::json::object& remote);

}  // namespace clevertim::sync
