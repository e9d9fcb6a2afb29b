#pragma once
// Exact attention in double precision on the host: the correctness reference for every backend
// (the cpu-reference backend, the CPU executor's check, and the GPU tests use it).
#include <cstdint>
#include <vector>

#include "attnscope/problem.hpp"
#include "attnscope/random_fill.hpp"
#include "attnscope/record.hpp"

namespace attnscope {

struct HeadIndex {
  int64_t batch = 0, head = 0;  // head is a query head
};

// At most max_heads (batch, query head) pairs spread over the problem (always the first and last,
// and — with GQA — heads of different KV groups). All pairs when max_heads <= 0 or enough.
std::vector<HeadIndex> reference_heads(const Problem& p, int64_t max_heads);

// One (batch, query head): o is [q_len, head_dim], lse is [q_len] (natural log; -inf for a row that
// sees no key, whose output is zero). q/k/v are whole tensors as float, layout [B, H, N, D].
void reference_attention_head(const Problem& p, const float* q, const float* k, const float* v,
                              HeadIndex at, double* o, double* lse);

// Seeded input as float values already rounded to p.dtype (the same values the GPU generates).
std::vector<float> make_input(const Problem& p, TensorId t, uint64_t seed);

struct ErrorStats {
  double rel_l2 = 0;   // ||x - ref||₂ / ||ref||₂
  double max_abs = 0;
  int64_t non_finite = 0;  // NaN/Inf in x (an unwritten, poisoned element shows up here)
  int64_t compared = 0;
};
// Accumulates error over several heads.
class ErrorAccumulator {
 public:
  void add(double x, double ref);
  ErrorStats result() const;

 private:
  double diff2_ = 0, ref2_ = 0, max_abs_ = 0;
  int64_t non_finite_ = 0, n_ = 0;
};

// Relative L2 error a backend of this dtype must stay under to pass (fp32 without TF32, fp16, bf16).
double accuracy_tolerance(DType t);

// The verdict of a comparison with the reference, the same for every executor: rel_l2 and max_abs of
// e, the dtype's tolerance, and pass only when every element is finite and rel_l2 is finite and
// within the tolerance. `reference` and the head counts say what was compared.
Accuracy accuracy_from(const ErrorStats& e, DType t, std::string reference, int64_t heads_checked,
                       int64_t heads_total);

}  // namespace attnscope
