// Runtime → compile time for flash3: the tensor maps (made here, on the host, with the driver's
// cuTensorMapEncodeTiled reached through the runtime so the library gains no link dependency) and the
// one place where a Choice (flash3_choice.hpp: which kernel, decided without CUDA) picks its instantiation.
#include <cuda.h>
#include <cudaTypedefs.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "flash3/flash3_choice.hpp"
#include "flash3/flash3_traits.cuh"

namespace attnscope::flash3 {

// Defined in flash3_kernel.cuh, instantiated in flash3_hdim<D>.cu (the default tiles with ping-pong)
// and flash3_hdim128_ladder.cu (the ladder's lower rungs, bfloat16 d=128).
template <class Element, int kHeadDim, int kBlockN, int kStages, int kConsumers, Schedule kSchedule, bool kPersistent, bool kCausal,
          int kCluster = 1, int kExp2OnFma = 0>
void run(const TensorMaps& maps, const Params& p, const Choice& c, void* workspace, cudaStream_t stream);

// Defined in flash3_hdim128_ladder.cu: row i of kAlternativeTiles → its bfloat16 ping-pong launcher.
extern const std::array<RunFn, kAlternativeTiles.size()> kAlternativeRuns;

namespace {

PFN_cuTensorMapEncodeTiled_v12000 encode_fn() {
  static PFN_cuTensorMapEncodeTiled_v12000 fn = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    void* f = nullptr;
    cudaDriverEntryPointQueryResult found{};
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &f, 12000, cudaEnableDefault, &found) == cudaSuccess &&
        found == cudaDriverEntryPointSuccess)
      fn = reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(f);
  });
  if (!fn) throw std::runtime_error("flash3: the driver has no cuTensorMapEncodeTiled (needs CUDA 12 or newer)");
  return fn;
}

// [heads, rows, head_dim] row-major, viewed as a 3-D tensor so a box never crosses from one head into
// the next: rows past the end are zero-filled on load and dropped on store (columns past head_dim too, when
// a smaller head dim runs on a compiled one). Boxes are one swizzle row wide — row_bytes = 128 (64 columns,
// SWIZZLE_128B) or 64 (32 columns, SWIZZLE_64B), the compiled head dim's swizzle_row_bytes — × box_rows rows.
CUtensorMap make_map(const void* data, bool bf16, int64_t heads, int64_t rows, int head_dim, int box_rows, int row_bytes) {
  CUtensorMap m{};
  const cuuint64_t dims[3] = {cuuint64_t(head_dim), cuuint64_t(rows), cuuint64_t(heads)};
  const cuuint64_t strides[2] = {cuuint64_t(head_dim) * 2, cuuint64_t(rows) * head_dim * 2};  // bytes, dims 1..2
  const cuuint32_t box[3] = {cuuint32_t(row_bytes / 2), cuuint32_t(box_rows), 1};
  const cuuint32_t elem_strides[3] = {1, 1, 1};
  const CUresult r = encode_fn()(&m, bf16 ? CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 : CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 3,
                                 const_cast<void*>(data), dims, strides, box, elem_strides, CU_TENSOR_MAP_INTERLEAVE_NONE,
                                 row_bytes == 128 ? CU_TENSOR_MAP_SWIZZLE_128B : CU_TENSOR_MAP_SWIZZLE_64B,
                                 CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                                 CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (r != CUDA_SUCCESS)
    throw std::runtime_error("flash3: cuTensorMapEncodeTiled failed (error " + std::to_string(int(r)) +
                             "); tensors must be 16-byte aligned");
  return m;
}

// The kernel of kLengthTiles row `index` (I walks the rows at compile time).
template <class Element, size_t I = 0>
void run_length_tile(const Choice& c, const TensorMaps& maps, const Params& p, void* ws, cudaStream_t s) {
  if constexpr (I < kLengthTiles.size()) {
    constexpr TileShape kTile = kLengthTiles[I].tile;
    if (c.index != int(I)) return run_length_tile<Element, I + 1>(c, maps, p, ws, s);
    run<Element, kTile.head_dim, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kPingPong, kTile.persistent,
        kTile.causal>(maps, p, c, ws, s);
  } else {
    throw std::logic_error("flash3: a length tile that is not a row of kLengthTiles");
  }
}

// The table row's kernel for (Element, kHeadDim, kCausal) as `c` chose it: the ladder's schedule or 2^x split (bfloat16
// d=128, flash3_hdim128_ladder.cu), clusters of two (d=128 non-causal), or ping-pong on either grid.
template <class Element, int kHeadDim, bool kCausal>
void run_row(const Choice& c, const TensorMaps& maps, const Params& p, void* ws, cudaStream_t s) {
  constexpr TileShape kTile = *tile_shape(kHeadDim, kCausal);
  if constexpr (std::is_same_v<Element, __nv_bfloat16> && kHeadDim == 128) {
    if (c.exp2_on_fma == 1)
      return run<Element, 128, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kPingPong, kTile.persistent, kCausal, 1, 1>(maps, p, c, ws, s);
    if (c.exp2_on_fma == 2)
      return run<Element, 128, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kPingPong, kTile.persistent, kCausal, 1, 2>(maps, p, c, ws, s);
    switch (c.schedule) {
      case Schedule::kUnspecialized:
        return run<Element, 128, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kUnspecialized, false, kCausal>(maps, p, c, ws, s);
      case Schedule::kSerial:
        return run<Element, 128, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kSerial, false, kCausal>(maps, p, c, ws, s);
      case Schedule::kOverlap:
        return run<Element, 128, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kOverlap, false, kCausal>(maps, p, c, ws, s);
      case Schedule::kPingPong: break;
    }
  } else if (c.exp2_on_fma != 0 || c.schedule != Schedule::kPingPong) {
    throw std::logic_error("flash3: a lower rung or 2^x split chosen where none is compiled");
  }
  if constexpr (kHeadDim == 128 && !kCausal) {
    if (c.tile.cluster == 2)
      return run<Element, kHeadDim, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kPingPong, false, kCausal, 2>(maps, p, c, ws, s);
  } else if (c.tile.cluster != 1) {
    throw std::logic_error("flash3: clusters chosen where none are compiled");
  }
  if (c.tile.persistent)
    run<Element, kHeadDim, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kPingPong, true, kCausal>(maps, p, c, ws, s);
  else
    run<Element, kHeadDim, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kPingPong, false, kCausal>(maps, p, c, ws, s);
}

}  // namespace

int multiprocessors() {
  static std::mutex mutex;
  static std::map<int, int> by_device;
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) throw std::runtime_error("flash3: cannot query the current device");
  std::lock_guard<std::mutex> lock(mutex);
  auto it = by_device.find(dev);
  if (it == by_device.end()) {
    int sms = 0;
    if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess || sms <= 0)
      throw std::runtime_error("flash3: cannot query the number of multiprocessors");
    it = by_device.emplace(dev, sms).first;
  }
  return it->second;
}

int* tile_counter_for_launch() {
  // 256 counters per device, zeroed once; launch i takes counter i % 256. Each kernel leaves its
  // counter at zero, so a counter is only ever shared by launches 256 apart, long finished by then.
  constexpr int kPool = 256;
  static std::mutex mutex;
  static std::map<int, int*> pools;
  static std::atomic<unsigned> next{0};
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) throw std::runtime_error("flash3: cannot query the current device");
  int* pool = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = pools.find(dev);
    if (it == pools.end()) {
      if (cudaMalloc(&pool, kPool * sizeof(int)) != cudaSuccess || cudaMemset(pool, 0, kPool * sizeof(int)) != cudaSuccess)
        throw std::runtime_error("flash3: cannot allocate the tile counters of the persistent grid");
      it = pools.emplace(dev, pool).first;
    }
    pool = it->second;
  }
  return pool + next.fetch_add(1) % kPool;
}

int causal_section_heads(const Params& p, bool heads_order) {
  if (heads_order) return 0;
  const int64_t kv_head_bytes = int64_t(p.kv_len) * p.head_dim * 2 * 2;  // K and V of one KV head
  constexpr int64_t kL2Share = int64_t(32) << 20;
  int64_t kv_heads = 1;
  while (kv_heads * 2 * kv_head_bytes <= kL2Share) kv_heads *= 2;
  return int(std::min<int64_t>(kv_heads * (p.q_heads / p.kv_heads), p.batch * p.q_heads));
}

void forward(const Params& p, const Choice& c, void* ws, void* stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  int dev = 0, major = 0, minor = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) != cudaSuccess)
    throw std::runtime_error("flash3: cannot query the current device");
  if (major != 9 || minor != 0)
    throw std::runtime_error("flash3: needs compute capability 9.0 (sm_90a); this GPU is " + std::to_string(major) + "." +
                             std::to_string(minor));
  if (p.batch * p.q_heads * p.q_len == 0) return;
  TensorMaps maps;
  const int row_bytes = swizzle_row_bytes(c.tile.head_dim);  // the compiled kernel's layout, not p.head_dim's
  maps.q = make_map(p.q, p.bf16, p.batch * p.q_heads, p.q_len, p.head_dim, c.tile.block_m(), row_bytes);
  maps.k = make_map(p.k, p.bf16, p.batch * p.kv_heads, p.kv_len, p.head_dim, c.tile.block_n, row_bytes);
  maps.v = make_map(p.v, p.bf16, p.batch * p.kv_heads, p.kv_len, p.head_dim, c.tile.block_n, row_bytes);
  maps.o = make_map(p.o, p.bf16, p.batch * p.q_heads, p.q_len, p.head_dim, 64, row_bytes);
  if (c.source == Choice::Source::kAlternative) return kAlternativeRuns.at(size_t(c.index))(maps, p, c, ws, s);
  if (c.source == Choice::Source::kLength)
    return p.bf16 ? run_length_tile<__nv_bfloat16>(c, maps, p, ws, s) : run_length_tile<__half>(c, maps, p, ws, s);
  static_assert([] {
    for (const TileShape& t : kTileShapes)
      if (t.head_dim != 64 && t.head_dim != 96 && t.head_dim != 128 && t.head_dim != 256) return false;
    return true;
  }(), "every compiled head dim has its case below (and its flash3_hdim<D>.cu)");
  auto go = [&](auto element, auto causal) {
    using E = decltype(element);
    switch (compiled_head_dim(p.head_dim)) {
      case 64: return run_row<E, 64, decltype(causal)::value>(c, maps, p, ws, s);
      case 96: return run_row<E, 96, decltype(causal)::value>(c, maps, p, ws, s);
      case 128: return run_row<E, 128, decltype(causal)::value>(c, maps, p, ws, s);
      case 256: return run_row<E, 256, decltype(causal)::value>(c, maps, p, ws, s);
    }
  };
  auto with_mask = [&](auto element) {
    if (p.causal) return go(element, std::true_type{});
    go(element, std::false_type{});
  };
  if (p.bf16)
    with_mask(__nv_bfloat16{});
  else
    with_mask(__half{});
}

}  // namespace attnscope::flash3
