#pragma once
// A full disk without a mount: while a FullDisk is alive, every write that would grow a file past
// `bytes` fails like ENOSPC (RLIMIT_FSIZE, with SIGXFSZ ignored so the write returns an error instead of
// killing the test). The previous limit and signal disposition come back when it goes out of scope.
#include <signal.h>
#include <sys/resource.h>

#include <cstddef>

namespace attnscope::testing_support {

class FullDisk {
 public:
  explicit FullDisk(std::size_t bytes) {
    getrlimit(RLIMIT_FSIZE, &old_limit_);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGXFSZ, &ignore, &old_action_);
    struct rlimit small = old_limit_;
    small.rlim_cur = bytes;
    active_ = setrlimit(RLIMIT_FSIZE, &small) == 0;
  }
  ~FullDisk() {
    setrlimit(RLIMIT_FSIZE, &old_limit_);
    sigaction(SIGXFSZ, &old_action_, nullptr);
  }
  FullDisk(const FullDisk&) = delete;
  FullDisk& operator=(const FullDisk&) = delete;
  bool active() const { return active_; }  // false if the limit could not be set

 private:
  struct rlimit old_limit_ {};
  struct sigaction old_action_ {};
  bool active_ = false;
};

}  // namespace attnscope::testing_support
