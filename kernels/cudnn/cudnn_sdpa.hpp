#pragma once
// cuDNN's fused attention (SDPA forward) through cudnn-frontend's graph API, behind an interface that
// needs neither cudnn.h nor the frontend's headers: graph/sdpa_graph.cpp implements it, and is built
// only when both were found (kernels/cudnn/CMakeLists.txt). One graph per problem, built once.
#include <cstdint>
#include <string>
#include <vector>

#include "attnscope/backend.hpp"
#include "attnscope/problem.hpp"

namespace attnscope::cudnn_sdpa {

// libcudnn.so.9 as opened at run time (once per process).
struct Library {
  bool loaded = false;
  int64_t version = 0;       // cudnnGetVersion(): 91900 for 9.19.0
  std::string version_text;  // "9.19.0"
  std::string why_not;       // dlopen's words when not loaded
};
const Library& library();
std::string frontend_version();  // "1.32.0", from the headers we compiled against

// cuDNN's verdict on a graph: empty message when supported, otherwise cuDNN's own text.
struct Verdict {
  bool ok = true;
  std::string code;     // cudnn-frontend's error code name: "GRAPH_NOT_SUPPORTED", ...
  std::string message;  // verbatim
};

// The frontend's rules for this problem on a GPU of compute capability `cc` (90 for sm90): cheap, no
// GPU work, so what-if profiles get the same answer as the real device.
Verdict validate(const Problem& p, int cc);

// Every plan cuDNN's heuristics offer for the problem on the current CUDA device that passes
// check_support, in heuristic order; `chosen` is the one a plain run uses (the first that builds).
struct Plans {
  Verdict verdict;                  // not ok: no plan could be built (cuDNN's text)
  std::vector<std::string> names;   // engine tags, e.g. "eng0_k2=..."
  int64_t chosen = -1;              // index into names
  std::vector<int64_t> workspace;   // bytes, per plan
};
// Builds (once per problem, device and lse) and caches. Needs CUDA device `device` (its ordinal;
// -1: the current one). lse: the graph also writes the log-sum-exp (cuDNN's training-mode graph;
// without it, the inference graph).
const Plans& plans(const Problem& p, int device = -1, bool lse = true);
// The plans already built for p with the LSE on any device, without building; null when none.
const Plans* cached_plans(const Problem& p);

// Runs plan `index` (-1: the chosen one) on `stream`; builds that plan first if it has not been.
// `workspace` holds at least plans(p).workspace[index] bytes. t.lse may be null.
void execute(const Problem& p, int64_t index, const Tensors& t, void* workspace, void* stream);

}  // namespace attnscope::cudnn_sdpa
