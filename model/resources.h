// The one declarative description of the Clevertim CRM's resources.
//
// Everything else is derived from the tables in resources.cpp: the mirror's DDL, triggers and
// views (storage/), the JSON <-> row mapping, push payloads (sync/) and the emulator's
// validation (emulator/). Adding a field to the mirror means adding one line there.
//
// Names follow docs/MIRROR.md (columns) and API.md (API names and types).
#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace clevertim::model {

// How a field's JSON value is stored in its column.
enum class FieldType {
  kInt,          // JSON integer (numeric strings accepted) -> INTEGER
  kText,         // JSON string (numbers accepted, kept as their text) -> TEXT
  kBool,         // JSON true/false -> 0/1
  kTimestamp,    // server time stamp: string kept as text, number kept as integer
  kDate,         // {"y","mo","d"[,"h","mi"]} -> ISO text "2013-12-29T04:04" / "2013-12-29"
  kStringArray,  // [str]  -> JSON text
  kIntArray,     // [int]  -> JSON text
  kObjectArray,  // [obj]  -> JSON text
  kObject,       // obj    -> JSON text
  kAny,          // anything: scalars as themselves, arrays/objects as JSON text
};

// Whether a client may send the field.
enum class Access { kWritable, kReadOnly };

// What an id-valued field points at. kCustomer is "a contact or a company": both live in one
// id space at Clevertim.
enum class Ref { kNone, kCompany, kCustomer, kCase, kOpportunity, kNote, kTask, kUser };

// A read-only link list the server derives from the other side of a relation, e.g. a
// contact's `notes` are the ids of notes whose `cust` is the contact.
struct Backlink {
  std::string_view endpoint;   // the resource holding the forward reference ("note")
  std::string_view api_field;  // its field ("cust")
};

// One column of a reporting view over an array of objects: `$.no` of a phone -> `number`.
struct ViewColumn {
  std::string_view json_key;
  std::string_view column;
};

struct Field {
  std::string_view api;     // name in the API's JSON ("companyId")
  std::string_view column;  // column in the mirror ("company_id")
  FieldType type;
  Access access = Access::kWritable;
  Ref ref = Ref::kNone;
  Backlink backlink = {};                          // for derived read-only link lists
  std::span<const std::string_view> allowed = {};  // closed set of values, when the API has one
  std::string_view view = {};        // reporting view, one row per array element ("contact_emails")
  std::string_view view_value = {};  // the view's value column, for string arrays
  std::span<const ViewColumn> view_columns = {};  // the view's columns, for object arrays
  // A kInt reference the API may also send as a list of ids (a note's `cust`: the vendor's
  // client sends a list even for one customer). The column holds the id when the list has
  // exactly one; a list of several is kept in raw only, without a warning (a normal shape),
  // and a view (`link_view`) gives one row per id.
  bool id_list = false;
  std::string_view link_view = {};

  bool accepts_id_list() const { return id_list; }

  bool writable() const { return access == Access::kWritable; }
  bool stored_as_json() const;
  bool has_backlink() const { return !backlink.endpoint.empty(); }
};

// What a create (POST) must carry, beyond well-typed fields.
struct CreateRule {
  std::span<const std::string_view> required = {};        // every one of these, non-empty
  std::span<const std::string_view> needs_one_of = {};    // at least one non-empty of these
  std::span<const std::string_view> exactly_one_of = {};  // exactly one non-null of these
};

struct Resource {
  std::string_view endpoint;      // URL segment and name in the API ("contact")
  std::string_view table;         // mirror table ("contacts")
  std::string_view singular;      // for messages and view names ("contact")
  std::span<const Field> fields;  // every documented field except `id`
  CreateRule create = {};
  bool read_only = false;  // user, group: the API offers no writes
  bool optional = false;   // a server may answer 404/501 for the whole endpoint
  bool updatable = true;   // false for comment: PUT answers 501
  int push_order = 0;      // creates go out in ascending order (referenced before referring)
  int pull_order = 0;      // a cycle reads the lists in ascending order (resources_in_pull_order)

  const Field* field_by_api(std::string_view api) const;
  const Field* field_by_column(std::string_view column) const;
  bool has_field(std::string_view api) const { return field_by_api(api) != nullptr; }
};

// All resources, in push (dependency) order: custom fields, companies, contacts, cases,
// opportunities, tasks, notes, comments, then the read-only users and groups.
std::span<const Resource> all_resources();

// All resources in the order a cycle reads and applies their lists: the push's order, except
// that the contacts (in a typical account half of all bytes) come after the tasks. A server
// builds a list whole before its first byte (the emulator: half a second for 70k contacts), and
// one cycle requests the next list while it writes the current one; read second, the contacts
// kept the mirror's thread idle through that half second of a first sync. Read after the
// tasks, they are prepared while the smaller lists are written (a first sync of 250k elements
// from the emulator: 11% shorter). The order of applying does not change what a cycle ends
// with: each list is its own snapshot and its own transaction.
std::vector<const Resource*> resources_in_pull_order();

const Resource* find_resource(std::string_view endpoint);
const Resource* find_resource_by_table(std::string_view table);

// The endpoints a Ref may point at ("contact" and "company" for kCustomer).
std::span<const std::string_view> endpoints_for(Ref ref);

std::string_view to_string(FieldType type);

}  // namespace clevertim::model
