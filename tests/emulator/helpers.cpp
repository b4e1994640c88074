#include "helpers.h"

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace clevertim::testing {

json::array all_elements(const HttpAnswer& a) {
  REQUIRE_MESSAGE(a.status == 200, a.body);
  const json::value v = a.json();
  REQUIRE(v.at("status") == "OK");
  return v.at("content").as_array();
}

json::object only_element(const HttpAnswer& a) {
  const json::array content = all_elements(a);
  REQUIRE(content.size() == 1);
  return content.at(0).as_object();
}

std::string error_of(const HttpAnswer& a) {
  const json::value v = a.json();
  REQUIRE(v.as_object().size() == 2);
  REQUIRE(v.at("status") == "ERROR");
  return std::string(v.at("error").as_string());
}

std::int64_t create(const EmulatorProcess& e, const std::string& resource,
                    const std::string& body) {
  const HttpAnswer a = http_request("POST", e.url() + "/" + resource, body);
  REQUIRE_MESSAGE(a.status == 200, resource << " " << body << " -> " << a.body);
  const json::object element = only_element(a);  // kept: `id` refers into it
  const json::value& id = element.at("id");
  // With --shape-seed an id may be written as a numeric string.
  return id.is_string() ? std::stoll(std::string(id.as_string())) : id.as_int64();
}

json::object get_one(const EmulatorProcess& e, const std::string& resource, std::int64_t id) {
  return only_element(http_request("GET", e.url() + "/" + resource + "/" + std::to_string(id)));
}

std::vector<std::int64_t> ids(const json::value& list) {
  std::vector<std::int64_t> out;
  for (const json::value& v : list.as_array()) out.push_back(v.as_int64());
  return out;
}

json::object state(const EmulatorProcess& e) {
  const HttpAnswer a = control(e, "GET", "state");
  REQUIRE(a.status == 200);
  return a.json().as_object();
}

int shell(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::string text;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) text.append(buf.data(), n);
  const int status = pclose(pipe);
  if (output) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace clevertim::testing
