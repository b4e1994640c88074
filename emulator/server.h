// The emulator's HTTP(S) server: the CRM's REST API under /api (and without it, as the
// public docs' write examples show), HTTP Basic auth with a read-write and a read-only token,
// fault injection, and a control API for tests under /_emulator/.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "emulator/account.h"
#include "emulator/faults.h"

namespace clevertim::emulator {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port
  std::string token = "test-token";
  std::string readonly_token;
  std::filesystem::path tls_cert, tls_key;  // both set: HTTPS
  std::filesystem::path state_file;         // POST /_emulator/save writes here
  FaultRates faults;
  bool quiet = false;
};

class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options, Account& account);
  ~Server();

  // Binds and starts accepting; returns the port.
  std::uint16_t start();
  std::string url() const;  // "http://127.0.0.1:PORT/api"
  void save_state() const;
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clevertim::emulator
