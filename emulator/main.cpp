// clevertim-emulator: a stand-in for the Clevertim CRM API, for tests, the demo and benchmarks.
#include <CLI/CLI.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "emulator/account.h"
#include "emulator/sample.h"
#include "emulator/server.h"

using namespace clevertim::emulator;

namespace {

std::string read_trimmed(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "clevertim-emulator: a stand-in for the Clevertim CRM REST API (see emulator/README.md).\n"
      "Serves /api/{resource}[/{id}] for contact, company, case, opportunity, task, note,\n"
      "comment, customfield, user, group; the control API for tests is under /_emulator/."};
  ServerOptions options;
  std::string token_file, readonly_token_file, state, tls_cert, tls_key;
  std::int64_t sample = 0;
  std::uint64_t seed = 42;
  app.add_option("--host", options.host, "address to listen on")->capture_default_str();
  app.add_option("--port", options.port, "port; 0 picks a free one")->capture_default_str();
  app.add_option("--token", options.token, "the read-write API token")->capture_default_str();
  app.add_option("--token-file", token_file, "read the read-write token from this file");
  app.add_option("--readonly-token", options.readonly_token,
                 "a token whose writes all fail with 403");
  app.add_option("--readonly-token-file", readonly_token_file, "read it from this file");
  app.add_option("--sample", sample, "start with a sample account of about N contacts")
      ->capture_default_str();
  app.add_option("--seed", seed, "seed of the sample account")->capture_default_str();
  app.add_option("--state", state,
                 "load the account from this JSON file if it exists; save it on exit and on "
                 "POST /_emulator/save");
  app.add_option("--tls-cert", tls_cert, "serve HTTPS with this certificate chain (PEM)");
  app.add_option("--tls-key", tls_key, "... and this private key (PEM)");
  app.add_option("--fault-5xx", options.faults.server_error,
                 "rate of 502 answers with an HTML body")
      ->capture_default_str();
  app.add_option("--fault-429", options.faults.rate_limited, "rate of 429 answers with Retry-After")
      ->capture_default_str();
  app.add_option("--fault-503", options.faults.unavailable, "rate of 503 answers with Retry-After")
      ->capture_default_str();
  app.add_option("--retry-after", options.faults.retry_after_seconds,
                 "the Retry-After of injected 429/503, in seconds")
      ->capture_default_str();
  app.add_option("--latency-ms", options.faults.latency_ms, "delay added to every API answer")
      ->capture_default_str();
  app.add_option("--fault-reset", options.faults.reset,
                 "rate of answers cut off mid-body (connection closed)")
      ->capture_default_str();
  app.add_option("--fault-truncate", options.faults.truncate,
                 "rate of complete 200 answers whose JSON is cut short")
      ->capture_default_str();
  app.add_option("--fault-empty", options.faults.empty,
                 "rate of read-alls that answer an empty list")
      ->capture_default_str();
  app.add_option("--fault-drop-after-commit", options.faults.drop_after_commit,
                 "rate of writes done but never answered (connection closed)")
      ->capture_default_str();
  app.add_option("--fault-seed", options.faults.seed, "seed of the fault generator")
      ->capture_default_str();
  app.add_flag("--quiet", options.quiet, "print only the listening line");
  CLI11_PARSE(app, argc, argv);

  try {
    if (!token_file.empty()) options.token = read_trimmed(token_file);
    if (!readonly_token_file.empty()) options.readonly_token = read_trimmed(readonly_token_file);
    options.tls_cert = tls_cert;
    options.tls_key = tls_key;
    options.state_file = state;

    Account account;
    if (!state.empty() && std::filesystem::exists(state)) {
      std::ifstream in(state);
      std::stringstream text;
      text << in.rdbuf();
      account.replace_state(boost::json::parse(text.str()).as_object());
    } else if (sample > 0) {
      account.replace_state(sample_account(sample, seed));
    }

    boost::asio::io_context io;
    Server server(io, options, account);
    server.start();
    std::cout << "clevertim-emulator listening on " << server.url() << std::endl;
    if (!options.quiet)
      std::cerr << "account: " << account.size() << " elements; faults per flag; control API "
                << "under /_emulator/\n";

    boost::asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code&, int) {
      server.stop();
      if (!state.empty()) server.save_state();
      io.stop();
    });
    io.run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "clevertim-emulator: " << e.what() << "\n";
    return 2;
  }
}
