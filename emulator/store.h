// The emulated CRM account: every element of every resource, validated and completed as the
// real server does (API.md), driven by model/resources.h.
//
// What the store guarantees:
// - One global id sequence across all resources (ids never collide, so a `cust` id names a
//   contact or a company unambiguously), always above every id present.
// - Elements are kept as clients sent them, unknown fields included, in the order sent; the
//   server adds `id` (first), then what the model says it fills: `is_company`, `userId`
//   (the creator), `ao`, `lm`, and empty read-only id lists such as `files`.
// - Read-only fields a client sends are ignored, not refused; so is a body's `id`.
// - The read-only link lists (Backlinks: a contact's `notes`, a note's `comments`, ...) are
//   never stored: they are derived, on output, from an index of the other side's references,
//   so they are always consistent and appear last in every element.
// - Deleting an element (see remove()) deletes what cannot exist without it and sets the other
//   references to it to null.
// - A read-all body is serialized once and cached until a write changes that collection, or a
//   collection whose references it lists (a note write invalidates contacts, companies, ...).
//
// Each element is held as its compact JSON text (about a fifth of the memory of a parsed
// boost::json::object, which matters for the benchmarks' 250k-element accounts); a write
// parses the one element it changes.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "emulator/envelope.h"
#include "emulator/shapes.h"
#include "emulator/validate.h"

namespace clevertim::model {
struct Field;
struct Resource;
}  // namespace clevertim::model

namespace clevertim::emulator {

class Store {
 public:
  Store();

  // GET BASE/{r}: every element, from the cached body.
  std::shared_ptr<const std::string> read_all(const model::Resource& r);
  // Off: every read-all serializes its body again, as a server without such a cache does. The
  // benchmarks use it so that every download they time costs the server the same.
  void cache_read_all(bool on) { cache_read_all_ = on; }
  // How answers write elements (shapes.h) and whether `is_deleted` deletes a task. Drops the
  // cached read-alls, which were written in the old shapes.
  void set_shapes(ShapeOptions o);
  const ShapeOptions& shapes() const { return shapes_; }
  // GET BASE/{r}/{id}: 200 with the element, or 404.
  Answer read_one(const model::Resource& r, Id id);
  // POST BASE/{r}: 200 with the stored element and its new id, or 400. `creator` fills
  // `userId` where the model has it (null when the account has no users).
  Answer create(const model::Resource& r, const boost::json::value& body,
                std::optional<Id> creator);
  // PUT BASE/{r}/{id}: only the fields sent change (a whole element works the same way);
  // `lm` moves only when something changed. 200, 400, 404, or 501 where the model says the
  // resource cannot be updated (comment). With shapes on (or soft_delete_tasks), a task whose
  // `is_deleted` becomes or stays true is deleted as DELETE does; the answer shows it as it
  // was last, `is_deleted: true`.
  Answer update(const model::Resource& r, Id id, const boost::json::value& body);
  // DELETE BASE/{r}/{id}: 200 {"status":"OK"} or 404.
  //   Cascades: a note goes with the contact/company in its `cust` (the CRM shows notes on
  //   their customer); a comment goes with its note or task. Every other reference to the
  //   deleted element becomes null (an id is removed from a list-valued `cust`), and `cf`
  //   keys of a deleted custom field are removed; each element changed so gets a new `lm`.
  Answer remove(const model::Resource& r, Id id);

  // The whole account, {"contact":[...], ..., "next_id":N}, derived fields included.
  std::string state_json() const;
  // Replaces the whole account with `state` (same shape; absent resources are empty; without
  // `next_id`, ids continue above the highest present). Throws std::invalid_argument on a
  // malformed state, leaving the account unchanged.
  void replace_state(boost::json::object state);
  // Adds one element as it was saved (a state file, the sample account): no validation, its id
  // kept, link lists dropped (they are derived). Throws std::invalid_argument for a missing or
  // duplicate id. For filling a store before it serves.
  void load(const model::Resource& r, boost::json::object element);

  // The user an API token acts as: the account owner (`is_owner`), else the lowest user id.
  std::optional<Id> owner() const;
  // "Someone in the web app": the lowest user id that is not the owner, else the owner.
  std::optional<Id> web_user() const;
  std::size_t size() const { return where_.size(); }

 private:
  // One field whose values are ids, indexed as (referenced id, holder id) pairs so that
  // backlinks and deletes find the holders of a reference without scanning.
  struct RefIndex {
    std::size_t holder;  // collection holding the field
    const model::Field* field;
    bool owned;  // deleting the referenced element deletes the holder
    std::set<std::pair<Id, Id>> pairs;
  };
  struct Collection {
    const model::Resource* resource;
    std::map<Id, std::string> elements;   // compact JSON, without the link lists
    std::vector<std::size_t> ref_fields;  // indexes into refs_ of this collection's fields
    std::vector<std::pair<const model::Field*, std::size_t>> backlinks;  // field, refs_ index
    std::vector<std::size_t> dependents;       // collections whose backlinks list this one's ids
    std::shared_ptr<const std::string> cache;  // the read-all body, until a write
  };

  bool cache_read_all_ = true;
  ShapeOptions shapes_;
  std::uint64_t answers_ = 0;  // answers written with shapes: per_request draws from it

  std::size_t collection_of(const model::Resource& r) const;
  bool exists(std::string_view endpoint, Id id) const;
  boost::json::object writable_part(const model::Resource& r, const boost::json::object& in) const;
  void fill_server_fields(const model::Resource& r, boost::json::object& e) const;
  void index(std::size_t c, Id id, const boost::json::object& e, bool add);
  void touch(std::size_t c);
  void remove_element(std::size_t c, Id id, const std::string& now);
  void clear_reference(RefIndex& ref, Id holder, Id target, const std::string& now);
  void append_element(std::string& out, const Collection& c, Id id, const std::string& text) const;
  std::string element_json(const Collection& c, Id id, const std::string& text) const;
  // element_json in the answer's shapes.
  std::string answer_json(const Collection& c, Id id, const std::string& text);
  void settle_ids(const model::Resource& r, boost::json::object& sent,
                  const boost::json::object* before) const;

  std::vector<Collection> collections_;  // parallel to model::all_resources()
  std::vector<RefIndex> refs_;
  std::unordered_map<Id, std::size_t> where_;  // id -> collection: the global id space
  Id next_id_ = 1;
};

}  // namespace clevertim::emulator
