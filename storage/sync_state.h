// A row's sync_state: synced with the CRM, or carrying local changes not pushed yet (pending),
// held by a conflict, or refused by the CRM (error). The column stores the words.
#pragma once

#include <cstdint>
#include <string_view>

namespace clevertim::storage {

enum class SyncState : std::uint8_t { kSynced, kPending, kConflict, kError };

SyncState parse_sync_state(std::string_view text);
std::string_view to_string(SyncState state);

inline bool has_local_changes(SyncState state) {
  return state != SyncState::kSynced;
}

}  // namespace clevertim::storage
