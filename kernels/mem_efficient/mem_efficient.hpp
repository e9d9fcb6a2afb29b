#pragma once
// The mem-efficient kernels' host entry point and their compile-time geometry. CUDA-free on purpose:
// mem_efficient_backend.cpp includes it in every build, because the eligibility rules (head-dim
// buckets, shared memory per block) are computed from the same numbers the kernels are built with.
#include <cstdint>
#include <vector>

namespace attnscope::mem_efficient {

// Largest head dim and the alignment every head dim must have: one 16-byte load moves 8 elements of
// a 16-bit tile row (or, in fp32, two 16-byte loads move 8 floats), so rows of a multiple of 8
// elements keep every load whole and aligned.
inline constexpr int64_t kMaxHeadDim = 256;
inline constexpr int64_t kHeadDimMultiple = 8;

// Head dims are served by three compiled buckets; a head dim below its bucket is zero-padded inside
// shared memory (exact: zero columns add nothing to q·k and produce columns that are never stored),
// and the tensor-core path also skips the padded k-steps and output tiles at run time.
constexpr int head_dim_bucket(int64_t head_dim) { return head_dim <= 64 ? 64 : head_dim <= 128 ? 128 : 256; }

// Tile geometry shared by the kernels and the rules.
inline constexpr int kRowsPerBlock = 64;  // queries per thread block (both paths)
inline constexpr int kKeysPerTile = 64;   // keys per shared-memory K/V tile (both paths)

// fp32 SIMT path: Q tile, one K/V tile (K and V take turns in the same buffer) and the probability
// tile P, rows padded by 4 floats (16 bytes) so that float4 reads of consecutive rows hit different
// banks. 64 → 51 KiB, 128 → 83 KiB, 256 → 147 KiB.
constexpr int f32_shared_bytes(int bucket) {
  return (kRowsPerBlock * (bucket + 4) + kKeysPerTile * (bucket + 4) + kKeysPerTile * (kRowsPerBlock + 4)) * 4;
}
// Tensor-core path (fp16/bf16): Q, K and V tiles, 16-bit, XOR-swizzled, no padding.
// 64 → 24 KiB, 128 → 48 KiB, 256 → 96 KiB.
constexpr int tc_shared_bytes(int bucket) { return (kRowsPerBlock + 2 * kKeysPerTile) * bucket * 2; }
// fp32 on tensor cores (3×TF32, mem_efficient_3xtf32.cu): Q, K and V tiles kept in fp32 (split into
// TF32 parts in registers), rows padded by 4 floats. 64 → 51 KiB, 128 → 99 KiB.
constexpr int tf32x3_shared_bytes(int bucket) { return (kRowsPerBlock + 2 * kKeysPerTile) * (bucket + 4) * 4; }

// Which kernel multiplies float32. The 3×TF32 kernel needs mma.sync with TF32 inputs and cp.async
// (compute capability ≥ 8.0) and keeps a warp's 16 × head_dim output in fp32 registers, which fits up
// to head_dim 128; everywhere else float32 runs the CUDA-core (FMA) kernel.
inline constexpr int kMinComputeCapability3xTf32 = 80;
inline constexpr int64_t kMaxHeadDim3xTf32 = 128;
constexpr bool f32_runs_3xtf32(int compute_capability, int64_t head_dim) {
  return compute_capability >= kMinComputeCapability3xTf32 && head_dim <= kMaxHeadDim3xTf32;
}

// Compute capabilities from which each kernel family runs: both copy tiles without cp.async and the
// fp16 tensor-core path multiplies with ldmatrix + mma.sync m16n8k8 on Turing (sm75); bfloat16 MMA
// (m16n8k16.bf16) exists only from sm80.
inline constexpr int kMinComputeCapability = 75;
inline constexpr int kMinComputeCapabilityBf16 = 80;

enum class Element { F32, F16, BF16 };

// Which compiled variant runs. Auto: the sm80 one (cp.async; mma.sync m16n8k16) on compute
// capability ≥ 8.0, the Turing one (plain 16-byte loads + st.shared; mma.sync m16n8k8, fp16 only)
// below. Sm75 forces the Turing variant on any GPU — it is compiled for every architecture in the
// build, so tests check it on the GPU they have.
enum class Variant { Auto, Sm80, Sm75 };

// How float32 is multiplied. Auto: 3×TF32 on tensor cores where f32_runs_3xtf32 holds, exact fp32 FMA
// on the CUDA cores elsewhere (mem-efficient). Fma: always the CUDA-core kernel (mem-efficient-fma).
enum class F32Math { Auto, Fma };

struct Params {
  const void* q = nullptr;  // [B, Hq, Nq, D]
  const void* k = nullptr;  // [B, Hkv, Nk, D]
  const void* v = nullptr;  // [B, Hkv, Nk, D]
  void* o = nullptr;        // [B, Hq, Nq, D]
  float* lse = nullptr;     // [B, Hq, Nq] natural log, -inf for a row that sees no key; may be null
  int64_t batch = 0, q_heads = 0, kv_heads = 0, q_len = 0, kv_len = 0;
  int head_dim = 0;
  Element element = Element::F16;
  bool causal = false;  // bottom-right aligned: query i sees key j iff j <= i + kv_len - q_len
  float scale = 0;      // softmax scale
  Variant variant = Variant::Auto;
  F32Math f32_math = F32Math::Auto;
};

// Launches the forward kernel on `stream` (a cudaStream_t). Throws std::runtime_error when the
// problem is outside what the kernels were built for or the launch fails. Defined only in CUDA builds
// (the .cu files); the backend calls it only under ATTNSCOPE_HAVE_CUDA.
void forward(const Params& p, void* stream);

namespace detail {  // the kernel families behind forward()
void forward_f32(const Params& p, void* stream);      // float32, CUDA cores (FMA)
void forward_3xtf32(const Params& p, void* stream);   // float32, tensor cores (3×TF32)
void forward_tensor_core(const Params& p, void* stream);  // float16/bfloat16
// Whether p runs the Turing variant: forced by p.variant, or (Auto) the current device is below sm80.
bool use_turing_variant(const Params& p);
}  // namespace detail

}  // namespace attnscope::mem_efficient
