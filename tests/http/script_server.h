// A tiny HTTP/1.1 server for the client's tests: it answers each request with the next reply
// of a script, and can misbehave on purpose (cut a body short, close a kept-alive connection,
// answer slowly). Plain TCP or TLS, on 127.0.0.1 and an ephemeral port, on its own thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace testsrv {

struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool gzip = false;  // send `body` gzip-encoded, with Content-Encoding: gzip
  // When set, the body is sent chunked, piece by piece, until `generate` returns "" (the
  // server never holds the whole body).
  std::function<std::string()> generate;
  // Announce the full Content-Length but send only this many body bytes, then close.
  std::optional<std::size_t> cut_after;
  bool close_after = false;            // "Connection: close", then close
  bool drop_after = false;             // a keep-alive answer, then close silently (idle close)
  bool drop_request = false;           // read the request, answer nothing, close
  std::chrono::milliseconds delay{0};  // wait before answering
};

// A request as the server saw it; header names lower case.
struct Seen {
  std::string method;
  std::string target;
  std::string body;
  std::map<std::string, std::string> headers;
  int connection = 0;  // which accepted connection carried it, from 1
};

class ScriptServer {
 public:
  // TLS when cert_file and key_file are given.
  explicit ScriptServer(std::string cert_file = {}, std::string key_file = {});
  ~ScriptServer();
  ScriptServer(const ScriptServer&) = delete;
  ScriptServer& operator=(const ScriptServer&) = delete;

  // Queues the answer to a future request. With an empty script the server answers
  // 200 {"status":"OK","content":[]}.
  void push(Reply reply);
  std::uint16_t port() const;
  // "http://127.0.0.1:PORT/api" (https when TLS), with `host` in place of 127.0.0.1.
  std::string base_url(const std::string& host = "127.0.0.1") const;
  std::vector<Seen> requests() const;
  int connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// gzip-encodes `data` (for scripts and tests).
std::string gzip(const std::string& data);

// Writes a self-signed certificate and key for CN=`name` (SAN DNS:name, IP:127.0.0.1) into
// `dir` with the openssl tool; returns {cert, key} paths.
std::pair<std::string, std::string> make_self_signed(const std::string& dir,
                                                     const std::string& name);

}  // namespace testsrv
