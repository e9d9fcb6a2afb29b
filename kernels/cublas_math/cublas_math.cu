// cublas-math: PyTorch's math path in three launches — a strided-batched cuBLAS GEMM for S = scale·Q·Kᵀ
// (fp32 output), our softmax kernel writing P in the problem's dtype over S in place, and a second
// strided-batched GEMM for O = P·V. GQA: the query heads of one KV group are contiguous in [B,Hq,N,D],
// so each group is one GEMM of (group·Nq)×Nk against its shared K/V head — no copies of K or V.
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <mutex>
#include <type_traits>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "common/launch_check.hpp"
#include "common/warp_softmax.cuh"
#include "cublas_math/cublas_math.hpp"
#include "cuda/cuda_libraries.hpp"

namespace attnscope::cublas_math {
namespace {

constexpr int kThreads = 256;
constexpr int kPerThread = 8;  // values a thread holds per chunk of the in-place rewrite

// cuBLAS is opened at run time (cuda_libraries), not linked, so a machine without it still starts and
// greys only this backend (its rule reads the same library). The _v2 names are the symbols cublas_v2.h's
// macros stand for; the GEMM's type is spelled out because cublas_api.h overloads it for C++.
struct CublasApi {
  decltype(&::cublasCreate_v2) create = nullptr;
  decltype(&::cublasSetMathMode) set_math_mode = nullptr;
  decltype(&::cublasSetStream_v2) set_stream = nullptr;
  decltype(&::cublasSetWorkspace_v2) set_workspace = nullptr;
  decltype(&::cublasGetStatusString) status_string = nullptr;
  cublasStatus_t (*gemm_strided_batched_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
                                            const void*, const void*, cudaDataType, int, long long int, const void*,
                                            cudaDataType, int, long long int, const void*, void*, cudaDataType, int,
                                            long long int, int, cublasComputeType_t, cublasGemmAlgo_t) = nullptr;
};

const CublasApi& api() {
  static const CublasApi a = [] {
    const auto& lib = cuda_libraries::cublas();
    if (!lib.loaded()) throw std::runtime_error("cublas-math: cuBLAS not found: " + lib.why_not());
    CublasApi t;
    auto bind = [&](auto& fn, const char* name) {
      fn = lib.function<std::remove_pointer_t<std::remove_reference_t<decltype(fn)>>>(name);
      if (!fn) throw std::runtime_error("cublas-math: " + lib.path() + " has no " + name);
    };
    bind(t.create, "cublasCreate_v2");
    bind(t.set_math_mode, "cublasSetMathMode");
    bind(t.set_stream, "cublasSetStream_v2");
    bind(t.set_workspace, "cublasSetWorkspace_v2");
    bind(t.status_string, "cublasGetStatusString");
    bind(t.gemm_strided_batched_ex, "cublasGemmStridedBatchedEx");
    return t;
  }();
  return a;
}

void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cublas-math: ") + what + ": " + api().status_string(s));
}

// One handle per (thread, device), created on first use (during warm-up) and kept for the process.
cublasHandle_t handle_for_current_device() {
  thread_local std::unordered_map<int, cublasHandle_t> handles;
  int dev = 0;
  cudaGetDevice(&dev);
  auto it = handles.find(dev);
  if (it != handles.end()) return it->second;
  cublasHandle_t h = nullptr;
  check(api().create(&h), "cublasCreate");
  // Default math: with CUBLAS_COMPUTE_32F, fp32 GEMMs stay true fp32 (no TF32).
  check(api().set_math_mode(h, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
  handles.emplace(dev, h);
  return h;
}

// One warp per row (the standard grid has B·H·N ≥ 500k rows, so warps, not blocks, fill the GPU).
// Reads the fp32 row, writes P (type T) into the first sizeof(T)·Nk bytes of the same row. For 16-bit
// T a write can land on fp32 values not yet read, so the row is rewritten chunk by chunk with a warp
// barrier between reading a chunk and writing it: the bytes written for chunk c lie inside chunks ≤ c,
// all read by then.
template <class T>
__global__ void __launch_bounds__(kThreads) softmax_kernel(float* __restrict__ s, int64_t rows, int64_t nq,
                                                          int64_t nk, bool causal, int64_t shift) {
  const int lane = threadIdx.x % 32;
  attn::for_each_warp_row<kThreads>(rows, nq, nk, causal, shift, [&](int64_t r, int64_t visible) {
    float* row = s + r * nk;
    T* out = reinterpret_cast<T*>(row);
    const attn::RowStats st = attn::warp_row_stats(row, visible, lane);
    constexpr int64_t chunk = 32 * kPerThread;
    for (int64_t c0 = 0; c0 < nk; c0 += chunk) {
      float vals[kPerThread];
#pragma unroll
      for (int u = 0; u < kPerThread; ++u) {
        const int64_t j = c0 + u * 32 + lane;
        vals[u] = j < visible ? __expf(row[j] - st.max) * st.inv_sum : 0.f;
      }
      __syncwarp();
#pragma unroll
      for (int u = 0; u < kPerThread; ++u) {
        const int64_t j = c0 + u * 32 + lane;
        if (j < nk) out[j] = attn::from_float<T>(vals[u]);
      }
      __syncwarp();
    }
  });
}

cudaDataType_t cuda_type(DType t) {
  switch (t) {
    case DType::F32: return CUDA_R_32F;
    case DType::F16: return CUDA_R_16F;
    case DType::BF16: return CUDA_R_16BF;
  }
  return CUDA_R_32F;
}

template <class T>
void launch_softmax(const Problem& p, float* scores, cudaStream_t st) {
  const int64_t rows = p.batch * p.q_heads * p.q_len;
  const int64_t blocks = (rows + kThreads / 32 - 1) / (kThreads / 32);
  const unsigned grid = unsigned(blocks < INT32_MAX ? blocks : INT32_MAX);
  softmax_kernel<T><<<grid, kThreads, 0, st>>>(scores, rows, p.q_len, p.kv_len, p.causal, p.kv_len - p.q_len);
  kernels::check_launch("cublas-math: launching softmax");
}

}  // namespace

void launch(const Problem& p, const Tensors& t, float* scores, void* cublas_ws, std::size_t cublas_ws_bytes,
            void* stream) {
  auto st = static_cast<cudaStream_t>(stream);
  cublasHandle_t h = handle_for_current_device();
  check(api().set_stream(h, st), "cublasSetStream");
  // After cublasSetStream: setting a stream resets the workspace to cuBLAS's own pool.
  check(api().set_workspace(h, cublas_ws, cublas_ws_bytes), "cublasSetWorkspace");

  const cudaDataType_t io = cuda_type(p.dtype);
  const int group_rows = int(p.group_size() * p.q_len);  // query rows sharing one K/V head
  const int nk = int(p.kv_len), d = int(p.head_dim);
  const int batches = int(p.batch * p.kv_heads);
  // P's row pitch in elements of its type: it sits in the fp32 score rows.
  const int p_pitch = p.dtype == DType::F32 ? nk : 2 * nk;
  const float alpha = float(p.softmax_scale()), one = 1.f, zero = 0.f;

  // Row-major S (group_rows×Nk) is column-major Sᵀ (Nk×group_rows) = Kᵀ(op T on col-major D×Nk) · Q.
  check(api().gemm_strided_batched_ex(h, CUBLAS_OP_T, CUBLAS_OP_N, nk, group_rows, d, &alpha, t.k, io, d,
                                   int64_t(nk) * d, t.q, io, d, int64_t(group_rows) * d, &zero, scores, CUDA_R_32F,
                                   nk, int64_t(group_rows) * nk, batches, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
        "S = Q·Kᵀ GEMM");
  switch (p.dtype) {
    case DType::F32: launch_softmax<float>(p, scores, st); break;
    case DType::F16: launch_softmax<__half>(p, scores, st); break;
    case DType::BF16: launch_softmax<__nv_bfloat16>(p, scores, st); break;
  }
  // Row-major O (group_rows×D) is column-major Oᵀ (D×group_rows) = Vᵀ (col-major D×Nk) · Pᵀ (Nk×group_rows).
  check(api().gemm_strided_batched_ex(h, CUBLAS_OP_N, CUBLAS_OP_N, d, group_rows, nk, &one, t.v, io, d,
                                   int64_t(nk) * d, scores, io, p_pitch, int64_t(group_rows) * p_pitch, &zero, t.o, io, d, int64_t(group_rows) * d, batches, CUBLAS_COMPUTE_32F,
                                   CUBLAS_GEMM_DEFAULT),
        "O = P·V GEMM");
}

}  // namespace attnscope::cublas_math
