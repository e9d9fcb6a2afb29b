// `attnscope-cli remove-run FILE`: removes what `run --json FILE` leaves on the host it ran on — the result
// file, its journal (FILE.journal.jsonl) and a temporary file a killed writer left beside them. The app
// calls it through the remote-host command when a run there ends (completed, cancelled, failed or after
// a dropped connection was resumed), so nothing of the run stays in that host's /tmp. It removes only
// files that read as an AttnScope result or journal (and the writers' own temporary names), nothing else.
#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

#include "attnscope/results.hpp"
#include "commands.hpp"
#include "journal.hpp"

namespace attnscope::cli {
namespace fs = std::filesystem;

namespace {

// write_file_atomically's temporary file for `path`: ".NAME.XXXXXX" in the same folder (file_output.cpp).
bool is_temporary_of(const fs::path& candidate, const fs::path& path) {
  const std::string prefix = "." + path.filename().string() + ".";
  const std::string name = candidate.filename().string();
  return name.size() == prefix.size() + 6 && name.rfind(prefix, 0) == 0;
}

}  // namespace

Command add_remove_run_command(CLI::App& app) {
  auto* sub = app.add_subcommand("remove-run", "Remove a run's result file and its journal (the app cleans up a remote host with it)");
  sub->group("");  // internal: the app's, not in --help
  auto file = std::make_shared<std::string>();
  sub->add_option("FILE", *file, "The run's --json file")->required();
  return [file]() -> int {
    const fs::path path(*file);
    const std::string journal = journal_path_for(*file, "");
    std::vector<std::string> ours;
    for (const std::string& f : {*file, journal}) {
      std::error_code ec;
      if (f.empty() || !fs::is_regular_file(f, ec)) continue;
      try {
        load_results(f);  // an AttnScope result or journal, or this command leaves both alone
      } catch (const std::exception& e) {
        std::cerr << "attnscope-cli: error: " << f << " is not an AttnScope result file or journal; nothing removed ("
                  << e.what() << ")\n";
        return kExitUsage;
      }
      ours.push_back(f);
    }
    int removed = 0;
    for (const std::string& f : ours) {
      std::error_code ec;
      if (!fs::remove(f, ec) && ec) {
        std::cerr << "attnscope-cli: error: cannot remove " << f << ": " << ec.message() << '\n';
        return kExitFailure;
      }
      ++removed;
    }
    std::error_code ec;
    const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
    for (const auto& entry : fs::directory_iterator(folder, ec))
      if (entry.is_regular_file(ec) && (is_temporary_of(entry.path(), path) || is_temporary_of(entry.path(), journal)))
        removed += fs::remove(entry.path(), ec) ? 1 : 0;
    std::cerr << "removed " << removed << " file(s) of the run " << *file << '\n';
    return kExitOk;
  };
}

}  // namespace attnscope::cli
