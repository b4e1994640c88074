#include "storage/sync_state.h"

namespace clevertim::storage {

SyncState parse_sync_state(std::string_view text) {
  if (text == "pending") return SyncState::kPending;
  if (text == "conflict") return SyncState::kConflict;
  if (text == "error") return SyncState::kError;
  return SyncState::kSynced;
}

std::string_view to_string(SyncState state) {
  switch (state) {
    case SyncState::kSynced:
      return "synced";
    case SyncState::kPending:
      return "pending";
    case SyncState::kConflict:
      return "conflict";
    case SyncState::kError:
      return "error";
  }
  return "synced";
}

}  // namespace clevertim::storage
