#include "model/meanings.h"

#include <array>
#include <string>
#include <utility>

namespace clevertim::model {
namespace {

using Entry = std::pair<std::string_view, std::string_view>;

constexpr std::array<Entry, 10> kTables{{
    {"contacts", "People in the CRM; a contact may work for a company."},
    {"companies", "Organisations in the CRM; contacts and companies share one id space."},
    {"cases", "Cases (projects, support matters) for a contact or a company."},
    {"opportunities", "Deals (opportunities) in the sales pipeline."},
    {"tasks", "Tasks and appointments, on a customer, a case or a deal."},
    {"notes", "Notes, emails and SMS kept on customers, cases and deals."},
    {"comments", "Comments on a note or on a task."},
    {"custom_fields", "Definitions of the account's custom fields; values live on the elements."},
    {"users", "The account's users (read-only: made in the Clevertim web app)."},
    {"groups", "The account's user groups (read-only)."},
}};

// `table.column` first: the same name means different things in different tables.
constexpr std::array<Entry, 86> kColumns{{
    {"id", "The CRM's id; negative while the row exists only here (a local insert)."},
    {"sync_state", "synced, pending (a local change waits to be pushed), conflict or error."},
    {"sync_error", "Why the last push of this row failed, or why it waits; NULL when none."},
    {"raw", "The element exactly as the CRM last sent it, every field, known or not."},
    {"raw_hash", "Internal: a hash of raw, to tell unchanged elements apart."},
    {"added_on_iso", "When the element was created, ISO 8601 UTC (from added_on)."},
    {"last_modified_iso", "When the element last changed, ISO 8601 UTC (from last_modified)."},
    {"start_iso", "start as a DATETIME column (the account's local time)."},
    {"end_iso", "end as a DATETIME column (the account's local time)."},
    {"first_name", "First name."},
    {"last_name", "Last name."},
    {"title", "Job title."},
    {"company_id", "The company the contact works for."},
    {"description", "Free text about the element."},
    {"notes.description", "The note's text."},
    {"is_company", "1 when the element is a company."},
    {"emails", "Email addresses, a JSON array (one row each in the _emails view)."},
    {"websites", "Web sites, a JSON array of URLs."},
    {"phones", "Phone numbers, a JSON array of {type, no} (one row each in the _phones view)."},
    {"social_ids", "Social network ids, a JSON array of objects."},
    {"address", "Street address."},
    {"city", "City."},
    {"postcode", "Post code."},
    {"region", "Region or state."},
    {"country", "Country."},
    {"customer_type", "One-letter customer type (C Customer, P Prospect, L Lead, ...)."},
    {"custom_fields",
     "Custom field values, a JSON object keyed by custom field id (see the "
     "custom_values view)."},
    {"tags", "Tags, a JSON array of strings (one row each in the _tags view)."},
    {"note_ids", "Ids of the notes on this element (kept by the CRM)."},
    {"opportunity_ids", "Ids of the deals of this customer (kept by the CRM)."},
    {"task_ids", "Ids of the tasks on this element (kept by the CRM)."},
    {"case_ids", "Ids of the cases of this customer (kept by the CRM)."},
    {"comment_ids", "Ids of the comments on this element (kept by the CRM)."},
    {"file_ids", "Ids of files attached (files are not mirrored)."},
    {"linked_file_ids", "Ids of linked files (files are not mirrored)."},
    {"last_contacted", "When the customer was last contacted, as the CRM says."},
    {"photo", "The customer's photo, as the CRM refers to it."},
    {"is_private", "1 when only private_to may see the element."},
    {"private_to", "The user the element is private to."},
    {"group_mask", "Bit mask of the user groups that may see the element."},
    {"added_on", "When the element was created, as the CRM sends it (see added_on_iso)."},
    {"last_modified",
     "When the element last changed, as the CRM sends it (see "
     "last_modified_iso)."},
    {"name", "Name."},
    {"companies.name", "The company's name."},
    {"cases.name", "The case's name."},
    {"opportunities.name", "The deal's name."},
    {"tasks.name", "What the task is."},
    {"custom_fields.name", "The custom field's name (custom_values.field_name)."},
    {"users.name", "The user's name."},
    {"groups.name", "The group's name."},
    {"lead_user_id", "The user who leads it."},
    {"customer_id", "The contact or company it is for (join the customers view)."},
    {"notes.customer_id",
     "The contact or company it is on when there is exactly one; NULL for "
     "several (see note_customers)."},
    {"status", "Pipeline stage: Open, Closed, Won, Lost, or one the account added."},
    {"value", "The deal's value, as text as the CRM sends it (CAST(value AS REAL) to sum)."},
    {"currency", "Currency of value, e.g. EUR."},
    {"created_by", "The user who made it."},
    {"location", "Where the task takes place."},
    {"type", "Kind of the element."},
    {"tasks.type", "Task type: Email, TO DO, Meeting, Call, ..."},
    {"notes.type", "N plain note, S email note, M SMS note, E dropbox email."},
    {"custom_fields.type", "Kind of value: input, select, date, user, ..."},
    {"start", "Start: YYYY-MM-DDTHH:MM, or YYYY-MM-DD all day; the account's local time."},
    {"end", "End: YYYY-MM-DDTHH:MM, or YYYY-MM-DD all day; the account's local time."},
    {"case_id", "The case it belongs to."},
    {"opportunity_id", "The deal it belongs to."},
    {"assigned_user_id", "The user the task is assigned to."},
    {"is_completed", "1 when the task is done."},
    {"is_deleted", "1 when the task was deleted (the CRM may keep deleted tasks)."},
    {"recurrence", "How the task recurs: N none, D daily, W weekly, M monthly, Y yearly."},
    {"recur_every", "Recurs every N periods."},
    {"recur_options", "Recurrence options, a JSON object."},
    {"headline", "The note's headline, made by the CRM."},
    {"notes.email", "Email metadata of an email note: from, subject, to, cc, body."},
    {"delivery", "Delivery state of an SMS note."},
    {"text", "The comment's text."},
    {"note_id", "The note it is on."},
    {"task_id", "The task it is on."},
    {"full_name", "The custom field's full name."},
    {"applies_to", "Where it applies: customers, companies, cases, opportunities."},
    {"allowed_values", "The values a select field offers, a JSON array."},
    {"is_multi_value", "1 when a value may be a list."},
    {"app", "Application data of the custom field, as the CRM sends it."},
    {"users.email", "The user's email."},
    {"is_owner", "1 for the account's owner."},
    {"is_admin", "1 for an administrator."},
}};

constexpr std::array<Entry, 4> kMoreColumns{{
    {"permissions", "The user's permissions, a JSON array."},
    {"pending", "1 while the user has not accepted the invitation."},
    {"user_ids", "Ids of the group's users, a JSON array."},
    {"time_zone", "The time zone of start and end: the account's local time."},
}};

std::string_view find(std::string_view key) {
  for (const Entry& e : kColumns)
    if (e.first == key) return e.second;
  for (const Entry& e : kMoreColumns)
    if (e.first == key) return e.second;
  return {};
}

}  // namespace

std::string_view table_meaning(std::string_view table) {
  for (const Entry& e : kTables)
    if (e.first == table) return e.second;
  return {};
}

std::string_view column_meaning(std::string_view table, std::string_view column) {
  std::string qualified(table);
  qualified += ".";
  qualified += column;
  if (std::string_view m = find(qualified); !m.empty()) return m;
  return find(column);
}

}  // namespace clevertim::model
