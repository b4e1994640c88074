#include "mirror_fixture.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace clevertim::testing {

ScratchDir::ScratchDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "clevertim-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ShellResult run_sqlite3(const std::filesystem::path& database, const std::string& sql) {
  const std::filesystem::path script = database.string() + ".script.sql";
  std::ofstream(script) << sql << "\n";
  const std::string command =
      "sqlite3 -bail '" + database.string() + "' < '" + script.string() + "' 2>&1";
  ShellResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot start sqlite3");
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::filesystem::remove(script);
  return result;
}

}  // namespace clevertim::testing

#include <boost/json.hpp>

#include "model/resources.h"
#include "storage/element_table.h"

namespace clevertim::testing {

void seed(storage::Mirror& mirror, std::string_view endpoint, std::string_view json_array) {
  const model::Resource* resource = model::find_resource(endpoint);
  if (resource == nullptr) throw std::runtime_error("no resource " + std::string(endpoint));
  storage::ElementTable table(mirror.db(), *resource);
  storage::OwnWriteTransaction tx(mirror.db());
  const boost::json::value elements = boost::json::parse(json_array);
  for (const boost::json::value& element : elements.as_array()) {
    auto mapped = storage::map_element(*resource, element);
    table.store_synced(std::get<storage::MappedElement>(mapped));
  }
  tx.commit();
}

}  // namespace clevertim::testing
