#pragma once
// A fresh, private temporary folder per use (mkdtemp): concurrent test runs never share a name, and a
// planted symlink in a shared /tmp is never followed. Removed with its contents at the end.
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace attnscope::testing_support {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "attnscope_test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "_XXXXXX")).string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace attnscope::testing_support
