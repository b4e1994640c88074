// clevertim-emulator: a stand-in for the Clevertim CRM REST API, for tests, the demo and
// benchmarks. See README.md beside this file for the flags, the control API and the limits.
#include <CLI/CLI.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/parse.hpp>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include "emulator/sample.h"
#include "emulator/server.h"
#include "emulator/store.h"
#include "model/resources.h"

namespace {

using namespace clevertim::emulator;

std::string read_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A token file holds the token and maybe a final newline.
std::string read_token(const std::string& file) {
  std::string text = read_file(file);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  if (text.empty()) throw std::runtime_error(file + " holds no token");
  return text;
}

void write_port_file(const std::string& file, std::uint16_t port) {
  const std::string tmp = file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, file);  // readers never see a half-written port
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "clevertim-emulator: a stand-in for the Clevertim CRM REST API (see emulator/README.md).\n"
      "Serves BASE/{resource}[/{id}] with BASE /api (writes also without it) for contact,\n"
      "company, case, opportunity, task, note, comment, customfield and the read-only user and\n"
      "group; a control API for tests under /_emulator/. Prints one line\n"
      "'clevertim-emulator listening on URL' on stdout once ready. SIGTERM/SIGINT stop it."};
  app.get_formatter()->column_width(34);
  // A flag given twice takes its last value, so a wrapper's defaults can be overridden.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  ServerOptions options;
  std::string token_file, readonly_token_file, state, port_file, tls_cert, tls_key;
  std::int64_t sample = 0;
  std::uint64_t seed = 42;
  int idle_timeout = static_cast<int>(options.idle_timeout.count());
  const auto rate = CLI::Range(0.0, 1.0);

  app.add_option("--host", options.host, "loopback address to listen on")->capture_default_str();
  app.add_option("--port", options.port, "port to listen on; 0 picks a free (ephemeral) one")
      ->capture_default_str();
  app.add_option("--port-file", port_file, "write the bound port to FILE once listening");
  app.add_option("--token", options.token, "the read-write API token (the HTTP Basic user)")
      ->capture_default_str();
  app.add_option("--token-file", token_file, "read the read-write token from FILE instead");
  app.add_option("--readonly-token", options.readonly_token,
                 "a token that may read but whose every write answers 403 (default: none)");
  app.add_option("--readonly-token-file", readonly_token_file,
                 "read the read-only token from FILE instead");
  app.add_option("--sample", sample,
                 "start with a deterministic sample account of about N contacts (0: empty)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  bool no_cache = false;
  app.add_flag("--no-cache", no_cache,
               "serialize every read-all body per request instead of caching it until a write "
               "(what the benchmarks time against: every download costs the server the same)");
  app.add_option("--seed", seed, "seed of the --sample account")->capture_default_str();
  app.add_option("--state", state,
                 "load the account from FILE at start if it exists (it wins over --sample); "
                 "save it there on SIGTERM/SIGINT and on POST /_emulator/save");
  app.add_option("--tls-cert", tls_cert, "serve HTTPS with this PEM certificate chain");
  app.add_option("--tls-key", tls_key, "and this PEM private key (both needed for HTTPS)");
  app.add_option("--idle-timeout", idle_timeout, "close connections idle this many seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--fault-5xx", options.faults.server_error,
                 "rate of 5xx answers, 0..1: 500/502 an HTML page, others plain text")
      ->capture_default_str()
      ->check(rate);
  std::vector<int> statuses = options.faults.server_error_statuses;
  app.add_option("--fault-5xx-statuses", statuses, "the statuses --fault-5xx picks from")
      ->capture_default_str()
      ->check(CLI::Range(500, 599))
      ->delimiter(',')
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--fault-429", options.faults.rate_limited,
                 "rate of 429 answers with Retry-After, 0..1")
      ->capture_default_str()
      ->check(rate);
  app.add_option("--fault-503", options.faults.unavailable,
                 "rate of 503 answers with Retry-After, 0..1")
      ->capture_default_str()
      ->check(rate);
  app.add_option("--retry-after", options.faults.retry_after_seconds,
                 "the Retry-After of injected 429/503, in seconds")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--latency-ms", options.faults.latency_ms,
                 "delay added before every API answer, in milliseconds")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--fault-reset", options.faults.reset,
                 "rate of answers cut off mid-body: full Content-Length, half the body, close")
      ->capture_default_str()
      ->check(rate);
  app.add_option("--fault-truncate", options.faults.truncate,
                 "rate of complete HTTP 200 answers whose JSON body is cut short")
      ->capture_default_str()
      ->check(rate);
  app.add_option("--fault-empty", options.faults.empty,
                 "rate of read-alls answering {\"status\":\"OK\",\"content\":[]}")
      ->capture_default_str()
      ->check(rate);
  app.add_option("--fault-drop-after-commit", options.faults.drop_after_commit,
                 "rate of writes carried out but never answered (the connection closes)")
      ->capture_default_str()
      ->check(rate);
  app.add_option("--fault-short", options.faults.short_list,
                 "rate of read-alls that leave out a random non-empty subset of the elements")
      ->capture_default_str()
      ->check(rate);
  app.add_option("--fault-bad-id", options.faults.bad_id,
                 "rate of read-alls in which one element's id is unusable (absent, null, 104.0, "
                 "1.04e2, \"abc\", 2^64, -5, 0)")
      ->capture_default_str()
      ->check(rate);
  ShapeOptions shapes;
  app.add_option("--shape-seed", shapes.seed,
                 "vary, from this seed, how answers write ids, time stamps, nulls and a note's "
                 "cust (0: off, one canonical shape); implies --soft-delete-tasks")
      ->capture_default_str();
  app.add_flag("--shape-per-request", shapes.per_request,
               "with --shape-seed: draw the shapes afresh for every answer, not per element");
  app.add_flag(
      "--soft-delete-tasks", shapes.soft_delete_tasks,
      "a PUT setting a task's is_deleted to true deletes it (404 and gone from read-alls)");
  app.add_option("--fault-seed", options.faults.seed,
                 "seed of the fault generator: same seed, same requests, same faults")
      ->capture_default_str();
  app.add_flag("--quiet", options.quiet, "no access log on stderr: only the listening line");
  CLI11_PARSE(app, argc, argv);

  try {
    std::signal(SIGPIPE, SIG_IGN);  // a client that hangs up is not a reason to die
    if (!token_file.empty()) options.token = read_token(token_file);
    if (!readonly_token_file.empty()) options.readonly_token = read_token(readonly_token_file);
    if (options.token.empty()) throw std::runtime_error("the token must not be empty");
    options.tls_cert = tls_cert;
    options.tls_key = tls_key;
    options.state_file = state;
    options.idle_timeout = std::chrono::seconds(idle_timeout);
    options.faults.server_error_statuses = statuses;

    Store store;
    store.cache_read_all(!no_cache);
    store.set_shapes(shapes);
    if (!state.empty() && std::filesystem::exists(state)) {
      boost::json::value loaded = boost::json::parse(read_file(state));
      if (!loaded.is_object()) throw std::runtime_error(state + " is not a JSON object");
      store.replace_state(std::move(loaded.get_object()));
    } else if (sample > 0) {
      sample_account(sample, seed, [&](std::string_view resource, boost::json::object e) {
        store.load(*clevertim::model::find_resource(resource), std::move(e));
      });
    }

    boost::asio::io_context io(1);
    Server server(io, options, store);
    // Handlers first: a SIGTERM right after the listening line must still stop cleanly.
    boost::asio::signal_set signals(io, SIGTERM, SIGINT);
    int exit_code = 0;
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      server.stop();
      if (!state.empty()) {
        try {
          server.save_state();
        } catch (const std::exception& e) {
          std::cerr << "clevertim-emulator: saving the state failed: " << e.what() << "\n";
          exit_code = 1;
        }
      }
      io.stop();
    });

    const std::uint16_t port = server.start();
    if (!port_file.empty()) write_port_file(port_file, port);
    std::cout << "clevertim-emulator listening on " << server.url() << std::endl;
    if (!options.quiet)
      std::cerr << "clevertim-emulator: " << store.size()
                << " elements; control API under /_emulator/\n";

    io.run();
    return exit_code;
  } catch (const std::exception& e) {
    std::cerr << "clevertim-emulator: " << e.what() << "\n";
    return 2;
  }
}
