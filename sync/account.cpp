#include "sync/account.h"

#include <SQLiteCpp/Statement.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "http/url.h"

namespace clevertim::sync {
namespace {

namespace json = boost::json;

constexpr const char* kUrlKey = "account_url";
constexpr const char* kOwnerIdKey = "account_owner_id";
constexpr const char* kOwnerEmailKey = "account_owner_email";
constexpr const char* kOwnerNameKey = "account_owner_name";

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// An id as the API may write it: a number, or a number in a string.
std::optional<std::int64_t> id_of(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double() &&
      v->get_double() == static_cast<double>(static_cast<std::int64_t>(v->get_double())))
    return static_cast<std::int64_t>(v->get_double());
  if (v->is_string()) {
    std::int64_t n = 0;
    const json::string& s = v->get_string();
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size()) return n;
  }
  return std::nullopt;
}

std::string text_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool owner_flag(const json::object& o) {
  const json::value* v = o.if_contains("is_owner");
  if (v == nullptr) return false;
  if (v->is_bool()) return v->get_bool();
  if (v->is_int64()) return v->get_int64() != 0;
  if (v->is_string()) return v->get_string() == "true" || v->get_string() == "1";
  return false;
}

// The account's owner among its users: the one marked is_owner (the lowest id if several),
// else the lowest id.
struct OwnerPick {
  bool marked = false;
  std::optional<std::int64_t> id;
  std::string email, name;

  void offer(const json::value& element) {
    if (!element.is_object()) return;
    const json::object& o = element.get_object();
    const std::optional<std::int64_t> uid = id_of(o.if_contains("id"));
    if (!uid) return;
    const bool is_owner = owner_flag(o);
    const bool better = !id || (is_owner && !marked) || (is_owner == marked && *uid < *id);
    if (!better) return;
    marked = is_owner;
    id = uid;
    email = text_of(o, "email");
    name = text_of(o, "user");
  }
};

std::optional<std::string> meta(SQLite::Database& db, const char* key) {
  SQLite::Statement q(db, "SELECT value FROM sync_meta WHERE key = ?");
  q.bind(1, key);
  if (!q.executeStep() || q.getColumn(0).isNull()) return std::nullopt;
  return q.getColumn(0).getString();
}

// Whether sync_meta itself holds all of `id` (and not only the users table).
bool recorded_in_meta(storage::Mirror& mirror, const AccountIdentity& id) {
  return meta(mirror.db(), kUrlKey).has_value() &&
         (!id.owner_id || meta(mirror.db(), kOwnerIdKey).has_value());
}

void record(storage::Mirror& mirror, const AccountIdentity& id) {
  SQLite::Database& db = mirror.db();
  storage::OwnWriteTransaction tx(db);
  SQLite::Statement put(db, "INSERT OR REPLACE INTO sync_meta (key, value) VALUES (?, ?)");
  auto set = [&](const char* key, const std::string& value) {
    put.bind(1, key);
    put.bind(2, value);
    put.exec();
    put.reset();
  };
  set(kUrlKey, id.url);
  if (id.owner_id) {
    set(kOwnerIdKey, std::to_string(*id.owner_id));
    set(kOwnerEmailKey, id.owner_email);
    set(kOwnerNameKey, id.owner_name);
  }
  tx.commit();
}

// Why `now` is not the account `recorded` names; empty when nothing says so. The owner's id
// alone is not enough (two accounts, at different servers or seeds, may both have user 1 as
// owner): a different id, or a different email, or (no emails to compare) a different name,
// means another owner. A field one side lacks (an answer that left it out) proves nothing.
std::string difference(const AccountIdentity& recorded, const AccountIdentity& now) {
  if (!recorded.url.empty() && recorded.url != now.url) return "another server URL";
  if (recorded.owner_id && !now.owner_id) return "no owner among its users";
  if (!recorded.owner_id || !now.owner_id) return "";
  if (*recorded.owner_id != *now.owner_id) return "another owner";
  if (!recorded.owner_email.empty() && !now.owner_email.empty())
    return lower(recorded.owner_email) == lower(now.owner_email) ? "" : "another owner";
  if (!recorded.owner_name.empty() && !now.owner_name.empty() &&
      recorded.owner_name != now.owner_name)
    return "another owner";
  return "";
}

// What to record once `now` is known to be the mirror's account: the record, with what it
// lacked filled in (never a known value replaced by a missing one, so the record does not
// change with every answer's shape).
AccountIdentity completed(AccountIdentity recorded, const AccountIdentity& now) {
  if (recorded.url.empty()) recorded.url = now.url;
  if (!recorded.owner_id) {
    recorded.owner_id = now.owner_id;
    recorded.owner_email = now.owner_email;
    recorded.owner_name = now.owner_name;
  }
  if (recorded.owner_email.empty()) recorded.owner_email = now.owner_email;
  if (recorded.owner_name.empty()) recorded.owner_name = now.owner_name;
  return recorded;
}

}  // namespace

std::string AccountIdentity::describe() const {
  std::string text = url.empty() ? std::string("(URL not recorded)") : url;
  if (owner_id) {
    text += ", owner #" + std::to_string(*owner_id);
    if (!owner_name.empty()) text += " " + owner_name;
    if (!owner_email.empty()) text += " <" + owner_email + ">";
  } else {
    text += ", no owner known";
  }
  return text;
}

std::string normalise_url(std::string_view url) {
  try {
    BaseUrl u = parse_base_url(url);
    std::string host = lower(u.host);
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    const bool default_port = u.port == (u.tls() ? 443 : 80);
    return u.scheme + "://" + host + (default_port ? "" : ":" + std::to_string(u.port)) +
           u.base_path;
  } catch (const std::invalid_argument&) {
    std::string text(url);
    while (!text.empty() && text.back() == '/') text.pop_back();
    return text;
  }
}

AccountIdentity recorded_account(storage::Mirror& mirror) {
  SQLite::Database& db = mirror.db();
  AccountIdentity id;
  id.url = meta(db, kUrlKey).value_or("");
  if (const auto owner = meta(db, kOwnerIdKey)) {
    std::int64_t n = 0;
    if (std::from_chars(owner->data(), owner->data() + owner->size(), n).ec == std::errc())
      id.owner_id = n;
    id.owner_email = meta(db, kOwnerEmailKey).value_or("");
    id.owner_name = meta(db, kOwnerNameKey).value_or("");
    return id;
  }
  // Synced before the account was recorded: its users table says whose it is.
  SQLite::Statement q(db,
                      "SELECT id, coalesce(email, ''), coalesce(name, '') FROM users WHERE id > 0 "
                      "ORDER BY coalesce(is_owner, 0) DESC, id LIMIT 1");
  if (q.executeStep()) {
    id.owner_id = q.getColumn(0).getInt64();
    id.owner_email = q.getColumn(1).getString();
    id.owner_name = q.getColumn(2).getString();
  }
  return id;
}

boost::asio::awaitable<std::optional<AccountUnconfirmed>> confirm_account(storage::Mirror& mirror,
                                                                          CrmReader& reader,
                                                                          AccountCheck check) {
  OwnerPick pick;
  const FetchOutcome outcome = co_await reader.fetch_all(
      "user", [&](const json::value& e) { pick.offer(e); }, [&] { pick = OwnerPick{}; });
  if (!outcome.ok() && outcome.status != FetchOutcome::Status::kUnavailable)
    co_return AccountUnconfirmed{"cannot tell which account " + check.url +
                                     " is (reading its users failed: " + outcome.message +
                                     "); nothing was pulled or pushed, the next sync tries again",
                                 outcome.token_refused};
  AccountIdentity now;
  now.url = normalise_url(check.url);
  now.owner_id = pick.id;
  now.owner_email = pick.email;
  now.owner_name = pick.name;

  const AccountIdentity recorded = recorded_account(mirror);
  const std::string why = difference(recorded, now);
  if (!why.empty() && !check.adopt)
    throw AccountMismatch(
        "the mirror " + mirror.path().string() + " belongs to another account (" + why +
        "): it was synced with " + recorded.describe() + ", but the configured server answers as " +
        now.describe() +
        ". Nothing was pulled or pushed. If this is another account, set storage.database to "
        "another file (a fresh full pull), or put the previous server.url and token back; if "
        "it is the same account at a new address, or its owner changed, run `clevertim-sync "
        "sync --adopt-account` once");
  const AccountIdentity kept = why.empty() ? completed(recorded, now) : now;  // else adopted
  const bool same = kept.url == recorded.url && kept.owner_id == recorded.owner_id &&
                    kept.owner_email == recorded.owner_email &&
                    kept.owner_name == recorded.owner_name;
  // A mirror synced before the account was recorded has its owner in `users` only: recorded
  // now, so the record no longer depends on that table.
  if (!same || !recorded_in_meta(mirror, kept)) record(mirror, kept);
  if (!why.empty())
    spdlog::warn("mirror {}: adopted the account {} (it was {})", mirror.path().string(),
                 now.describe(), recorded.describe());
  co_return std::nullopt;
}

}  // namespace clevertim::sync
