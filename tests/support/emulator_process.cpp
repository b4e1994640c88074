#include "emulator_process.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace clevertim::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string basic(const std::string& token) {
  const std::string plain = token + ":X";
  std::string out(beast::detail::base64::encoded_size(plain.size()), '\0');
  out.resize(beast::detail::base64::encode(out.data(), plain.data(), plain.size()));
  return "Basic " + out;
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "clevertim-it-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

EmulatorProcess::EmulatorProcess(std::vector<std::string> extra_args) {
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> args = {
      CLEVERTIM_EMULATOR_BINARY, "--port",      "0", "--quiet", "--token", kTestToken,
      "--readonly-token",        kReadOnlyToken};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  FILE* from = fdopen(out[0], "r");
  std::array<char, 512> line{};
  if (fgets(line.data(), line.size(), from) == nullptr) {
    fclose(from);
    throw std::runtime_error("the emulator did not start");
  }
  fclose(from);
  const std::string text(line.data());
  const auto at = text.find("http");
  url_ = text.substr(at, text.find_first_of(" \n", at) - at);
  const auto colon = url_.rfind(':');
  port_ = std::stoi(url_.substr(colon + 1));
}

void EmulatorProcess::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

EmulatorProcess::~EmulatorProcess() {
  stop();
}

std::string HttpAnswer::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  return "";
}

boost::json::value HttpAnswer::json() const {
  return boost::json::parse(body);
}

HttpAnswer http_request(const std::string& method, const std::string& url, const std::string& body,
                        const std::string& token) {
  // http://HOST:PORT/PATH
  const auto host_start = url.find("//") + 2;
  const auto path_start = url.find('/', host_start);
  const std::string hostport = url.substr(host_start, path_start - host_start);
  const std::string host = hostport.substr(0, hostport.rfind(':'));
  const std::string port = hostport.substr(hostport.rfind(':') + 1);
  asio::io_context io;
  beast::tcp_stream stream(io);
  asio::ip::tcp::resolver resolver(io);
  stream.connect(resolver.resolve(host, port));
  http::request<http::string_body> req{http::string_to_verb(method), url.substr(path_start), 11};
  req.set(http::field::host, hostport);
  if (!token.empty()) req.set(http::field::authorization, basic(token));
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(512 * 1024 * 1024);
  HttpAnswer answer;
  beast::error_code ec;
  http::read(stream, buffer, parser, ec);
  if (ec && !parser.is_header_done()) {
    answer.status = 0;  // no answer at all (the connection was closed)
    return answer;
  }
  answer.status = static_cast<int>(parser.get().result_int());
  answer.body = parser.get().body();
  for (const auto& field : parser.get())
    answer.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  if (ec) answer.headers.emplace_back("X-Test-Read-Error", ec.message());
  return answer;
}

HttpAnswer control(const EmulatorProcess& emulator, const std::string& method,
                   const std::string& what, const std::string& body) {
  const std::string root = emulator.url().substr(0, emulator.url().size() - 4);
  return http_request(method, root + "/_emulator/" + what, body);
}

std::filesystem::path write_sync_config(const TempDir& dir, const EmulatorProcess& emulator,
                                        const std::string& extra_toml, const std::string& token) {
  const auto token_file = dir / "token";
  std::ofstream(token_file) << token << "\n";
  chmod(token_file.c_str(), 0600);
  const auto config = dir / "clevertim-sync.toml";
  std::ofstream(config) << "log_level = \"info\"\n[server]\nurl = \"" << emulator.url()
                        << "\"\ntoken_file = \"" << token_file.string() << "\"\n"
                        << "[storage]\ndatabase = \"" << (dir / "crm.db").string() << "\"\n"
                        << "[sync]\nretry_base = \"10ms\"\nretry_cap = \"50ms\"\n"
                        << extra_toml << "\n";
  return config;
}

std::string clevertim_sync_binary() {
  return CLEVERTIM_SYNC_BINARY;
}

int run_clevertim_sync(const std::filesystem::path& config, const std::vector<std::string>& args,
                       std::string* output) {
  std::string command = std::string(CLEVERTIM_SYNC_BINARY) + " --config '" + config.string() + "'";
  for (const std::string& a : args) command += " '" + a + "'";
  command += " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string text;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) text.append(buf.data(), n);
  const int status = pclose(pipe);
  if (output) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace clevertim::testing
