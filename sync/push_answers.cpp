// Recording what the CRM answered, or why a row was not sent: new ids replace local ones
// everywhere, rows become `synced`, stay `pending` with the reason they wait, or go to `error`
// with the server's message. Nothing is ever dropped silently. Everything here runs inside
// the caller's transaction (the batch, or an OwnWriteTransaction before sending starts).
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "sync/push_run.h"

namespace clevertim::sync {
namespace {

namespace json = boost::json;
using storage::SyncState;
using Status = WriteResult::Status;

// The token is named by where it comes from, never shown.
std::string token_problem(const std::string& answer) {
  return "the CRM refused the API token (" + answer +
         "): it is wrong, expired, or has no write access. Put a token with write access "
         "(Clevertim: Account / My Info & Settings) in server.token_file, "
         "$CREDENTIALS_DIRECTORY/token or $CLEVERTIM_TOKEN, and run clevertim-sync "
         "check-config; waiting changes go out with the next sync, no retry needed";
}

}  // namespace

// Stores the CRM's answer for a row that was `old_id` locally and is `element.id` now.
// Later local edits (made while the request was on its way) keep the row pending.
void PushRun::store_answer(const RowChange& item, std::int64_t old_id,
                           const storage::MappedElement& element) {
  storage::ElementTable& table = table_for(*item.resource);
  consume(item, old_id);
  const bool edited_since = later_entries(item, old_id) > 0;
  if (old_id != element.id) {
    table.remove(element.id);  // in case the pull saw it already (nothing if not)
    rekey_.replace(*item.resource, old_id, element.id);
  }
  drop_remote_version(*item.resource, old_id);
  drop_intent(*item.resource, old_id);
  if (!edited_since) {
    table.store_synced(element);
    return;
  }
  if (auto row = table.read(element.id)) {
    row->raw = element.raw;
    row->state = SyncState::kPending;
    row->error.reset();
    table.write(*row);
  }
}

void PushRun::mark_waiting(const RowChange& item, const std::string& why) {
  ++report_.waiting;
  report_.problems.push_back(label(*item.resource, item.id) + ": " + why);
  batch_->add([&] { table_for(*item.resource).set_state(item.id, SyncState::kPending, why); });
}

void PushRun::mark_rejected(const RowChange& item, const std::string& why) {
  ++report_.rejected;
  report_.problems.push_back(label(*item.resource, item.id) + ": " + why);
  spdlog::error("{} was not pushed: {}", label(*item.resource, item.id), why);
  batch_->add([&] {
    table_for(*item.resource).set_state(item.id, SyncState::kError, why);
    outbox_.mark_refused(item.resource->endpoint, item.id, item.last_seq, why);
  });
}

// A row that cannot be sent as it is: it waits for a new row it references, or it is
// refused (a bad value, or a reference to a new row that no longer exists: deleted before it
// was ever created in the CRM, so waiting would be for ever).
void PushRun::handle_payload_problem(const RowChange& item, const PayloadProblem& problem) {
  if (!problem.waits_for_dependency) return mark_rejected(item, problem.message);
  if (problem.ref == model::Ref::kNone || local_row_exists(problem.ref, problem.local_id))
    return mark_waiting(item, problem.message);
  mark_rejected(item, "it references " + std::to_string(problem.local_id) +
                          ", a new row that was deleted before it reached the CRM; set that "
                          "column to NULL or to an existing id and it is pushed again");
}

bool PushRun::local_row_exists(model::Ref ref, std::int64_t id) {
  for (std::string_view endpoint : model::endpoints_for(ref)) {
    const model::Resource* target = model::find_resource(endpoint);
    if (target != nullptr && table_for(*target).read(id).has_value()) return true;
  }
  return false;
}

// Handles an answer that is not a success. Returns true when it was one of those.
bool PushRun::handle_failure(const RowChange& item, const WriteResult& result,
                             std::string_view what) {
  switch (result.status) {
    case Status::kOk:
      return false;
    case Status::kRetryLater:
      mark_waiting(item,
                   std::string(what) + " failed for now, retried next cycle: " + result.message);
      return true;
    case Status::kUnknown:
      mark_waiting(item, std::string(what) + " got no clear answer (" + result.message +
                             "); the next cycle checks whether the CRM has it before "
                             "sending again");
      return true;
    case Status::kNotFound:
    case Status::kRejected:
      mark_rejected(item, "the CRM refused the " + std::string(what) + ": " + result.message);
      return true;
    case Status::kUnauthorized:
      if (!token_refused_) {
        token_refused_ = token_problem(result.message);
        report_.token_refused = true;
        spdlog::error("push stopped: {}", *token_refused_);
        report_.problems.push_back("push stopped: " + *token_refused_);
      }
      wait_for_token(item);
      return true;
  }
  return true;
}

// A change not sent because the token was refused: it stays pending (not `error`: it is
// nothing wrong with the change), with the reason, and goes out once the token works.
void PushRun::wait_for_token(const RowChange& item) {
  ++report_.waiting;
  batch_->add(
      [&] { table_for(*item.resource).set_state(item.id, SyncState::kPending, *token_refused_); });
}

void PushRun::wait_for_token(std::vector<RowChange>& items) {
  for (RowChange& item : items)
    if (!item.handled) {
      item.handled = true;
      wait_for_token(item);
    }
}

void PushRun::wait_for_token(Plan& plan) {
  for (auto& [order, wave] : plan.creates) wait_for_token(wave);
  wait_for_token(plan.updates);
  for (auto& [order, wave] : plan.deletes) wait_for_token(wave);
}

std::optional<storage::MappedElement> PushRun::map_answer(const RowChange& item,
                                                          const WriteResult& result) {
  auto mapped = storage::map_element(*item.resource, result.element);
  if (auto* e = std::get_if<storage::MappedElement>(&mapped)) {
    for (const std::string& w : e->warnings) spdlog::warn("{}", w);
    return std::move(*e);
  }
  mark_waiting(item, "the CRM answered without a usable element (" +
                         std::get<storage::MappingError>(mapped).message + ")");
  return std::nullopt;
}

// ---- the push's tables, as the run names them ----

std::optional<storage::RemoteVersion> PushRun::remote_version(const model::Resource& r,
                                                              std::int64_t id) {
  return ledger_.remote_version(r.endpoint, id);
}

std::int64_t PushRun::later_entries(const RowChange& item, std::int64_t id) {
  return outbox_.entries_after(item.resource->endpoint, id, item.last_seq);
}

void PushRun::consume(const RowChange& item, std::int64_t id) {
  outbox_.consume(item.resource->endpoint, id, item.last_seq);
}

void PushRun::drop_remote_version(const model::Resource& r, std::int64_t id) {
  ledger_.drop_remote_version(r.endpoint, id);
}

void PushRun::drop_intent(const model::Resource& r, std::int64_t id) {
  ledger_.drop_intent(r.endpoint, id);
}

void PushRun::add_intent(const model::Resource& r, std::int64_t id, const json::object& payload) {
  batch_->add([&] { ledger_.add_intent(r.endpoint, id, json::serialize(payload)); });
}

// Added to the batch, which is committed before the PUT is sent (see push_updates).
void PushRun::add_sent_update(const model::Resource& r, std::int64_t id, const json::object& body) {
  batch_->add([&] { ledger_.add_sent_update(r.endpoint, id, json::serialize(body)); });
}

void PushRun::drop_sent_update(const model::Resource& r, std::int64_t id) {
  ledger_.drop_sent_update(r.endpoint, id);
}

// One table object (and its prepared statements) per resource, for the whole run.
storage::ElementTable& PushRun::table_for(const model::Resource& r) {
  auto& slot = tables_[&r];
  if (!slot) slot = std::make_unique<storage::ElementTable>(db_, r);
  return *slot;
}

}  // namespace clevertim::sync
