// One sync cycle: pull every configured resource, then push every pending local change, and
// record the run in `sync_runs`.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "storage/mirror.h"
#include "sync/account.h"
#include "sync/crm_reader.h"
#include "sync/crm_writer.h"
#include "sync/push.h"
#include "sync/resource_pull.h"

namespace clevertim::sync {

struct CycleOptions {
  std::vector<std::string> resources;  // endpoints, in any order; empty: all
  PullOptions pull;
  PushOptions push;
  bool pull_enabled = true;  // false: push only (a local write just landed)
  bool push_enabled = true;  // false: pull only (restore and undelete read the account first)
  // Confirm first that the CRM is the mirror's own account (see sync/account.h); nothing is
  // read into the mirror nor sent before. Unset: no check (tests with a fake CRM, or a push
  // right after a cycle that checked on the same connection).
  std::optional<AccountCheck> account;
  // The whole cycle's limit (sync.cycle_timeout); 0: none. When it runs out, requests in
  // flight are cut short and no more are sent: what was not pulled or pushed waits for the
  // next cycle, nothing is lost (a create cut short is checked for like a lost answer).
  std::chrono::milliseconds timeout{0};
  // Checked between resources and between pushed rows: stop at the next safe point.
  const std::atomic<bool>* stop_requested = nullptr;
  // A first fill (a table without elements of the CRM yet) is written while its list still
  // arrives once this many elements arrived, holding the mirror's write lock for the rest of
  // the download; smaller lists are written once whole, as every other list is.
  std::int64_t early_apply_from = 5000;
  // Called as a collection streams in: resource, elements so far, bytes so far.
  std::function<void(std::string_view, std::int64_t, std::uint64_t)> progress;
};

struct CycleReport {
  std::int64_t run_id = 0;
  std::vector<PullReport> pulls;
  std::vector<std::string> pull_failures;  // "contact: 503 ... (after 5 attempts)"
  std::vector<std::string> skipped;        // optional endpoints the server does not offer
  // Elements a pull could not keep (not UTF-8, nested too deep, no usable id, too large):
  // "contact: 2 elements skipped ...". The rest of their list was applied.
  std::vector<std::string> skipped_elements;
  PushReport push;
  bool token_refused = false;  // a read answered 401/403: the token, not the data, is wrong
  bool stopped = false;        // a stop was requested before the cycle finished
  // The token was refused, reading or writing (exit code 2: fix the token).
  bool token_problem() const { return token_refused || push.token_refused; }
  bool account_confirmed = false;  // the account check ran and passed

  std::int64_t pulled() const;  // rows written by the pull
  bool mass_delete_held() const;
  // Every resource pulled, every pending change pushed, nothing held.
  bool ok() const;
  std::string summary() const;  // one line, for the log
};

boost::asio::awaitable<CycleReport> run_cycle(storage::Mirror& mirror, CrmReader& reader,
                                              CrmWriter& writer, CycleOptions options);

}  // namespace clevertim::sync
