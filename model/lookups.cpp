#include "model/lookups.h"

#include <array>

namespace clevertim::model {
namespace {

constexpr std::array<Code, 18> kCustomerTypes{{{"C", "Customer"},
                                               {"P", "Prospect"},
                                               {"S", "Supplier"},
                                               {"R", "Reseller"},
                                               {"E", "Employee"},
                                               {"O", "Competitor"},
                                               {"N", "Consultant"},
                                               {"T", "Contractor"},
                                               {"D", "Distributor"},
                                               {"X", "Influencer"},
                                               {"I", "Investor"},
                                               {"M", "Manufacturer"},
                                               {"A", "Retailer"},
                                               {"V", "Vendor"},
                                               {"W", "Wholesaler"},
                                               {"L", "Lead"},
                                               {"F", "Friend"},
                                               {"H", "Other"}}};
constexpr std::array<CodedField, 2> kCustomerTypeFields{
    {{"contact", "ctype"}, {"company", "ctype"}}};

// The usual pipeline states; an account can add its own, which then have no row here.
constexpr std::array<Code, 4> kDealStatuses{
    {{"Open", "Open"}, {"Closed", "Closed"}, {"Won", "Won"}, {"Lost", "Lost"}}};
constexpr std::array<CodedField, 1> kDealStatusFields{{{"opportunity", "status"}}};

constexpr std::array<Code, 7> kTaskTypes{{{"Email", "Email"},
                                          {"TO DO", "To do"},
                                          {"Meeting", "Meeting"},
                                          {"Not set", "Not set"},
                                          {"Call", "Call"},
                                          {"Follow up", "Follow up"},
                                          {"Appointment", "Appointment"}}};
constexpr std::array<CodedField, 1> kTaskTypeFields{{{"task", "atype"}}};

constexpr std::array<Code, 5> kRecurrences{
    {{"N", "None"}, {"D", "Daily"}, {"W", "Weekly"}, {"M", "Monthly"}, {"Y", "Yearly"}}};
constexpr std::array<CodedField, 1> kRecurrenceFields{{{"task", "rec"}}};

constexpr std::array<Code, 4> kNoteTypes{{{"N", "Plain note"},
                                          {"S", "Email note"},
                                          {"M", "SMS note"},
                                          {"E", "Dropbox email (made by the server)"}}};
constexpr std::array<CodedField, 1> kNoteTypeFields{{{"note", "type"}}};

constexpr std::array<Code, 12> kCustomFieldTypes{{{"input", "Free text"},
                                                  {"select", "Choice from a list"},
                                                  {"date", "Date"},
                                                  {"user", "User"},
                                                  {"state", "State"},
                                                  {"country", "Country"},
                                                  {"region", "Region"},
                                                  {"contact", "Contact"},
                                                  {"company", "Company"},
                                                  {"case", "Case"},
                                                  {"opportunity", "Deal"},
                                                  {"currency", "Currency"}}};
constexpr std::array<CodedField, 1> kCustomFieldTypeFields{{{"customfield", "elemType"}}};

constexpr std::array<Code, 4> kSyncStates{
    {{"synced", "Equal to the CRM as last pulled"},
     {"pending", "A local change waits to be pushed"},
     {"conflict", "A conflict waits for a person (conflict_policy = manual)"},
     {"error", "The CRM refused the last push; see sync_error"}}};

constexpr std::array<Lookup, 7> kLookups{{
    {"lookup_customer_types", "one-letter customer type of a contact or company", kCustomerTypes,
     kCustomerTypeFields},
    {"lookup_deal_statuses", "pipeline state of a deal (an account may add its own)", kDealStatuses,
     kDealStatusFields},
    {"lookup_task_types", "type of a task", kTaskTypes, kTaskTypeFields},
    {"lookup_recurrences", "how a task recurs", kRecurrences, kRecurrenceFields},
    {"lookup_note_types", "kind of a note", kNoteTypes, kNoteTypeFields},
    {"lookup_custom_field_types", "kind of a custom field", kCustomFieldTypes,
     kCustomFieldTypeFields},
    {"lookup_sync_states", "sync_state of every resource table's rows", kSyncStates, {}},
}};

}  // namespace

std::span<const Lookup> all_lookups() {
  return kLookups;
}

const Lookup* lookup_for(std::string_view endpoint, std::string_view api) {
  for (const Lookup& l : kLookups)
    for (const CodedField& f : l.used_by)
      if (f.endpoint == endpoint && f.api == api) return &l;
  return nullptr;
}

}  // namespace clevertim::model
