// POSTs whose answer was lost (an intent left in push_intents): if the pull found the element,
// it is adopted instead of being sent again; if not, it is sent again; if the list could not
// be read, it waits.
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "sync/push_run.h"

namespace clevertim::sync {
namespace {

namespace json = boost::json;
using storage::OwnWriteTransaction;

struct Intent {
  const model::Resource* resource;
  std::int64_t id;
  json::object payload;
};

// The POSTs whose answer was never recorded, of the resources this release knows.
std::vector<Intent> read_intents(storage::PushLedger& ledger) {
  std::vector<Intent> intents;
  for (const storage::UnansweredCreate& create : ledger.unanswered_creates()) {
    const model::Resource* r = model::find_resource(create.endpoint);
    if (r == nullptr) continue;
    intents.push_back({r, create.id, json::parse(create.payload).as_object()});
  }
  return intents;
}

// Whether `element` carries the same values as `sent` for every `identity` field.
bool same_identity(const std::vector<std::string_view>& identity, const json::object& sent,
                   const json::object& element) {
  bool same = true;
  for (std::string_view f : identity) {
    const json::value* a = sent.if_contains(f);
    const json::value* b = element.if_contains(f);
    same = same && ((a == nullptr && (b == nullptr || b->is_null())) ||
                    (a != nullptr && b != nullptr && *a == *b));
  }
  return same;
}

}  // namespace

void PushRun::recognise_lost_creates() {
  for (const Intent& intent : read_intents(ledger_)) {
    if (!options_.freshly_pulled.contains(std::string(intent.resource->endpoint))) {
      blocked_.insert({intent.resource->endpoint, intent.id});
      report_.waiting++;
      report_.problems.push_back(
          label(*intent.resource, intent.id) + ": a create whose answer was lost waits until the " +
          std::string(intent.resource->endpoint) + " list can be read to check for it");
      continue;
    }
    auto found = table_for(*intent.resource).find_matching(intent.payload);
    if (!found) found = created_since_with_same_identity(*intent.resource, intent.payload);
    OwnWriteTransaction tx(db_);
    if (found) {
      RowChange item;
      item.resource = intent.resource;
      item.id = intent.id;
      item.last_seq = outbox_.last_insert_seq(intent.resource->endpoint, intent.id);
      if (table_for(*intent.resource).read(intent.id))
        adopt_lost_create(item, intent.payload, *found);
    }
    drop_intent(*intent.resource, intent.id);
    tx.commit();
  }
}

// An element this cycle's pull found new whose identifying fields (what a create must
// carry: cn, fn/ln, name, desc, comment) equal the lost POST's: the CRM created it, then
// someone changed another field it was sent with, so it no longer matches on every field.
// Sending it again made a duplicate. Each such element is adopted once.
std::optional<std::string> PushRun::created_since_with_same_identity(const model::Resource& r,
                                                                     const json::object& sent) {
  const auto created = options_.freshly_created.find(std::string(r.endpoint));
  if (created == options_.freshly_created.end()) return std::nullopt;
  std::vector<std::string_view> identity;
  for (std::string_view f : r.create.required) identity.push_back(f);
  for (std::string_view f : r.create.needs_one_of) identity.push_back(f);
  if (identity.empty()) return std::nullopt;  // nothing tells this element from another
  for (std::int64_t id : created->second) {
    if (adopted_.contains({r.endpoint, id})) continue;
    auto raw = table_for(r).raw_of(id);
    if (!raw) continue;
    json::error_code ec;
    const json::value element = json::parse(*raw, ec);
    if (ec || !element.is_object()) continue;
    if (!same_identity(identity, sent, element.get_object())) continue;
    adopted_.insert({r.endpoint, id});
    return raw;
  }
  return std::nullopt;
}

// The element a lost POST created, found in the pull: the row becomes it. A row edited since
// the POST keeps its edits pending, merged against what the POST created (the fields it
// sent), with the CRM's version now as the remote one: an edit made in the CRM since the
// create is then a conflict under the policy. Taking the CRM's version now as the base made
// the later local edit overwrite it silently.
void PushRun::adopt_lost_create(const RowChange& item, const json::object& sent,
                                const std::string& found) {
  const model::Resource& r = *item.resource;
  const json::value now = json::parse(found);
  const auto mapped = storage::map_element(r, now);
  const std::int64_t new_id = std::get<storage::MappedElement>(mapped).id;
  spdlog::info("{}: the CRM had received the create whose answer was lost; adopted as {}",
               label(r, item.id), new_id);
  if (later_entries(item, item.id) == 0)
    return store_answer(item, item.id, std::get<storage::MappedElement>(mapped));
  json::object created = now.as_object();
  for (size_t i : writable_indexes(r)) {
    const std::string_view api = r.fields[i].api;
    if (const json::value* v = sent.if_contains(api))
      created[api] = *v;
    else
      created.erase(api);
  }
  auto base = storage::map_element(r, created);
  store_answer(item, item.id, std::get<storage::MappedElement>(base));
  if (std::get<storage::MappedElement>(base).raw != found) {
    table_for(r).record_remote_version(new_id, &found);
    ledger_.note_remote_version(r.endpoint, new_id);
  }
}

}  // namespace clevertim::sync
