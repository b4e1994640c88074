// The emulator's HTTP(S) server: HTTP/1.1 with keep-alive and many concurrent connections on
// one thread (C++20 coroutines, in the style of Beast's coroutine examples). It authenticates
// (HTTP Basic, user = token), hands API requests to api.h and control requests to control.h,
// and turns injected faults (faults.h) into what a client sees on the wire.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "emulator/faults.h"
#include "emulator/store.h"

namespace clevertim::emulator {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port
  std::string token = "test-token";
  std::string readonly_token;               // empty: no read-only token
  std::filesystem::path tls_cert, tls_key;  // both set: HTTPS instead of HTTP
  std::filesystem::path state_file;         // where save_state() and POST /_emulator/save write
  FaultRates faults;
  bool quiet = false;  // no access log on stderr
  // A connection idle this long is closed, as servers do; clients must reconnect.
  std::chrono::seconds idle_timeout{120};
};

class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options, Store& store);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts accepting on the io_context; returns the bound port.
  std::uint16_t start();
  std::string url() const;  // "http://127.0.0.1:PORT/api" (https with TLS)
  // Writes the account to the state file (atomically: a temporary file, then a rename).
  // Throws when no state file was configured or it cannot be written.
  void save_state() const;
  // Stops accepting; open connections end when the io_context stops.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clevertim::emulator
