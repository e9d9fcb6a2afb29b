#include "cuda/dynamic_library.hpp"

#include <dlfcn.h>
#include <link.h>

namespace attnscope::dynlib {

Library Library::open(const std::vector<std::string>& candidates, Scope scope) {
  Library lib;
  const int flags = RTLD_NOW | (scope == Scope::Global ? RTLD_GLOBAL : RTLD_LOCAL);
  for (const auto& name : candidates) {
    dlerror();
    if (void* h = dlopen(name.c_str(), flags)) {
      lib.handle_ = h;
      link_map* map = nullptr;
      lib.path_ = dlinfo(h, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && *map->l_name ? map->l_name : name;
      lib.why_not_.clear();
      return lib;
    }
    const char* err = dlerror();
    lib.why_not_ += (lib.why_not_.empty() ? "" : "; ") + (err ? std::string(err) : "dlopen(" + name + ") failed");
  }
  if (candidates.empty()) lib.why_not_ = "no library name given";
  return lib;
}

void* Library::symbol(const char* name) const { return handle_ ? dlsym(handle_, name) : nullptr; }

std::vector<std::string> soname_then_dirs(const std::string& soname, const std::vector<std::string>& dirs) {
  std::vector<std::string> out{soname};
  for (const auto& d : dirs)
    if (!d.empty()) out.push_back(d + "/" + soname);
  return out;
}

}  // namespace attnscope::dynlib
