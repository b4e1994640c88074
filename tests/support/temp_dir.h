// A fresh folder for one test's files, removed with everything in it on destruction.
#pragma once

#include <filesystem>
#include <string>

namespace clevertim::testing {

class TempDir {
 public:
  TempDir();  // mkdtemp under $TMPDIR (or /tmp): "clevertim-test-XXXXXX"
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace clevertim::testing
