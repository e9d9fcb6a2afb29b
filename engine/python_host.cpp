// CPython loaded with dlopen from the interpreter the user chose; see python_host.hpp and
// docs/python-backends.md. Only stable-ABI functions are used, so one build serves Python 3.10–3.13.
#include "attnscope/python_host.hpp"

#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <vector>

#ifndef ATTNSCOPE_BRIDGE_DIR
#define ATTNSCOPE_BRIDGE_DIR ""
#endif
#ifndef ATTNSCOPE_BRIDGE_INSTALL_DIR
#define ATTNSCOPE_BRIDGE_INSTALL_DIR "share/attnscope/python_libs"
#endif

namespace attnscope::python {
namespace {

// The CPython functions we call, resolved from the loaded libpython.
struct Api {
  using Obj = void*;
  void (*Py_InitializeEx)(int) = nullptr;
  void* (*PyEval_SaveThread)() = nullptr;
  int (*PyGILState_Ensure)() = nullptr;
  void (*PyGILState_Release)(int) = nullptr;
  int (*PyRun_SimpleStringFlags)(const char*, void*) = nullptr;
  Obj (*PyImport_ImportModule)(const char*) = nullptr;
  Obj (*PyObject_GetAttrString)(Obj, const char*) = nullptr;
  Obj (*PyObject_CallFunction)(Obj, const char*, ...) = nullptr;
  const char* (*PyUnicode_AsUTF8AndSize)(Obj, long*) = nullptr;
  void (*Py_DecRef)(Obj) = nullptr;
  void (*PyErr_Fetch)(Obj*, Obj*, Obj*) = nullptr;
  Obj (*PyObject_Str)(Obj) = nullptr;
  void (*PyErr_Clear)() = nullptr;
};

struct State {
  std::mutex mu;
  InterpreterChoice choice;
  bool choice_fixed = false;
  bool started = false;
  HostStatus status;
  Api api;
  void* handle_fn = nullptr;  // attnscope_libs.bridge.handle
};

State& state() {
  static State s;
  return s;
}

InterpreterChoice default_choice() {
  if (const char* env = std::getenv("ATTNSCOPE_PYTHON"); env && *env) return {env, "ATTNSCOPE_PYTHON"};
  return {"python3", "default (python3 on PATH)"};
}

std::string find_on_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    const std::size_t end = dirs.find(':', start);
    const std::string dir = dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return "";
}

// Runs argv, returns (exit status, stdout+stderr).
std::pair<int, std::string> capture(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe(fds) != 0) return {-1, "pipe failed"};
  const pid_t pid = fork();
  if (pid < 0) return {-1, "fork failed"};
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, std::size_t(n));
  close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

// What the chosen interpreter says about itself: version, sys.path (a venv's site-packages included),
// its home, and where its shared libpython may be.
constexpr const char* kQueryScript = R"PY(
import json, os, platform, sys, sysconfig
v = sysconfig.get_config_var
ver = "%d.%d" % sys.version_info[:2]
names = [n for n in (v("INSTSONAME"), v("LDLIBRARY")) if n and ".so" in n]
names += ["libpython%s.so.1.0" % ver, "libpython%s.so" % ver]
dirs = [d for d in (v("LIBDIR"), v("LIBPL"), os.path.join(sys.base_prefix, "lib")) if d]
if v("MULTIARCH"):
    dirs.append(os.path.join("/usr/lib", v("MULTIARCH")))
cands = [os.path.join(d, n) for d in dirs for n in names] + names
print(json.dumps({"executable": sys.executable, "version": platform.python_version(), "minor": ver,
                  "path": [p for p in sys.path if p], "home": sys.base_prefix, "libraries": cands}))
)PY";

template <class F>
bool resolve(void* lib, const char* name, F& fn, std::string& missing) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  if (!fn) missing += (missing.empty() ? "" : ", ") + std::string(name);
  return fn != nullptr;
}

std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

// Text of the pending Python exception (clears it).
std::string fetch_error(const Api& api) {
  void *type = nullptr, *value = nullptr, *tb = nullptr;
  api.PyErr_Fetch(&type, &value, &tb);
  std::string text = "unknown Python error";
  if (value) {
    if (void* s = api.PyObject_Str(value)) {
      long n = 0;
      if (const char* c = api.PyUnicode_AsUTF8AndSize(s, &n)) text.assign(c, std::size_t(n));
      api.Py_DecRef(s);
    }
  }
  for (void* o : {type, value, tb})
    if (o) api.Py_DecRef(o);
  api.PyErr_Clear();
  return text;
}

void fail(HostStatus& st, std::string problem, std::string hint) {
  st.ready = false;
  st.problem = std::move(problem);
  st.hint = std::move(hint);
}

void start(State& s) {
  HostStatus& st = s.status;
  st.choice = s.choice_fixed ? s.choice : default_choice();
  if (st.choice.requested == "none") {
    fail(st, "Python is turned off (" + st.choice.chosen_by + "=none)",
         "unset ATTNSCOPE_PYTHON or name an interpreter that has the library installed");
    return;
  }
  st.executable = find_on_path(st.choice.requested);
  if (st.executable.empty()) {
    fail(st, "no Python interpreter '" + st.choice.requested + "' (" + st.choice.chosen_by + ")",
         "install Python 3 (Debian: apt install python3 libpython3.11) or set ATTNSCOPE_PYTHON to the "
         "python3 of the environment that has PyTorch (e.g. a virtualenv's bin/python3)");
    return;
  }
  const auto [rc, out] = capture({st.executable, "-c", kQueryScript});
  nlohmann::json info;
  try {
    // The answer is the last line (warnings printed at start-up may come before it).
    const std::size_t last = out.rfind("\n{");
    info = nlohmann::json::parse(last == std::string::npos ? out : out.substr(last + 1));
  } catch (const std::exception&) {
    fail(st, st.executable + " did not answer the interpreter query (exit " + std::to_string(rc) + "): " +
                 out.substr(0, 300),
         "set ATTNSCOPE_PYTHON to a working python3 (3.10 or newer)");
    return;
  }
  st.version = info.value("version", "");
  st.executable = info.value("executable", st.executable);  // a pyenv shim or a symlink: the real one
  std::string errors;
  void* lib = nullptr;
  for (const auto& candidate : info["libraries"]) {
    const std::string path = candidate.get<std::string>();
    lib = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (lib) {
      st.library = path;
      break;
    }
    if (path.find('/') == std::string::npos) errors += std::string(dlerror()) + "; ";
  }
  const std::string minor = info.value("minor", "3");
  if (!lib) {
    fail(st, "Python " + st.version + " at " + st.executable + " has no shared libpython" + minor +
                 " to embed (" + errors + "looked beside the interpreter and in its LIBDIR)",
         "install the shared runtime (Debian/Ubuntu: apt install libpython" + minor +
             "; pyenv: PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install " + st.version +
             "), or set ATTNSCOPE_PYTHON to an interpreter that has one");
    return;
  }
  Api& a = s.api;
  std::string missing;
  resolve(lib, "Py_InitializeEx", a.Py_InitializeEx, missing);
  resolve(lib, "PyEval_SaveThread", a.PyEval_SaveThread, missing);
  resolve(lib, "PyGILState_Ensure", a.PyGILState_Ensure, missing);
  resolve(lib, "PyGILState_Release", a.PyGILState_Release, missing);
  resolve(lib, "PyRun_SimpleStringFlags", a.PyRun_SimpleStringFlags, missing);
  resolve(lib, "PyImport_ImportModule", a.PyImport_ImportModule, missing);
  resolve(lib, "PyObject_GetAttrString", a.PyObject_GetAttrString, missing);
  resolve(lib, "PyObject_CallFunction", a.PyObject_CallFunction, missing);
  resolve(lib, "PyUnicode_AsUTF8AndSize", a.PyUnicode_AsUTF8AndSize, missing);
  resolve(lib, "Py_DecRef", a.Py_DecRef, missing);
  resolve(lib, "PyErr_Fetch", a.PyErr_Fetch, missing);
  resolve(lib, "PyObject_Str", a.PyObject_Str, missing);
  resolve(lib, "PyErr_Clear", a.PyErr_Clear, missing);
  if (!missing.empty()) {
    fail(st, st.library + " lacks " + missing, "use Python 3.10 or newer");
    return;
  }
  // The embedded interpreter finds its standard library under the chosen interpreter's home.
  const std::string home = info.value("home", "");
  if (!home.empty()) setenv("PYTHONHOME", home.c_str(), 0);
  a.Py_InitializeEx(0);  // 0: no signal handlers, Ctrl-C stays the CLI's
  nlohmann::json path = info["path"];
  path.push_back(bridge_directory());
  // No .pyc files next to the bridge's sources (the source tree may be read-only or shared).
  const std::string setup = "import sys, json, faulthandler\nsys.dont_write_bytecode = True\n"
                            "sys.path[:] = json.loads(bytes.fromhex('" + hex(path.dump()) + "').decode())\n"
                            "sys.executable = bytes.fromhex('" + hex(info.value("executable", st.executable)) +
                            "').decode()\nsys.argv = [sys.executable]\nfaulthandler.enable()\n";
  const int gil = a.PyGILState_Ensure();
  if (a.PyRun_SimpleStringFlags(setup.c_str(), nullptr) != 0) {
    a.PyGILState_Release(gil);
    fail(st, "the embedded Python " + st.version + " could not be set up (see stderr)", "");
    return;
  }
  void* module = a.PyImport_ImportModule("attnscope_libs.bridge");
  if (!module) {
    const std::string err = fetch_error(a);
    a.PyGILState_Release(gil);
    fail(st, "AttnScope's bridge module did not import from " + bridge_directory() + ": " + err,
         "set ATTNSCOPE_BRIDGE_DIR to the source tree's kernels/python_libs");
    return;
  }
  s.handle_fn = a.PyObject_GetAttrString(module, "handle");
  a.Py_DecRef(module);
  a.PyGILState_Release(gil);
  a.PyEval_SaveThread();  // every call takes the GIL with PyGILState_Ensure, from whichever thread
  if (!s.handle_fn) {
    fail(st, "the bridge module has no handle()", "");
    return;
  }
  st.ready = true;
}

}  // namespace

void select_interpreter(std::string path_or_name, std::string chosen_by) {
  State& s = state();
  std::lock_guard lock(s.mu);
  s.choice = {std::move(path_or_name), std::move(chosen_by)};
  s.choice_fixed = true;
}

InterpreterChoice interpreter_choice() {
  State& s = state();
  std::lock_guard lock(s.mu);
  return s.choice_fixed ? s.choice : default_choice();
}

std::string bridge_directory() {
  if (const char* env = std::getenv("ATTNSCOPE_BRIDGE_DIR"); env && *env) return env;
  // An installed program (PREFIX/bin) uses the bridge installed with it (PREFIX/share/attnscope/python_libs);
  // one in a build tree has none there and uses the source tree's.
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path installed = exe.parent_path().parent_path() / ATTNSCOPE_BRIDGE_INSTALL_DIR;
    if (std::filesystem::exists(installed / "attnscope_libs" / "bridge.py", ec)) return installed.string();
  }
  return ATTNSCOPE_BRIDGE_DIR;
}

const HostStatus& host_status() {
  State& s = state();
  std::lock_guard lock(s.mu);
  if (!s.started) {
    s.started = true;
    start(s);
  }
  return s.status;
}

nlohmann::json call(const std::string& op, nlohmann::json args) {
  const HostStatus& st = host_status();
  if (!st.ready) throw PythonError(st.problem);
  State& s = state();
  const Api& a = s.api;
  args["op"] = op;
  const std::string request = args.dump();
  std::string answer;
  bool raised = false;
  {
    const int gil = a.PyGILState_Ensure();
    void* result = a.PyObject_CallFunction(s.handle_fn, "s", request.c_str());
    if (!result) {
      answer = fetch_error(a);
      raised = true;
    } else {
      long n = 0;
      const char* c = a.PyUnicode_AsUTF8AndSize(result, &n);
      if (c) answer.assign(c, std::size_t(n));
      else answer = fetch_error(a), raised = true;
      a.Py_DecRef(result);
    }
    a.PyGILState_Release(gil);
  }
  if (raised) throw PythonError("the Python bridge raised: " + answer);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(answer);
  } catch (const std::exception& e) {
    throw PythonError("the Python bridge answered " + op + " with malformed JSON: " + e.what());
  }
  if (!j.value("ok", false)) throw PythonError(j.value("error", std::string("unknown error in ") + op));
  return j.contains("result") ? j["result"] : nlohmann::json();
}

}  // namespace attnscope::python
