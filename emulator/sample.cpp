#include "emulator/sample.h"

#include <boost/json.hpp>

#include <random>
#include <string>
#include <vector>

namespace clevertim::emulator {
namespace {

namespace json = boost::json;

constexpr const char* kFirst[] = {
    "Ann",      "Bo",   "Zoë",   "Łukasz",  "Søren",    "María José", "Chen",   "Aiko", "Oluwaseun",
    "François", "Ärne", "Priya", "O'Brien", "Jean-Luc", "Ömer",       "Nguyễn", "",     "Ingrid"};
constexpr const char* kLast[] = {"Lee",    "Łukasiewicz", "Müller",       "García",   "山田",
                                 "Smith",  "O'Neil",      "van der Berg", "Kowalska", "Ivanov",
                                 "Dubois", "Nakamura",    "Ünal",         "Silva",    "Brown 🚀"};
constexpr const char* kCompanies[] = {"Acme",           "Globex",
                                      "株式会社テスト", "Initech",
                                      "Umbrella",       "Société Générale de Test",
                                      "Stark & Wayne",  "Hooli",
                                      "Ñandú S.A.",     "Wonka \"Chocolate\" Ltd"};
constexpr const char* kCities[] = {"Oslo",   "Tampa",     "Kraków", "São Paulo", "東京",
                                   "Zürich", "Reykjavík", "Lagos",  "Paris",     ""};
constexpr const char* kCountries[] = {"NO", "US", "PL", "BR", "JP", "CH", "IS", "NG", "FR"};
constexpr const char* kCtypes[] = {"C", "P", "S", "R", "L", "H"};
constexpr const char* kStatuses[] = {"Open", "Open", "Won", "Lost", "Closed", "Negotiation"};
constexpr const char* kCurrencies[] = {"EUR", "USD", "GBP", "NOK"};
constexpr const char* kTaskTypes[] = {"Email", "TO DO",     "Meeting",    "Not set",
                                      "Call",  "Follow up", "Appointment"};
constexpr const char* kPhoneTypes[] = {"Work", "Home", "Mobile", "Fax", "Pager"};
constexpr const char* kTags[] = {"vip", "lead", "b2b", "newsletter", "früh", "重要"};

template <class T, size_t N>
const T& pick(const T (&list)[N], std::mt19937_64& rng) {
  return list[rng() % N];
}

std::string ascii_slug(std::string_view text, std::int64_t n) {
  std::string out;
  for (char c : text)
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) out += static_cast<char>(std::tolower(c));
  if (out.empty()) out = "x";
  return out + std::to_string(n);
}

}  // namespace

void sample_account(std::int64_t contacts, std::uint64_t seed, const SampleSink& add) {
  std::mt19937_64 rng(seed);
  std::int64_t next_id = 1;

  const char* user_names[] = {"Ann Admin", "Bo Seller", "Zoë Support", "Pending Person"};
  for (int i = 0; i < 4; ++i)
    add("user", json::object{{"id", next_id++},
                             {"user", user_names[i]},
                             {"email", ascii_slug(user_names[i], i) + "@example.com"},
                             {"is_owner", i == 0},
                             {"is_admin", i == 0},
                             {"permissions", json::array{"contacts", "deals"}},
                             {"pending", i == 3}});
  const std::int64_t first_user = 1;
  add("group",
      json::object{{"id", next_id++}, {"name", "Sales"}, {"gid", 1}, {"users", json::array{1, 2}}});
  add("group",
      json::object{{"id", next_id++}, {"name", "Support"}, {"gid", 2}, {"users", json::array{3}}});

  const std::int64_t tier = next_id++, regions = next_id++, renewal = next_id++, note = next_id++;
  add("customfield", json::object{{"id", tier},
                                  {"name", "Tier"},
                                  {"fullname", "Tier"},
                                  {"elemType", "select"},
                                  {"modelType", json::array{"customers", "companies"}},
                                  {"values", json::array{"gold", "silver", "bronze"}},
                                  {"multiple", false},
                                  {"app", nullptr}});
  add("customfield", json::object{{"id", regions},
                                  {"name", "Regions"},
                                  {"fullname", "Regions"},
                                  {"elemType", "select"},
                                  {"modelType", json::array{"customers"}},
                                  {"values", json::array{"north", "south", "east", "west"}},
                                  {"multiple", true},
                                  {"app", nullptr}});
  add("customfield", json::object{{"id", renewal},
                                  {"name", "Renewal"},
                                  {"fullname", "Renewal"},
                                  {"elemType", "date"},
                                  {"modelType", json::array{"opportunities"}},
                                  {"multiple", false},
                                  {"app", nullptr}});
  add("customfield", json::object{{"id", note},
                                  {"name", "Remark \"quoted\"; DROP TABLE x"},
                                  {"fullname", "Remark"},
                                  {"elemType", "input"},
                                  {"modelType", json::array{"customers", "cases"}},
                                  {"multiple", false},
                                  {"app", nullptr}});

  auto stamp = [&](int day) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "2025-%02d-%02dT%02d:%02d:00Z", 1 + day % 12, 1 + day % 28,
                  day % 24, day % 60);
    return std::string(buf);
  };
  auto user = [&] { return first_user + static_cast<std::int64_t>(rng() % 3); };

  const std::int64_t company_count = std::max<std::int64_t>(1, contacts / 5);
  std::vector<std::int64_t> company_ids, contact_ids;
  for (std::int64_t i = 0; i < company_count; ++i) {
    const std::int64_t id = next_id++;
    company_ids.push_back(id);
    std::string name = std::string(pick(kCompanies, rng)) + " " + std::to_string(i + 1);
    if (i == 0) name = "株式会社テスト";  // a known name; the draw above still happens
    json::object c{{"id", id},
                   {"cn", name},
                   {"is_company", true},
                   {"email", json::array{ascii_slug(name, i) + "@example.com"}},
                   {"website", json::array{"https://" + ascii_slug(name, i) + ".example"}},
                   {"phones", json::array{json::object{
                                  {"type", "Work"}, {"no", "+1 555 " + std::to_string(1000 + i)}}}},
                   {"address", std::to_string(i + 1) + " Main St"},
                   {"city", pick(kCities, rng)},
                   {"country", pick(kCountries, rng)},
                   {"ctype", pick(kCtypes, rng)},
                   {"cf", json::object{{std::to_string(tier), "gold"}}},
                   {"tags", json::array{pick(kTags, rng)}},
                   {"is_private", false},
                   {"ao", stamp(static_cast<int>(i))},
                   {"lm", stamp(static_cast<int>(i) + 3)}};
    add("company", std::move(c));
  }
  for (std::int64_t i = 0; i < contacts; ++i) {
    const std::int64_t id = next_id++;
    contact_ids.push_back(id);
    std::string first = pick(kFirst, rng), last = pick(kLast, rng);
    if (i == 0) first = "Zoë", last = "Łukasiewicz";  // a known name for hand-run checks
    json::object c{
        {"id", id},
        {"fn", first},
        {"ln", last},
        {"title", i % 7 == 0 ? "CEO" : "Buyer"},
        {"description", i % 11 == 0 ? "Met at the fair.\nLikes \"quotes\" and emoji 🎉" : ""},
        {"is_company", false},
        {"companyId", company_ids[rng() % company_ids.size()]},
        {"email", json::array{ascii_slug(first + last, i) + "@example.com"}},
        {"website", json::array{}},
        {"phones", json::array{json::object{{"type", pick(kPhoneTypes, rng)},
                                            {"no", "0087 " + std::to_string(100000 + i)}}}},
        {"smids",
         i % 5 == 0 ? json::array{json::object{{"type", "Twitter"}, {"smid", ascii_slug(first, i)}}}
                    : json::array{}},
        {"address", ""},
        {"city", pick(kCities, rng)},
        {"postcode", std::to_string(10000 + i % 89999)},
        {"region", "US-FL"},
        {"country", pick(kCountries, rng)},
        {"ctype", pick(kCtypes, rng)},
        {"cf", json::object{{std::to_string(tier), i % 3 == 0 ? "silver" : "bronze"},
                            {std::to_string(regions), json::array{"north", "east"}}}},
        {"tags", i % 4 == 0 ? json::array{pick(kTags, rng), "vip"} : json::array{}},
        {"files", json::array{}},
        {"lfiles", json::array{}},
        {"lc", stamp(static_cast<int>(i % 300))},
        {"is_private", i % 13 == 0},
        {"gid", 0},
        {"ao", stamp(static_cast<int>(i % 300))},
        {"lm", stamp(static_cast<int>(i % 300) + 1)},
        // Fields the public docs never mention: a client must keep them.
        {"linkedin_rank", static_cast<std::int64_t>(i % 5)},
        {"x_score", json::object{{"v", 1.5}, {"src", "ml"}}}};
    if (i % 13 == 0) c["puser"] = first_user;
    add("contact", std::move(c));
  }
  auto customer = [&] {
    return rng() % 4 == 0 ? company_ids[rng() % company_ids.size()]
                          : contact_ids[rng() % contact_ids.size()];
  };
  std::vector<std::int64_t> deal_ids, case_ids, task_ids, note_ids;
  for (std::int64_t i = 0; i < std::max<std::int64_t>(1, contacts / 4); ++i) {
    const std::int64_t id = next_id++;
    deal_ids.push_back(id);
    add("opportunity", json::object{{"id", id},
                                    {"name", "Deal " + std::to_string(i + 1)},
                                    {"description", ""},
                                    {"status", pick(kStatuses, rng)},
                                    {"leadUser", user()},
                                    {"value", std::to_string(500 + (rng() % 200) * 50)},
                                    {"currency", pick(kCurrencies, rng)},
                                    {"cust", customer()},
                                    {"tags", json::array{}},
                                    {"cf", json::object{{std::to_string(renewal), "2026-03-01"}}},
                                    {"files", json::array{}},
                                    {"lfiles", json::array{}},
                                    {"userId", first_user},
                                    {"ao", stamp(static_cast<int>(i))},
                                    {"lm", stamp(static_cast<int>(i) + 2)}});
  }
  for (std::int64_t i = 0; i < std::max<std::int64_t>(1, contacts / 10); ++i) {
    const std::int64_t id = next_id++;
    case_ids.push_back(id);
    add("case", json::object{{"id", id},
                             {"name", "Case #" + std::to_string(i + 1) + ": ça ne marche pas"},
                             {"description", "Steps to reproduce…"},
                             {"leadUser", user()},
                             {"cust", customer()},
                             {"tags", json::array{"support"}},
                             {"cf", json::object{{std::to_string(note), "see 'notes'"}}},
                             {"files", json::array{}},
                             {"lfiles", json::array{}},
                             {"ao", stamp(static_cast<int>(i))},
                             {"lm", stamp(static_cast<int>(i) + 1)}});
  }
  for (std::int64_t i = 0; i < std::max<std::int64_t>(1, contacts / 2); ++i) {
    const std::int64_t id = next_id++;
    task_ids.push_back(id);
    json::object start{
        {"y", 2026}, {"mo", 1 + static_cast<int>(i % 12)}, {"d", 1 + static_cast<int>(i % 28)}};
    if (i % 3 != 0) {  // a third are all-day: no h / mi
      start["h"] = static_cast<std::int64_t>(i % 24);
      start["mi"] = static_cast<std::int64_t>((i * 7) % 60);
    }
    json::object t{{"id", id},
                   {"name", "Task " + std::to_string(i + 1)},
                   {"location", i % 5 == 0 ? "Café Ünter den Linden" : ""},
                   {"atype", pick(kTaskTypes, rng)},
                   {"startDate", start},
                   {"endDate", start},
                   {"cust", customer()},
                   {"aUserId", user()},
                   {"is_completed", i % 4 == 0},
                   {"is_deleted", false},
                   {"rec", i % 10 == 0 ? "W" : "N"},
                   {"recevery", 1},
                   {"recopts", json::object{{"type", "weekday"}}},
                   {"userId", first_user},
                   {"ao", stamp(static_cast<int>(i))},
                   {"lm", stamp(static_cast<int>(i) + 1)}};
    if (i % 6 == 0) t["case"] = case_ids[rng() % case_ids.size()];
    if (i % 5 == 0) t["opp"] = deal_ids[rng() % deal_ids.size()];
    add("task", std::move(t));
  }
  for (std::int64_t i = 0; i < contacts; ++i) {
    const std::int64_t id = next_id++;
    note_ids.push_back(id);
    json::object n{{"id", id},
                   {"desc", i % 9 == 0 ? "Called: \"not now\" — try in Q3 ✔"
                                       : "Note " + std::to_string(i + 1)},
                   {"type", i % 10 == 0 ? "S" : "N"},
                   {"cust", contact_ids[rng() % contact_ids.size()]},
                   {"files", json::array{}},
                   {"lfiles", json::array{}},
                   {"userId", user()},
                   {"ao", stamp(static_cast<int>(i))},
                   {"lm", stamp(static_cast<int>(i))},
                   {"pinned", i % 17 == 0}};
    if (i % 10 == 0)
      n["email"] = json::object{{"f", "a@example.com"},
                                {"s", "Re: offer"},
                                {"t", json::array{"b@example.com"}},
                                {"c", json::array{}},
                                {"b", "…"}};
    // The vendor client lets `cust` be a list: a note on two customers. Chosen without the
    // generator, so that adding it left every other element of the sample as it was.
    if (i % 50 == 7)
      n["cust"] =
          json::array{n["cust"], company_ids[static_cast<std::size_t>(i) % company_ids.size()]};
    if (i % 8 == 0) n["opportunity"] = deal_ids[rng() % deal_ids.size()];
    if (i % 12 == 0) n["case"] = case_ids[rng() % case_ids.size()];
    add("note", std::move(n));
  }
  for (std::int64_t i = 0; i < std::max<std::int64_t>(1, contacts / 2); ++i) {
    const std::int64_t id = next_id++;
    const bool on_note = i % 3 != 0;
    add("comment",
        json::object{{"id", id},
                     {"comment", i % 4 == 0 ? "👍 agreed" : "Comment " + std::to_string(i + 1)},
                     {"nid", on_note ? json::value(note_ids[rng() % note_ids.size()])
                                     : json::value(nullptr)},
                     {"tid", on_note ? json::value(nullptr)
                                     : json::value(task_ids[rng() % task_ids.size()])},
                     {"userId", user()},
                     {"ao", stamp(static_cast<int>(i))},
                     {"lm", stamp(static_cast<int>(i))}});
  }
}

}  // namespace clevertim::emulator
