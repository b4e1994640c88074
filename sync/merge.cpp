#include "sync/merge.h"

#include <boost/json.hpp>

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

Winner choose_winner(ConflictPolicy policy, std::string_view local_edit_time,
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
  if (lm == nullptr || !lm->is_string() || lm->get_string().size() < 19) return Winner::kRemote;
  // Both are ISO-8601 UTC; to the second, text order is time order. A tie goes to the CRM.
  const std::string_view remote_time(lm->get_string().data(), 19);
  return local_edit_time.substr(0, 19) > remote_time ? Winner::kLocal : Winner::kRemote;
}

}  // namespace clevertim::sync
