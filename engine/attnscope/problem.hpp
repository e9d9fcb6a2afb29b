#pragma once
// One attention problem: O = softmax(scale · Q Kᵀ [+ causal mask]) V.
// Layout of every tensor is contiguous [batch, heads, length, head_dim] (PyTorch SDPA's layout).
// Causal masks are bottom-right aligned (FlashAttention ≥ 2.1): query i sees key j iff
// j <= i + (kv_len - q_len). A query row that sees no key yields zeros and lse = -inf.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/dtype.hpp"

namespace attnscope {

struct Problem {
  int64_t batch = 1;
  int64_t q_heads = 16;
  int64_t kv_heads = 16;      // must divide q_heads (GQA / MQA)
  int64_t q_len = 1024;
  int64_t kv_len = 1024;
  int64_t head_dim = 64;
  DType dtype = DType::F16;
  bool causal = false;
  std::optional<double> scale;  // default 1/sqrt(head_dim)

  double softmax_scale() const;
  int64_t group_size() const { return q_heads / kv_heads; }  // query heads per KV head

  uint64_t q_elements() const;   // B·Hq·Nq·D
  uint64_t kv_elements() const;  // B·Hkv·Nk·D (one of K or V)
  uint64_t o_elements() const;   // == q_elements()
  uint64_t input_bytes() const;  // Q + K + V
  uint64_t output_bytes() const; // O in dtype
  uint64_t lse_bytes() const;    // B·Hq·Nq·4
  // Q, K and V read once and O written once: the least memory traffic any kernel has. Decoding is
  // bound by it (K and V dominate), so GB/s = bytes_moved / latency is its figure of merit.
  uint64_t bytes_moved() const;

  // Number of (query, key) pairs that are not masked, summed over one head.
  uint64_t unmasked_pairs() const;
  // 4·B·Hq·D·unmasked_pairs: the two GEMMs QKᵀ and PV (FlashAttention's benchmark convention;
  // causal counts only the unmasked half exactly, which is ≈ 0.5·N² for square problems).
  double flops() const;
  // The two formulas above in words, written into every result file beside the numbers they make.
  static const char* flops_formula();
  static const char* bytes_formula();

  std::string describe() const;  // "B=2 Hq=16 Hkv=16 Nq=8192 Nk=8192 d=128 bfloat16 causal"
  bool operator==(const Problem&) const = default;
};

// A field that failed validation, named as on the command line ("head_dim", "kv_heads", ...), with a
// message that states the value seen and the allowed range.
struct FieldError {
  std::string field;
  std::string message;
};

// Limits used by validation (also shown in the GUI).
struct ProblemLimits {
  static constexpr int64_t max_batch = 1 << 20;
  static constexpr int64_t max_heads = 1 << 12;
  static constexpr int64_t max_len = int64_t(1) << 24;   // 16M tokens
  static constexpr int64_t max_head_dim = 1024;
};

std::vector<FieldError> validate(const Problem& p);
// Throws InvalidInput (below) listing every error when the problem is invalid.
void require_valid(const Problem& p);

// Bad user input: every field error, in the order found. what() joins them with "; ".
class InvalidInput : public std::exception {
 public:
  explicit InvalidInput(std::vector<FieldError> errors);
  const char* what() const noexcept override { return text_.c_str(); }
  const std::vector<FieldError>& errors() const { return errors_; }

 private:
  std::vector<FieldError> errors_;
  std::string text_;
};

}  // namespace attnscope
