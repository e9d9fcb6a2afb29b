#pragma once
// Writing result files so that no failure leaves a half-written or truncated file behind: the content
// goes to a temporary file in the target's folder, is flushed to the disk and checked, and only then
// renamed over the target. A full disk or a crash leaves the previous file as it was.
// Every function throws std::runtime_error naming the option (or the file) and the system's reason.
#include <string>
#include <string_view>

namespace attnscope {

// Writes `content` to `path` atomically (temporary file + fsync + rename). A path that exists and is
// not a regular file (/dev/stdout, a FIFO) is written in place, every write checked. A symlink is
// followed so the link itself stays.
void write_file_atomically(const std::string& path, std::string_view content, const std::string& label);

// Fails fast, before a long run, when `path` cannot be written — without creating or touching it.
void check_writable(const std::string& path, const std::string& label);

// Appends whole lines to a file and forces each one to the disk before returning, so a finished
// line survives kill -9 and a power cut. Used for the run journal.
class DurableLineWriter {
 public:
  DurableLineWriter(const std::string& path, const std::string& label);  // creates or appends
  ~DurableLineWriter();
  DurableLineWriter(const DurableLineWriter&) = delete;
  DurableLineWriter& operator=(const DurableLineWriter&) = delete;
  void write_line(std::string_view line);  // adds '\n'; throws on any error
  void close();                             // checked; the destructor closes silently

 private:
  int fd_ = -1;
  std::string path_, label_;
};

}  // namespace attnscope
