// The emulated CRM account: every element of every resource, validated and completed as the
// real server does (API.md), driven by model/.
//
// Elements are stored as clients sent them (unknown fields included) plus the server's own
// fields (id, ao, lm, userId); the read-only link lists (a contact's `notes`, ...) are derived
// from the other side of each relation when an element is written out, so they are always
// consistent. A read-all body is cached until the next write.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace clevertim::model {
struct Resource;
}

namespace clevertim::emulator {

// An answer to one API call: HTTP status and JSON body.
struct Answer {
  int status = 200;
  std::string body;
};

class Account {
 public:
  Account();

  // GET all / GET one / POST / PUT / DELETE, as the API answers them.
  Answer read_all(const model::Resource& r);
  Answer read_one(const model::Resource& r, std::int64_t id);
  Answer create(const model::Resource& r, const boost::json::value& body, std::int64_t user_id);
  Answer update(const model::Resource& r, std::int64_t id, const boost::json::value& body);
  Answer remove(const model::Resource& r, std::int64_t id);

  // The whole account as {"contact": [...], ...}, derived fields included; and back.
  boost::json::object state() const;
  void replace_state(const boost::json::object& state);

  std::int64_t size() const;
  std::int64_t first_user_id() const;

 private:
  using Elements = std::map<std::int64_t, boost::json::object>;

  boost::json::object with_derived(const model::Resource& r, const boost::json::object& e) const;
  std::string check_fields(const model::Resource& r, const boost::json::object& e) const;
  std::string check_create_rule(const model::Resource& r, const boost::json::object& e) const;
  bool exists(std::string_view endpoint, std::int64_t id) const;
  void index(const model::Resource& r, std::int64_t id, const boost::json::object& e, bool add);
  void remove_element(const model::Resource& r, std::int64_t id);
  void changed() { cache_.clear(); }

  std::map<std::string, Elements, std::less<>> elements_;
  // (holder endpoint, field) -> referenced id -> holders: the other side of each relation.
  std::map<std::pair<std::string, std::string>, std::map<std::int64_t, std::set<std::int64_t>>>
      backrefs_;
  std::map<std::string, std::string, std::less<>> cache_;  // serialized read-all bodies
  std::int64_t next_id_ = 1;
};

std::string error_body(std::string_view message);
std::string ok_body(const boost::json::object& element);
std::string utc_now();

}  // namespace clevertim::emulator
