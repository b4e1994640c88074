// Which CRM account a mirror belongs to. The API has no "who am I": an account is told by its
// server URL (normalised) and its owner (the `user` marked is_owner, else the lowest id), both
// recorded in `sync_meta` by the first sync. A mirror pointed at another account (another URL,
// or a token of another account at the same URL) would mix the two: the pull would replace
// A's elements with B's while the push sent A's edits and new rows to B. So every sync first
// reads the account's users and refuses a different owner or URL, before writing anything.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "storage/mirror.h"
#include "sync/crm_reader.h"

namespace clevertim::sync {

struct AccountIdentity {
  std::string url;  // normalised; empty when not known (a mirror from before it was recorded)
  std::optional<std::int64_t> owner_id;
  std::string owner_email;
  std::string owner_name;

  // "http://127.0.0.1:8080/api, owner #1 Ann Admin <ann@example.com>"
  std::string describe() const;
};

// The mirror belongs to another account: nothing was written. A configuration problem.
class AccountMismatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct AccountCheck {
  std::string url;     // the configured server URL
  bool adopt = false;  // record the account the URL and token reach now as the mirror's own
};

// "HTTPS://Example.COM:443/api/" -> "https://example.com/api": one spelling per server.
std::string normalise_url(std::string_view url);

// What the mirror records as its account: `sync_meta`, else (a mirror synced before this was
// recorded) its `users` table. Empty (no URL, no owner) for a mirror never synced.
AccountIdentity recorded_account(storage::Mirror& mirror);

// Reads the account's users and compares them with what the mirror records. Throws
// AccountMismatch when they differ (unless `check.adopt`); records the identity when the mirror
// had none (or adopts). Returns why, and writes nothing, when the users cannot be read.
// Why the account could not be confirmed (its users could not be read).
struct AccountUnconfirmed {
  std::string message;
  bool token_refused = false;  // the read was answered 401/403: fix the token (exit 2)
};

boost::asio::awaitable<std::optional<AccountUnconfirmed>> confirm_account(storage::Mirror& mirror,
                                                                          CrmReader& reader,
                                                                          AccountCheck check);

}  // namespace clevertim::sync
