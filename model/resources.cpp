#include "model/resources.h"

#include <algorithm>
#include <array>

namespace clevertim::model {
namespace {

using enum FieldType;
constexpr Access ro = Access::kReadOnly;
constexpr Access rw = Access::kWritable;

constexpr std::array<ViewColumn, 2> kPhoneColumns{{{"type", "type"}, {"no", "number"}}};
constexpr std::array<std::string_view, 12> kCustomFieldTypes{
    "input",  "select",  "date",    "user", "state",       "country",
    "region", "contact", "company", "case", "opportunity", "currency"};

// Fields every customer-like element carries: visibility and server time stamps.
#define CLEVERTIM_VISIBILITY                                                                    \
  Field{"is_private", "is_private", kBool}, Field{"puser", "private_to", kInt, rw, Ref::kUser}, \
      Field {                                                                                   \
    "gid", "group_mask", kInt                                                                   \
  }
#define CLEVERTIM_STAMPS                           \
  Field{"ao", "added_on", kTimestamp, ro}, Field { \
    "lm", "last_modified", kTimestamp, ro          \
  }

// Contact and company share everything but their names.
#define CLEVERTIM_CUSTOMER_FIELDS(singular)                                                        \
  Field{"description", "description", kText}, Field{"is_company", "is_company", kBool},            \
      Field{"email", "emails", kStringArray, rw, Ref::kNone, {}, {}, singular "_emails", "email"}, \
      Field{"website", "websites", kStringArray},                                                  \
      Field{"phones", "phones", kObjectArray,       rw, Ref::kNone,                                \
            {},       {},       singular "_phones", {}, kPhoneColumns},                            \
      Field{"smids", "social_ids", kObjectArray}, Field{"address", "address", kText},              \
      Field{"city", "city", kText}, Field{"postcode", "postcode", kText},                          \
      Field{"region", "region", kText}, Field{"country", "country", kText},                        \
      Field{"ctype", "customer_type", kText}, Field{"cf", "custom_fields", kObject},               \
      Field{"tags", "tags", kStringArray, rw, Ref::kNone, {}, {}, singular "_tags", "tag"},        \
      Field{"notes", "note_ids", kIntArray, ro, Ref::kNone, {"note", "cust"}},                     \
      Field{                                                                                       \
          "opportunities", "opportunity_ids", kIntArray, ro, Ref::kNone, {"opportunity", "cust"}}, \
      Field{"tasks", "task_ids", kIntArray, ro, Ref::kNone, {"task", "cust"}},                     \
      Field{"cases", "case_ids", kIntArray, ro, Ref::kNone, {"case", "cust"}},                     \
      Field{"files", "file_ids", kIntArray, ro},                                                   \
      Field{"lfiles", "linked_file_ids", kIntArray, ro}, Field{"lc", "last_contacted", kText, ro}, \
      Field{"cphoto", "photo", kText, ro}, CLEVERTIM_VISIBILITY, CLEVERTIM_STAMPS

const Field kContactFields[] = {
    {"fn", "first_name", kText},
    {"ln", "last_name", kText},
    {"title", "title", kText},
    {"companyId", "company_id", kInt, rw, Ref::kCompany},
    CLEVERTIM_CUSTOMER_FIELDS("contact"),
};

const Field kCompanyFields[] = {
    {"cn", "name", kText},
    CLEVERTIM_CUSTOMER_FIELDS("company"),
};

const Field kCaseFields[] = {
    {"name", "name", kText},
    {"description", "description", kText},
    {"leadUser", "lead_user_id", kInt, rw, Ref::kUser},
    {"cust", "customer_id", kInt, rw, Ref::kCustomer},
    {"tags", "tags", kStringArray, rw, Ref::kNone, {}, {}, "case_tags", "tag"},
    {"cf", "custom_fields", kObject},
    {"tasks", "task_ids", kIntArray, ro, Ref::kNone, {"task", "case"}},
    {"notes", "note_ids", kIntArray, ro, Ref::kNone, {"note", "case"}},
    {"files", "file_ids", kIntArray, ro},
    {"lfiles", "linked_file_ids", kIntArray, ro},
    CLEVERTIM_VISIBILITY,
    CLEVERTIM_STAMPS,
};

const Field kOpportunityFields[] = {
    {"name", "name", kText},
    {"description", "description", kText},
    {"status", "status", kText},
    {"leadUser", "lead_user_id", kInt, rw, Ref::kUser},
    {"value", "value", kText},
    {"currency", "currency", kText},
    {"cust", "customer_id", kInt, rw, Ref::kCustomer},
    {"tags", "tags", kStringArray, rw, Ref::kNone, {}, {}, "opportunity_tags", "tag"},
    {"cf", "custom_fields", kObject},
    {"tasks", "task_ids", kIntArray, ro, Ref::kNone, {"task", "opp"}},
    {"notes", "note_ids", kIntArray, ro, Ref::kNone, {"note", "opportunity"}},
    {"files", "file_ids", kIntArray, ro},
    {"lfiles", "linked_file_ids", kIntArray, ro},
    {"userId", "created_by", kInt, ro, Ref::kUser},
    CLEVERTIM_VISIBILITY,
    CLEVERTIM_STAMPS,
};

const Field kTaskFields[] = {
    {"name", "name", kText},
    {"location", "location", kText},
    {"atype", "type", kText},
    {"startDate", "start", kDate},
    {"endDate", "end", kDate},
    {"case", "case_id", kInt, rw, Ref::kCase},
    {"opp", "opportunity_id", kInt, rw, Ref::kOpportunity},
    {"cust", "customer_id", kInt, rw, Ref::kCustomer},
    {"aUserId", "assigned_user_id", kInt, rw, Ref::kUser},
    {"is_completed", "is_completed", kBool},
    {"is_deleted", "is_deleted", kBool},
    {"rec", "recurrence", kText},
    {"recevery", "recur_every", kInt},
    {"recopts", "recur_options", kObject},
    {"comments", "comment_ids", kIntArray, ro, Ref::kNone, {"comment", "tid"}},
    {"userId", "created_by", kInt, ro, Ref::kUser},
    CLEVERTIM_VISIBILITY,
    CLEVERTIM_STAMPS,
};

const Field kNoteFields[] = {
    {"desc", "description", kText},
    {"type", "type", kText},
    {"cust", "customer_id", kInt, rw, Ref::kCustomer, {}, {}, {}, {}, {}, true, "note_customers"},
    {"case", "case_id", kInt, rw, Ref::kCase},
    {"opportunity", "opportunity_id", kInt, rw, Ref::kOpportunity},
    {"comments", "comment_ids", kIntArray, ro, Ref::kNone, {"comment", "nid"}},
    {"files", "file_ids", kIntArray, ro},
    {"lfiles", "linked_file_ids", kIntArray, ro},
    {"hl", "headline", kText, ro},
    {"email", "email", kObject, ro},
    {"delvry", "delivery", kAny, ro},
    {"userId", "created_by", kInt, ro, Ref::kUser},
    CLEVERTIM_VISIBILITY,
    CLEVERTIM_STAMPS,
};

const Field kCommentFields[] = {
    {"comment", "text", kText},
    {"nid", "note_id", kInt, rw, Ref::kNote},
    {"tid", "task_id", kInt, rw, Ref::kTask},
    {"userId", "created_by", kInt, ro, Ref::kUser},
    CLEVERTIM_STAMPS,
};

const Field kCustomFieldFields[] = {
    {"name", "name", kText},
    {"fullname", "full_name", kText},
    {"elemType", "type", kText, rw, Ref::kNone, {}, kCustomFieldTypes},
    {"modelType", "applies_to", kStringArray},
    {"values", "allowed_values", kStringArray},
    {"multiple", "is_multi_value", kBool},
    {"app", "app", kAny},
};

const Field kUserFields[] = {
    {"user", "name", kText, ro},
    {"email", "email", kText, ro},
    {"is_owner", "is_owner", kBool, ro},
    {"is_admin", "is_admin", kBool, ro},
    {"permissions", "permissions", kStringArray, ro},
    {"pending", "pending", kBool, ro},
};

const Field kGroupFields[] = {
    {"name", "name", kText, ro},
    {"gid", "group_mask", kInt, ro},
    {"users", "user_ids", kIntArray, ro},
};

#undef CLEVERTIM_CUSTOMER_FIELDS
#undef CLEVERTIM_STAMPS
#undef CLEVERTIM_VISIBILITY

constexpr std::array<std::string_view, 2> kNames{"fn", "ln"};
constexpr std::array<std::string_view, 1> kCompanyName{"cn"};
constexpr std::array<std::string_view, 1> kName{"name"};
constexpr std::array<std::string_view, 1> kDesc{"desc"};
constexpr std::array<std::string_view, 1> kCommentText{"comment"};
constexpr std::array<std::string_view, 2> kNoteOrTask{"nid", "tid"};
constexpr std::array<std::string_view, 2> kCustomFieldNeeds{"name", "elemType"};

const Resource kResources[] = {
    {.endpoint = "customfield",
     .table = "custom_fields",
     .singular = "custom_field",
     .fields = kCustomFieldFields,
     .create = {.required = kCustomFieldNeeds},
     .push_order = 0,
     .pull_order = 0},
    {.endpoint = "company",
     .table = "companies",
     .singular = "company",
     .fields = kCompanyFields,
     .create = {.required = kCompanyName},
     .push_order = 1,
     .pull_order = 1},
    {.endpoint = "contact",
     .table = "contacts",
     .singular = "contact",
     .fields = kContactFields,
     .create = {.needs_one_of = kNames},
     .push_order = 2,
     .pull_order = 5},
    {.endpoint = "case",
     .table = "cases",
     .singular = "case",
     .fields = kCaseFields,
     .create = {.required = kName},
     .push_order = 3,
     .pull_order = 2},
    {.endpoint = "opportunity",
     .table = "opportunities",
     .singular = "opportunity",
     .fields = kOpportunityFields,
     .create = {.required = kName},
     .push_order = 4,
     .pull_order = 3},
    {.endpoint = "task",
     .table = "tasks",
     .singular = "task",
     .fields = kTaskFields,
     .create = {.required = kName},
     .push_order = 5,
     .pull_order = 4},
    {.endpoint = "note",
     .table = "notes",
     .singular = "note",
     .fields = kNoteFields,
     .create = {.required = kDesc},
     .push_order = 6,
     .pull_order = 6},
    {.endpoint = "comment",
     .table = "comments",
     .singular = "comment",
     .fields = kCommentFields,
     .create = {.required = kCommentText, .exactly_one_of = kNoteOrTask},
     .updatable = false,
     .push_order = 7,
     .pull_order = 7},
    {.endpoint = "user",
     .table = "users",
     .singular = "user",
     .fields = kUserFields,
     .read_only = true,
     .optional = true,
     .push_order = 8,
     .pull_order = 8},
    {.endpoint = "group",
     .table = "groups",
     .singular = "group",
     .fields = kGroupFields,
     .read_only = true,
     .optional = true,
     .push_order = 9,
     .pull_order = 9},
};

constexpr std::array<std::string_view, 1> kCompanyEp{"company"};
constexpr std::array<std::string_view, 2> kCustomerEp{"contact", "company"};
constexpr std::array<std::string_view, 1> kCaseEp{"case"};
constexpr std::array<std::string_view, 1> kOpportunityEp{"opportunity"};
constexpr std::array<std::string_view, 1> kNoteEp{"note"};
constexpr std::array<std::string_view, 1> kTaskEp{"task"};
constexpr std::array<std::string_view, 1> kUserEp{"user"};

}  // namespace

bool Field::stored_as_json() const {
  switch (type) {
    case kStringArray:
    case kIntArray:
    case kObjectArray:
    case kObject:
      return true;
    default:
      return false;
  }
}

const Field* Resource::field_by_api(std::string_view api) const {
  for (const Field& f : fields)
    if (f.api == api) return &f;
  return nullptr;
}

const Field* Resource::field_by_column(std::string_view column) const {
  for (const Field& f : fields)
    if (f.column == column) return &f;
  return nullptr;
}

std::span<const Resource> all_resources() {
  return kResources;
}

std::vector<const Resource*> resources_in_pull_order() {
  std::vector<const Resource*> order;
  for (const Resource& r : kResources) order.push_back(&r);
  std::stable_sort(order.begin(), order.end(), [](const Resource* a, const Resource* b) {
    return a->pull_order < b->pull_order;
  });
  return order;
}

const Resource* find_resource(std::string_view endpoint) {
  for (const Resource& r : kResources)
    if (r.endpoint == endpoint) return &r;
  return nullptr;
}

const Resource* find_resource_by_table(std::string_view table) {
  for (const Resource& r : kResources)
    if (r.table == table) return &r;
  return nullptr;
}

std::span<const std::string_view> endpoints_for(Ref ref) {
  switch (ref) {
    case Ref::kCompany:
      return kCompanyEp;
    case Ref::kCustomer:
      return kCustomerEp;
    case Ref::kCase:
      return kCaseEp;
    case Ref::kOpportunity:
      return kOpportunityEp;
    case Ref::kNote:
      return kNoteEp;
    case Ref::kTask:
      return kTaskEp;
    case Ref::kUser:
      return kUserEp;
    case Ref::kNone:
      break;
  }
  return {};
}

std::string_view to_string(FieldType type) {
  switch (type) {
    case kInt:
      return "integer";
    case kText:
      return "text";
    case kBool:
      return "boolean (0 or 1)";
    case kTimestamp:
      return "time stamp";
    case kDate:
      return "date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)";
    case kStringArray:
      return "JSON array of strings";
    case kIntArray:
      return "JSON array of ids";
    case kObjectArray:
      return "JSON array of objects";
    case kObject:
      return "JSON object";
    case kAny:
      return "JSON value";
  }
  return "value";
}

}  // namespace clevertim::model
