// The command line as a stranger types it (issue 13, items 8-11): every refusal says why, with
// the documented exit code, and commands that only read never create files.
#include <doctest/doctest.h>

#include <filesystem>

#include "integration_fixture.h"

using namespace clevertim::testing;

namespace {

struct Case {
  std::vector<std::string> args;
  int code;
  const char* says;  // part of the output; "" for anything
};

}  // namespace

TEST_CASE_FIXTURE(SyncFixture, "command lines, their exit codes and what they say") {
  REQUIRE(sync() == 0);
  const std::string missing = (dir / "typo.db").string();
  const std::string conf = config.string();
  std::filesystem::create_directory(dir / "a-folder");
  const std::vector<Case> cases = {
      {{"--config", conf, "--log-level", "DEBUG", "status"}, 0, "mirror:"},
      {{"--config", conf, "--log-level", "Info", "version"}, 0, "clevertim-sync "},
      {{"--config", conf, "--log-level", "LOUD", "status"}, 2, "loud not in"},
      {{"--config", conf, "status", "--log-level", "warn"}, 0, "mirror:"},
      {{"status", "--config", config.string()}, 0, "mirror:"},
      {{"--config", conf, "--version"}, 0, "clevertim-sync "},
      {{"--config", conf, "frobnicate"}, 2, "unknown command 'frobnicate'"},
      {{"--config", conf, "--database", missing, "frobnicate"}, 2, "unknown command 'frobnicate'"},
      {{"--config", conf}, 2, "A subcommand is required"},
      {{"--config", conf, "undelete", "contakt", "71"}, 2, "contakt not in"},
      {{"--config", conf, "resolve", "1", "mine"}, 2, "mine not in"},
      {{"--config", conf, "status", "--database", missing}, 5, "there is no mirror at"},
      {{"--config", conf, "conflicts", "--database", missing}, 5, "there is no mirror at"},
      {{"--config", conf, "retry", "--database", missing}, 5, "there is no mirror at"},
      {{"--config", conf, "resolve", "1", "local", "--database", missing},
       5,
       "there is no mirror at"},
      {{"--config", conf, "verify", "--database", missing}, 5, "there is no mirror at"},
      {{"--config", (dir / "a-folder").string(), "status"}, 2, "is a folder"},
      {{"--config", conf, "--url", "not a url", "sync"}, 2, "server.url (or --url) cannot be used"},
      {{"--config", conf, "--database", "/nonexistent/x.db", "sync"},
       5,
       "cannot open the lock file"},
      {{"--config", conf, "--database", "/nonexistent/x.db", "run"},
       5,
       "cannot open the lock file"},
      {{"--config", (dir / "none.toml").string(), "status"}, 2, "cannot read the configuration"},
  };
  for (const Case& c : cases) {
    std::string line;
    for (const std::string& a : c.args) line += a + " ";
    CAPTURE(line);
    std::string output;
    CHECK_MESSAGE(run_clevertim_sync(c.args, &output) == c.code, output);
    CHECK_MESSAGE(output.find(c.says) != std::string::npos, output);
  }
  CHECK_FALSE(std::filesystem::exists(missing));
  CHECK_FALSE(std::filesystem::exists(missing + ".lock"));
}

// Issue 13, item 8: a token the CRM refuses is exit 2 (bad token), as documented, and the
// message says where the token comes from; it never shows the token.
TEST_CASE("a refused token: exit 2, and the message says what to fix") {
  EmulatorProcess emulator({"--sample", "5"});
  TempDir dir;
  const auto config = write_sync_config(dir, emulator, "", "not-the-token");
  std::string output;
  CHECK(run_clevertim_sync(config, {"sync"}, &output) == 2);
  CHECK_MESSAGE(output.find("refused the API token") != std::string::npos, output);
  CHECK(output.find("server.token_file") != std::string::npos);
  CHECK(output.find("not-the-token") == std::string::npos);
}
