// Runtime → compile time for flash3: the tensor maps (made here, on the host, with the driver's
// cuTensorMapEncodeTiled reached through the runtime so the library gains no link dependency) and the
// one place where (dtype, head dim, schedule) picks a kernel instantiation.
#include <cuda.h>
#include <cudaTypedefs.h>
#include <cuda_runtime.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "flash3/flash3.hpp"
#include "flash3/flash3_traits.cuh"

namespace attnscope::flash3 {

// Defined in flash3_kernel.cuh, instantiated in flash3_hdim<D>.cu (the default tiles with ping-pong)
// and flash3_hdim128_ladder.cu (the ladder's lower rungs, bfloat16 d=128).
template <class Element, int kHeadDim, int kBlockN, int kStages, int kConsumers, Schedule kSchedule, bool kPersistent, bool kCausal,
          int kCluster = 1, int kExp2OnFma = 0>
void run(const TensorMaps& maps, const Params& p, cudaStream_t stream);

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

// The schedule: ping-pong unless ATTNSCOPE_FLASH3_SCHEDULE names a lower rung of the ladder
// (unspecialized, serial, overlap) — compiled for bfloat16, head dim 128 only, the cell where FA3's ablation is
// measured (kernels/flash3/NOTES.md), on the one-block-per-tile grid ("+ persistent" is the last rung).
Schedule schedule_from_env() {
  const char* s = std::getenv("ATTNSCOPE_FLASH3_SCHEDULE");
  if (s == nullptr || *s == '\0' || std::string(s) == "pingpong") return Schedule::kPingPong;
  if (std::string(s) == "overlap") return Schedule::kOverlap;
  if (std::string(s) == "serial") return Schedule::kSerial;
  if (std::string(s) == "unspecialized") return Schedule::kUnspecialized;
  throw std::runtime_error(std::string("flash3: ATTNSCOPE_FLASH3_SCHEDULE=") + s +
                           " is not unspecialized, serial, overlap or pingpong");
}

// The tile: the table's row for (head dim, mask), unless ATTNSCOPE_FLASH3_TILE=<block_m>x<block_n>x<stages>[p]
// names a row of kAlternativeTiles for this problem (bfloat16, ping-pong, the row's own grid). Anything else named there is
// refused, not silently ignored. Returns the alternative's index, or -1 for the default row.
int alternative_from_env(const Params& p, TileShape& tile) {
  tile = *tile_shape(p.head_dim, p.causal);
  const char* s = std::getenv("ATTNSCOPE_FLASH3_TILE");
  if (s == nullptr || *s == '\0' || tile.name() == s) return -1;
  std::string compiled;
  for (size_t i = 0; i < kAlternativeTiles.size(); ++i) {
    const TileShape& t = kAlternativeTiles[i];
    if (t.head_dim != tile.head_dim || t.causal != p.causal) continue;
    compiled += " " + t.name();
    if (p.bf16 && t.name() == s) return tile = t, int(i);
  }
  throw std::runtime_error(std::string("flash3: ATTNSCOPE_FLASH3_TILE=") + s + " is not compiled for this problem (default " +
                           tile.name() + "; bfloat16 alternatives:" + (compiled.empty() ? " none" : compiled) + ")");
}

// The grid: the table row's, unless ATTNSCOPE_FLASH3_GRID=persistent|blocks asks for the other one (both
// are compiled for every row of kTileShapes, so each can be measured against the other).
bool persistent_from_env(bool table_default) {
  const char* s = std::getenv("ATTNSCOPE_FLASH3_GRID");
  if (s == nullptr || *s == '\0') return table_default;
  if (std::string(s) == "persistent") return true;
  if (std::string(s) == "blocks") return false;
  throw std::runtime_error(std::string("flash3: ATTNSCOPE_FLASH3_GRID=") + s + " is not persistent or blocks");
}

// Clusters: the table row's, unless ATTNSCOPE_FLASH3_CLUSTER=1|2 asks for the other (compiled for d=128
// non-causal, both dtypes: flash3_hdim128.cu). Two means one block per tile, in pairs sharing K and V.
int cluster_from_env(const TileShape& row) {
  const char* s = std::getenv("ATTNSCOPE_FLASH3_CLUSTER");
  if (s == nullptr || *s == '\0') return row.cluster;
  if (std::string(s) == "1") return 1;
  if (std::string(s) == "2" && row.head_dim == 128 && row.can_cluster(2)) return 2;
  throw std::runtime_error(std::string("flash3: ATTNSCOPE_FLASH3_CLUSTER=") + s +
                           " is not 1, or 2 (compiled for head dim 128 without a causal mask only)");
}

// How many of every four 8-key column blocks take their 2^x on the FMA pipes: 0 (ATTNSCOPE_FLASH3_EXP2=mufu,
// the default), or 1 or 2 (fma1, fma2; compiled for bfloat16 d=128's default rows with ping-pong only, where the
// softmax's MUFU time is measured against the tensor cores' — flash3_hdim128_ladder.cu). Measured on an H100: 5–13 %
// slower (MUFU is not what limits the kernel; NOTES.md, call 5), so it stays a switch for that lesson.
int exp2_on_fma_from_env(const Params& p) {
  const char* s = std::getenv("ATTNSCOPE_FLASH3_EXP2");
  if (s == nullptr || *s == '\0' || std::string(s) == "mufu") return 0;
  const std::string v = s;
  if ((v == "fma1" || v == "fma2") && p.bf16 && compiled_head_dim(p.head_dim) == 128) return v == "fma1" ? 1 : 2;
  throw std::runtime_error("flash3: ATTNSCOPE_FLASH3_EXP2=" + v +
                           " is not mufu, or fma1 / fma2 (compiled for bfloat16 with head dim 128 only)");
}

// The length tile (kLengthTiles) for this problem, or null: ATTNSCOPE_FLASH3_LENGTH=on (the default: for kv_len in
// the row's range), always (at every length: the measurement against the table's row) or off.
const TileShape* length_tile_from_env(const Params& p) {
  const char* s = std::getenv("ATTNSCOPE_FLASH3_LENGTH");
  const std::string mode = s == nullptr || *s == '\0' ? "on" : s;
  if (mode != "on" && mode != "off" && mode != "always")
    throw std::runtime_error("flash3: ATTNSCOPE_FLASH3_LENGTH=" + mode + " is not on, off or always");
  for (const LengthTile& l : kLengthTiles)
    if (l.tile.head_dim == compiled_head_dim(p.head_dim) && l.tile.causal == p.causal &&
        (mode == "always" || (mode == "on" && p.kv_len >= l.min_keys && p.kv_len < l.max_keys)))
      return &l.tile;
  return nullptr;
}

// The kernel of the kLengthTiles row that length_tile_from_env returned (I walks the rows at compile time).
template <class Element, size_t I = 0>
void run_length_tile(const TileShape* tile, const TensorMaps& maps, const Params& p, cudaStream_t s) {
  if constexpr (I < kLengthTiles.size()) {
    constexpr TileShape kTile = kLengthTiles[I].tile;
    if (tile != &kLengthTiles[I].tile) return run_length_tile<Element, I + 1>(tile, maps, p, s);
    run<Element, kTile.head_dim, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kPingPong, kTile.persistent,
        kTile.causal>(maps, p, s);
  } else {
    throw std::logic_error("flash3: a length tile that is not a row of kLengthTiles");
  }
}

template <class Element, int kHeadDim, bool kCausal>
void run_with_choice(const TensorMaps& maps, const Params& p, cudaStream_t s) {
  constexpr TileShape kTile = *tile_shape(kHeadDim, kCausal);
  if constexpr (std::is_same_v<Element, __nv_bfloat16> && kHeadDim == 128) {
    const int on_fma = exp2_on_fma_from_env(p);
    if (on_fma > 0 && schedule_from_env() != Schedule::kPingPong)
      throw std::runtime_error("flash3: ATTNSCOPE_FLASH3_EXP2 is compiled with the ping-pong schedule only");
    if (on_fma == 1)
      return run<Element, 128, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kPingPong, kTile.persistent, kCausal, 1, 1>(maps, p, s);
    if (on_fma == 2)
      return run<Element, 128, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kPingPong, kTile.persistent, kCausal, 1, 2>(maps, p, s);
    switch (schedule_from_env()) {
      case Schedule::kUnspecialized:
        return run<Element, 128, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kUnspecialized, false, kCausal>(maps, p, s);
      case Schedule::kSerial:
        return run<Element, 128, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kSerial, false, kCausal>(maps, p, s);
      case Schedule::kOverlap:
        return run<Element, 128, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kOverlap, false, kCausal>(maps, p, s);
      case Schedule::kPingPong: break;
    }
  }
  if constexpr (kHeadDim == 128 && !kCausal) {
    if (cluster_from_env(kTile) == 2)
      return run<Element, kHeadDim, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kPingPong, false, kCausal, 2>(maps, p, s);
  } else {
    cluster_from_env(*tile_shape(kHeadDim, kCausal));  // refuses a request for clusters here
  }
  if (persistent_from_env(kTile.persistent))
    run<Element, kHeadDim, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kPingPong, true, kCausal>(maps, p, s);
  else
    run<Element, kHeadDim, kTile.block_n, kTile.stages, kTile.consumers, Schedule::kPingPong, false, kCausal>(maps, p, s);
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

int causal_section_heads(const Params& p) {
  const char* s = std::getenv("ATTNSCOPE_FLASH3_ORDER");
  if (s != nullptr && *s != '\0' && std::string(s) != "lpt") {
    if (std::string(s) == "heads") return 0;
    throw std::runtime_error(std::string("flash3: ATTNSCOPE_FLASH3_ORDER=") + s + " is not lpt or heads");
  }
  const int64_t kv_head_bytes = int64_t(p.kv_len) * p.head_dim * 2 * 2;  // K and V of one KV head
  constexpr int64_t kL2Share = int64_t(32) << 20;
  int64_t kv_heads = 1;
  while (kv_heads * 2 * kv_head_bytes <= kL2Share) kv_heads *= 2;
  return int(std::min<int64_t>(kv_heads * (p.q_heads / p.kv_heads), p.batch * p.q_heads));
}

bool skip_idle_keys_from_env() {
  const char* s = std::getenv("ATTNSCOPE_FLASH3_SKIP");
  if (s == nullptr || *s == '\0' || std::string(s) == "on") return true;
  if (std::string(s) == "off") return false;
  throw std::runtime_error(std::string("flash3: ATTNSCOPE_FLASH3_SKIP=") + s + " is not on or off");
}

void forward(const Params& p, void* stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  if (!tile_shape(p.head_dim, p.causal))
    throw std::runtime_error("flash3: no kernel for head_dim " + std::to_string(p.head_dim) + " (multiples of 8 up to " +
                             std::to_string(kMaxHeadDim) + " run)");
  int dev = 0, major = 0, minor = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) != cudaSuccess)
    throw std::runtime_error("flash3: cannot query the current device");
  if (major != 9 || minor != 0)
    throw std::runtime_error("flash3: needs compute capability 9.0 (sm_90a); this GPU is " + std::to_string(major) + "." +
                             std::to_string(minor));
  if (p.batch * p.q_heads * p.q_len == 0) return;
  TileShape tile{};
  const int alternative = alternative_from_env(p, tile);
  if (alternative >= 0 && (schedule_from_env() != Schedule::kPingPong || exp2_on_fma_from_env(p) != 0))
    throw std::runtime_error("flash3: ATTNSCOPE_FLASH3_TILE's alternatives are compiled with the ping-pong schedule and MUFU's 2^x only");
  // A named alternative or a lower rung of the ladder is taken as asked; otherwise the problem's length may
  // move it to another tile.
  const TileShape* length_tile =
      alternative < 0 && schedule_from_env() == Schedule::kPingPong && exp2_on_fma_from_env(p) == 0 ? length_tile_from_env(p) : nullptr;
  if (length_tile != nullptr) tile = *length_tile;
  TensorMaps maps;
  const int row_bytes = swizzle_row_bytes(tile.head_dim);  // the compiled kernel's layout, not p.head_dim's
  maps.q = make_map(p.q, p.bf16, p.batch * p.q_heads, p.q_len, p.head_dim, tile.block_m(), row_bytes);
  maps.k = make_map(p.k, p.bf16, p.batch * p.kv_heads, p.kv_len, p.head_dim, tile.block_n, row_bytes);
  maps.v = make_map(p.v, p.bf16, p.batch * p.kv_heads, p.kv_len, p.head_dim, tile.block_n, row_bytes);
  maps.o = make_map(p.o, p.bf16, p.batch * p.q_heads, p.q_len, p.head_dim, 64, row_bytes);
  if (alternative >= 0) return kAlternativeRuns[size_t(alternative)](maps, p, s);
  if (length_tile != nullptr)
    return p.bf16 ? run_length_tile<__nv_bfloat16>(length_tile, maps, p, s) : run_length_tile<__half>(length_tile, maps, p, s);
  static_assert([] {
    for (const TileShape& t : kTileShapes)
      if (t.head_dim != 64 && t.head_dim != 96 && t.head_dim != 128 && t.head_dim != 256) return false;
    return true;
  }(), "every compiled head dim has its case below (and its flash3_hdim<D>.cu)");
  auto go = [&](auto element, auto causal) {
    using E = decltype(element);
    switch (compiled_head_dim(p.head_dim)) {
      case 64: return run_with_choice<E, 64, decltype(causal)::value>(maps, p, s);
      case 96: return run_with_choice<E, 96, decltype(causal)::value>(maps, p, s);
      case 128: return run_with_choice<E, 128, decltype(causal)::value>(maps, p, s);
      case 256: return run_with_choice<E, 256, decltype(causal)::value>(maps, p, s);
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
