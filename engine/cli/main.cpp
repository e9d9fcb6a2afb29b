// attnscope-cli: devices, backends and runs from a terminal, and the worker process behind the GUI.
#include <iostream>

#include "attnscope/licence.hpp"
#include "attnscope/problem.hpp"
#include "attnscope/python_host.hpp"
#include "attnscope/results.hpp"
#include "commands.hpp"
#include "options.hpp"

int main(int argc, char** argv) {
  using namespace attnscope::cli;
  std::vector<std::string> args(argv, argv + argc);
  CLI::App app{"AttnScope: which attention backends can run this problem on this device, why the others "
               "cannot, and what each one costs in time and memory."};
  app.set_version_flag("--version", "attnscope-cli " + std::string(ATTNSCOPE_VERSION) + "\n" + attnscope::kLicenceNotice);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok, 1 runtime failure, 2 bad usage or input.");
  std::string python;
  app.add_option("--python", python,
                 "Python interpreter for the library backends (PyTorch, xFormers, ...): a path or a name on PATH; "
                 "'none' turns them off. Default: $ATTNSCOPE_PYTHON, else python3 on PATH")
      ->type_name("PYTHON");
  app.fallthrough();  // --python may also follow the subcommand
  Command devices = add_devices_command(app);
  Command backends = add_backends_command(app);
  Command run = add_run_command(app, args);
  Command bandwidth = add_bandwidth_command(app);
  Command remove_run = add_remove_run_command(app);

  reject_empty_values(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help / the parse error
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (!python.empty()) attnscope::python::select_interpreter(python, "--python");
  try {
    if (app.got_subcommand("devices")) return devices();
    if (app.got_subcommand("backends")) return backends();
    if (app.got_subcommand("run")) return run();
    if (app.got_subcommand("bandwidth")) return bandwidth();
    if (app.got_subcommand("remove-run")) return remove_run();
    return kExitUsage;
  } catch (const attnscope::InvalidInput& e) {
    for (const auto& fe : e.errors())
      std::cerr << "attnscope-cli: error: " << describe_field_error(fe) << '\n';
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "attnscope-cli: error: " << e.what() << '\n';
    return kExitFailure;
  }
}
