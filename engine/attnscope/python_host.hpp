#pragma once
// CPython embedded in this process, loaded at run time (docs/python-backends.md): the library backends
// (PyTorch SDPA, xFormers, flash-attn, FlashInfer, our Triton kernel) are Python, and the worker that
// measures ours measures theirs. Nothing here needs Python headers; without an interpreter every call
// answers with the reason.
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace attnscope::python {

// Which interpreter to use and how it was chosen. Precedence: select_interpreter() (the CLI's --python),
// then ATTNSCOPE_PYTHON (a path or a name on PATH; "none" turns Python off), then python3 on PATH.
struct InterpreterChoice {
  std::string requested;  // as given: "/opt/torch/.venv/bin/python3", "python3", "none"
  std::string chosen_by;  // "--python", "ATTNSCOPE_PYTHON", "default (python3 on PATH)"
};
void select_interpreter(std::string path_or_name, std::string chosen_by);  // before the first call
InterpreterChoice interpreter_choice();

struct HostStatus {
  bool ready = false;
  InterpreterChoice choice;
  std::string executable;  // resolved path of the interpreter
  std::string version;     // "3.12.3"
  std::string library;     // the libpython that was loaded
  std::string problem;     // why not ready (a sentence)
  std::string hint;        // what fixes it
};

// A failed call: a Python exception (its text), or a malformed answer.
class PythonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The bridge module's directory: ATTNSCOPE_BRIDGE_DIR, else the installed one beside the program
// (PREFIX/share/attnscope/python_libs), else the source tree's kernels/python_libs (compiled in).
std::string bridge_directory();

// Starts the interpreter on first use (once per process) and imports the bridge.
const HostStatus& host_status();
// attnscope_libs.bridge.handle({"op": op, ...args}) → its "result". Throws PythonError with the Python
// error text, or with host_status().problem when there is no interpreter.
nlohmann::json call(const std::string& op, nlohmann::json args = nlohmann::json::object());

}  // namespace attnscope::python
