// An in-memory CRM for the push and restore tests: answers like the real one (ids, partial
// updates, 404s) and remembers every request.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "sync/crm_reader.h"
#include "sync/crm_writer.h"

namespace clevertim::testing {

namespace json = boost::json;
namespace asio = boost::asio;
using Status = sync::WriteResult::Status;

// A CRM in memory that answers like the real one and remembers every request.
class FakeCrm : public sync::CrmWriter, public sync::CrmReader {
 public:
  std::set<std::string> unavailable;         // endpoints answered with 404 (optional ones)
  std::set<std::string> failing;             // endpoints whose read-all fails
  std::set<std::string> fail_half_way_once;  // a first attempt breaks after one element
  std::set<std::string> throwing;            // endpoints whose read-all throws (a bug, a full disk)
  std::function<void(const std::string&)> on_fetch;  // called as each read-all starts
  // Called after each element a read-all hands over (endpoint, elements so far): false pauses
  // the read-all (other work goes on) and asks again a millisecond later.
  std::function<bool(const std::string&, std::size_t)> on_element_sent;
  std::map<std::string, std::size_t> break_off_after;  // a read-all fails after N elements
  std::map<std::string, std::size_t> restart_after;    // ... starts over after N elements, once
  std::map<std::string, std::size_t> throw_after;      // ... throws after N elements

  asio::awaitable<sync::FetchOutcome> fetch_all(
      std::string_view resource, const std::function<void(const json::value&)>& on_element,
      const std::function<void()>& on_restart) override {
    const std::string name(resource);
    requests.push_back("GET " + name);
    if (on_fetch) on_fetch(name);
    if (throwing.contains(name)) throw std::runtime_error("reading " + name + " broke");
    if (unavailable.contains(name))
      co_return sync::FetchOutcome{sync::FetchOutcome::Status::kUnavailable, "404", 0};
    if (failing.contains(name))
      co_return sync::FetchOutcome{sync::FetchOutcome::Status::kFailed,
                                   "503 Service Unavailable (after 5 attempts)", 0};
    if (fail_half_way_once.erase(name) && !elements[name].empty()) {
      on_element(json::value(elements[name].begin()->second));
      on_restart();
    }
    std::uint64_t bytes = 0;
    std::size_t sent = 0;
    for (auto it = elements[name].begin(); it != elements[name].end();) {
      bytes += json::serialize(it->second).size();
      on_element(json::value(it->second));
      ++sent;
      while (on_element_sent && !on_element_sent(name, sent)) {
        asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(1));
        co_await pause.async_wait(asio::use_awaitable);
      }
      if (break_off_after.contains(name) && sent == break_off_after[name])
        co_return sync::FetchOutcome{sync::FetchOutcome::Status::kFailed,
                                     "the connection broke (after 5 attempts)", bytes};
      if (throw_after.contains(name) && sent == throw_after[name])
        throw std::runtime_error("reading " + name + " broke");
      if (restart_after.contains(name) && sent == restart_after[name]) {
        restart_after.erase(name);
        on_restart();
        it = elements[name].begin();  // from the first again
        bytes = sent = 0;
        continue;
      }
      ++it;
    }
    co_return sync::FetchOutcome{sync::FetchOutcome::Status::kOk, "", bytes};
  }

  std::map<std::string, std::map<std::int64_t, json::object>> elements;
  std::vector<std::string> requests;       // "POST contact {...}", "PUT contact 42 {...}", ...
  std::vector<Status> next_failures;       // answers to give to the next requests, in order
  std::vector<Status> next_read_failures;  // answers to give to the next GETs of one element
  bool commit_before_failing = false;      // an unknown answer after the element was created
  // Called as each POST arrives, before it is answered: what happens while it is on its way.
  std::function<void(const std::string&)> on_create;
  std::int64_t next_id = 1000;

  asio::awaitable<sync::WriteResult> create(std::string_view resource, json::object e) override {
    requests.push_back("POST " + std::string(resource) + " " + json::serialize(e));
    if (on_create) on_create(std::string(resource));
    if (auto failure = take_failure()) {
      if (*failure == Status::kUnknown && commit_before_failing) store(resource, std::move(e));
      co_return sync::WriteResult{*failure, {}, "injected failure"};
    }
    co_return sync::WriteResult{Status::kOk, store(resource, std::move(e)), ""};
  }
  asio::awaitable<sync::WriteResult> update(std::string_view resource, std::int64_t id,
                                            json::object changes) override {
    requests.push_back("PUT " + std::string(resource) + " " + std::to_string(id) + " " +
                       json::serialize(changes));
    if (auto failure = take_failure())
      co_return sync::WriteResult{*failure, {}, "injected failure"};
    auto& all = elements[std::string(resource)];
    auto it = all.find(id);
    if (it == all.end()) co_return sync::WriteResult{Status::kNotFound, {}, "no such element"};
    for (auto& kv : changes) it->second[kv.key()] = kv.value();
    co_return sync::WriteResult{Status::kOk, it->second, ""};
  }
  asio::awaitable<sync::WriteResult> remove(std::string_view resource, std::int64_t id) override {
    requests.push_back("DELETE " + std::string(resource) + " " + std::to_string(id));
    if (auto failure = take_failure())
      co_return sync::WriteResult{*failure, {}, "injected failure"};
    if (elements[std::string(resource)].erase(id) == 0)
      co_return sync::WriteResult{Status::kNotFound, {}, "no such element"};
    co_return sync::WriteResult{};
  }

  asio::awaitable<sync::WriteResult> read_one(std::string_view resource, std::int64_t id) override {
    requests.push_back("GET " + std::string(resource) + " " + std::to_string(id));
    if (!next_read_failures.empty()) {
      const Status failure = next_read_failures.front();
      next_read_failures.erase(next_read_failures.begin());
      co_return sync::WriteResult{failure, {}, "injected read failure"};
    }
    auto& all = elements[std::string(resource)];
    auto it = all.find(id);
    if (it == all.end()) co_return sync::WriteResult{Status::kNotFound, {}, "no such element"};
    co_return sync::WriteResult{Status::kOk, it->second, ""};
  }

  json::object store(std::string_view resource, json::object e) {
    e["id"] = next_id++;
    elements[std::string(resource)][e["id"].as_int64()] = e;
    return e;
  }
  std::string list(std::string_view resource) {
    json::array out;
    for (auto& [id, e] : elements[std::string(resource)]) out.push_back(e);
    return json::serialize(out);
  }

 private:
  std::optional<Status> take_failure() {
    if (next_failures.empty()) return std::nullopt;
    Status s = next_failures.front();
    next_failures.erase(next_failures.begin());
    return s;
  }
};

}  // namespace clevertim::testing
