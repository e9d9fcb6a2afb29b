#include "attnscope/file_output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace attnscope {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& label, const std::string& path, const std::string& what, int err) {
  throw std::runtime_error("cannot write " + label + (label.empty() ? "" : " ") + path + ": " + what +
                           (err ? std::string(" (") + std::strerror(err) + ")" : std::string()));
}

void write_all(int fd, std::string_view data, const std::string& label, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(label, path, "write failed", n < 0 ? errno : ENOSPC);
    data.remove_prefix(std::size_t(n));
  }
}

// A symlink's final target, so replacing the file keeps the link; other paths unchanged.
std::string resolved(const std::string& path) {
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(path, ec))) {
    const fs::path target = fs::weakly_canonical(path, ec);
    if (!ec) return target.string();
  }
  return path;
}

std::string folder_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

}  // namespace

void write_file_atomically(const std::string& path_in, std::string_view content, const std::string& label) {
  if (path_in.empty()) throw std::runtime_error(label + " is empty; give a file name");
  const std::string path = resolved(path_in);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) fail(label, path_in, "it is a folder", 0);
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    // A device or pipe cannot be replaced by a rename: write it in place, checking every step.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) fail(label, path_in, "cannot open", errno);
    try {
      write_all(fd, content, label, path_in);
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (::close(fd) != 0) fail(label, path_in, "close failed", errno);
    return;
  }
  const fs::path p(path);
  std::string tmpl = (fs::path(folder_of(path)) / ("." + p.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) fail(label, path_in, "cannot create a temporary file in " + folder_of(path), errno);
  auto discard = [&] {
    ::close(fd);
    ::unlink(tmpl.c_str());
  };
  try {
    write_all(fd, content, label, path_in);
    // mkstemp makes 0600; a result file gets the permissions a plain open() would give it.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd, st.st_mode && S_ISREG(st.st_mode) ? (st.st_mode & 07777) : (0666 & ~mask));
    if (::fsync(fd) != 0) fail(label, path_in, "flushing to the disk failed", errno);
  } catch (...) {
    discard();
    throw;
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    fail(label, path_in, "close failed", err);
  }
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    fail(label, path_in, "rename into place failed", err);
  }
  // The rename itself reaches the disk with the folder's metadata.
  const int dir = ::open(folder_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void check_writable(const std::string& path_in, const std::string& label) {
  if (path_in.empty()) throw std::runtime_error(label + " is empty; give a file name");
  const std::string path = resolved(path_in);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) fail(label, path_in, "it is a folder", EISDIR);
    if (::access(path.c_str(), W_OK) != 0) fail(label, path_in, "no permission to replace it", errno);
    if (!S_ISREG(st.st_mode)) return;  // written in place
  }
  const std::string folder = folder_of(path);
  if (::stat(folder.c_str(), &st) != 0) fail(label, path_in, "its folder " + folder + " does not exist", errno);
  if (::access(folder.c_str(), W_OK | X_OK) != 0) fail(label, path_in, "its folder " + folder + " is not writable", errno);
}

DurableLineWriter::DurableLineWriter(const std::string& path, const std::string& label) : path_(path), label_(label) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd_ < 0) fail(label_, path_, "cannot open", errno);
}

DurableLineWriter::~DurableLineWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void DurableLineWriter::write_line(std::string_view line) {
  std::string whole(line);
  whole += '\n';
  write_all(fd_, whole, label_, path_);
  if (::fdatasync(fd_) != 0) fail(label_, path_, "flushing to the disk failed", errno);
}

void DurableLineWriter::close() {
  if (fd_ < 0) return;
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail(label_, path_, "close failed", errno);
}

}  // namespace attnscope
