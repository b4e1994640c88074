// One daemon per mirror: an advisory lock on "<database>.lock", holding the owner's pid so a
// second instance can say which process runs.
#pragma once

#include <filesystem>
#include <stdexcept>

namespace clevertim::daemon {

class AlreadyRunning : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The lock file cannot be opened (the mirror's folder is missing or not writable): the mirror
// cannot be used, exit code 5 like any other mirror that cannot be opened.
class LockFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class InstanceLock {
 public:
  // Takes the lock or throws AlreadyRunning naming the process that holds it.
  explicit InstanceLock(const std::filesystem::path& database);
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace clevertim::daemon
