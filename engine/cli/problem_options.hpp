#pragma once
// The problem options shared by `backends` and `run` (with sweep syntax). Apart from the device options
// (options.hpp), which resolve devices: this part is CUDA-free, and the app links it to read a result
// file's recorded command line back (recorded_problem.hpp).
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "attnscope/sweep.hpp"
#include "recorded_problem.hpp"

namespace attnscope::cli {

// Throws InvalidInput for one field (CLI exit code 2).
[[noreturn]] inline void field_error(std::string field, std::string message) {
  throw InvalidInput({FieldError{std::move(field), std::move(message)}});
}

struct ProblemOptions {
  // Problem's defaults (problem.hpp): the one set of problem defaults, shared with the GUI.
  int64_t batch = Problem{}.batch, heads = Problem{}.q_heads, kv_heads = 0;
  std::string seq, q_len, kv_len, head_dim = std::to_string(Problem{}.head_dim),
                                  dtype = std::string(to_string(Problem{}.dtype));
  bool causal = false;
  double scale = 0;
  int64_t tokens = 0, hidden = 0;
  CLI::Option *kv_heads_opt = nullptr, *scale_opt = nullptr, *tokens_opt = nullptr, *hidden_opt = nullptr,
              *batch_opt = nullptr, *heads_opt = nullptr;

  void add_to(CLI::App& app);
  SweepSpec sweep() const;           // throws InvalidInput naming the field
  std::string describe() const;      // the options as typed, for the result file
  std::string swept_options() const; // "--q-len, --head-dim": the typed options giving several values
  TypedProblem typed() const;        // the options as typed, defaults filled in
};

}  // namespace attnscope::cli
