// Noticing writes to the mirror made by other processes, without polling: inotify on the
// mirror's folder wakes us when the database or its WAL changes; `PRAGMA data_version` then
// tells a real commit by another connection from our own writes.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <array>
#include <filesystem>
#include <string>

namespace clevertim::daemon {

class LocalWriteWatch {
 public:
  LocalWriteWatch(const boost::asio::any_io_executor& executor,
                  const std::filesystem::path& database);

  // Completes when the database file or its WAL was written, deleted, created or renamed (by
  // anyone).
  boost::asio::awaitable<void> next_write();

 private:
  boost::asio::posix::stream_descriptor inotify_;
  std::string db_name_;
  std::string wal_name_;
  std::array<char, 4096> buffer_{};
};

}  // namespace clevertim::daemon
