#pragma once
// The problem a recorded command line asked for — a result file's settings.argv (`attnscope-cli run …`)
// — read back by the parser that read it then (ProblemOptions, options.hpp), as it was typed: a sweep stays
// "512:16384:x2". The app sets its problem form from it when it opens a file.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attnscope::cli {

struct TypedProblem {
  int64_t batch = 0, heads = 0, kv_heads = 0;
  std::string q_len;   // --seq or --q-len
  std::string kv_len;  // empty: each point's query length
  std::string head_dim, dtype;
  bool causal = false;
  std::optional<double> scale;
  std::optional<int64_t> tokens, hidden;  // batch = tokens / q_len; heads = hidden / head_dim
};

// nullopt when argv holds no `run` or `backends` command, or its problem options do not parse or validate.
// Options that are not the problem's (--device, --backends, --min-time, …) are passed over.
std::optional<TypedProblem> recorded_problem(const std::vector<std::string>& argv);

}  // namespace attnscope::cli
