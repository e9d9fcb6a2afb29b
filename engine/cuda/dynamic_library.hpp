#pragma once
// Opens an optional shared library at run time (dlopen) instead of linking it, so the binaries start on
// machines without it and can say why it is missing. The one place AttnScope opens libraries: the NVIDIA
// driver, CUPTI, cuBLAS, cuDNN, NVML. Plain C++ (no CUDA headers): kernels and the engine both use it.
#include <string>
#include <vector>

namespace attnscope::dynlib {

class Library {
 public:
  enum class Scope { Local, Global };  // RTLD_LOCAL / RTLD_GLOBAL

  // Tries each candidate in order — a soname ("libcupti.so.13", searched the loader's way) or an absolute
  // path — and keeps the first that opens. Never throws: loaded() says whether one did, why_not() why not.
  // A library once opened stays open for the process (CUPTI callbacks and cuBLAS handles outlive any owner).
  static Library open(const std::vector<std::string>& candidates, Scope scope = Scope::Local);

  bool loaded() const { return handle_ != nullptr; }
  void* handle() const { return handle_; }
  const std::string& path() const { return path_; }        // the file the loader opened, when loaded
  const std::string& why_not() const { return why_not_; }  // each candidate's dlerror, "; "-joined

  // The address of `symbol`, or null when not loaded or absent.
  void* symbol(const char* name) const;
  template <class Fn>
  Fn* function(const char* name) const {
    return reinterpret_cast<Fn*>(symbol(name));
  }

 private:
  void* handle_ = nullptr;
  std::string path_;
  std::string why_not_;
};

// {soname, dir/soname for each dir}: the loader's search first, then where the build found the library
// (a toolkit under /usr/local/cuda is often not on the loader's path).
std::vector<std::string> soname_then_dirs(const std::string& soname, const std::vector<std::string>& dirs);

}  // namespace attnscope::dynlib
