// libFuzzer target: the result loader (documents and JSON-lines streams) and the worker-protocol
// reader, the two places where text from outside (a downloaded file, a worker on another machine)
// enters AttnScope. Any input must end in a value or a FormatError — never a crash, a hang, a
// sanitizer report or another exception type. Seeds: every real result file under docs/results.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "attnscope/protocol.hpp"
#include "attnscope/results.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const attnscope::ResultDocument doc = attnscope::parse_results(text, "fuzz");
    // Whatever loads must also save and load back (the app's "Save as" of an opened file).
    const std::string again = attnscope::to_json(doc).dump();
    attnscope::parse_results(again, "fuzz-roundtrip");
    for (const auto& r : doc.records) (void)(r.problem.flops() + double(r.problem.bytes_moved()));
  } catch (const attnscope::FormatError&) {
  }
  // The whole input as the app reads the worker's `backends` and `devices` answers.
  try {
    (void)attnscope::parse_eligibility_report(text);
  } catch (const attnscope::FormatError&) {
  }
  try {
    (void)attnscope::parse_device_report(text);
  } catch (const attnscope::FormatError&) {
  }
  // Each line as the app's run controller reads it.
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    try {
      attnscope::parse_worker_line(std::string_view(text).substr(begin, end - begin));
    } catch (const attnscope::FormatError&) {
    }
    begin = end + 1;
  }
  return 0;
}
