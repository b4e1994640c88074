// Small helpers shared by the emulator's conformance tests.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <string>

#include "emulator_process.h"

namespace clevertim::testing {

namespace json = boost::json;

// The single element of a 200 {"status":"OK","content":[E]}; fails the test otherwise.
json::object only_element(const HttpAnswer& a);
// `content` of a 200 read-all.
json::array all_elements(const HttpAnswer& a);
// The `error` of an error envelope, after checking its shape.
std::string error_of(const HttpAnswer& a);

// POST BASE/{resource} with the read-write token; returns the new id, written as a number or
// (with shapes) a numeric string; the test fails otherwise.
std::int64_t create(const EmulatorProcess& e, const std::string& resource, const std::string& body);
json::object get_one(const EmulatorProcess& e, const std::string& resource, std::int64_t id);
// The ids in a JSON array of ids, e.g. a contact's `notes`.
std::vector<std::int64_t> ids(const json::value& list);
// The whole account, from GET /_emulator/state.
json::object state(const EmulatorProcess& e);

// Runs a shell command; returns its exit code and puts stdout+stderr in `output`.
int shell(const std::string& command, std::string* output = nullptr);

}  // namespace clevertim::testing
