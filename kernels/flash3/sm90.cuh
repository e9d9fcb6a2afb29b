#pragma once
// Hopper (sm_90a) primitives flash3 is built from, as thin inline-PTX wrappers (PTX ISA 8.x):
//   - mbarrier: a shared-memory barrier that counts arrivals *and* bytes; the TMA engine "arrives"
//     with the bytes it wrote, so a consumer waiting on the phase knows the tile has landed;
//   - TMA (cp.async.bulk.tensor): one thread asks the copy engine for a whole tile described by a
//     tensor map (made on the host); out-of-range rows are zero-filled on load and dropped on store;
//   - wgmma: a warpgroup (4 warps) multiplies 64×N×16 from shared-memory descriptors, asynchronously;
//   - setmaxnreg: warpgroups hand registers to each other (producers need few, consumers many);
//   - named barriers (bar.sync id, count) to order just a subset of warps.
// Everything here is valid only in an sm_90a device pass; flash3_kernel.cuh compiles its kernel body
// only there.
#include <cstdint>

namespace attnscope::sm90 {

__device__ __forceinline__ uint32_t smem_addr(const void* p) { return uint32_t(__cvta_generic_to_shared(p)); }

// ---- mbarrier ------------------------------------------------------------------------------------
__device__ __forceinline__ void mbar_init(uint32_t bar, uint32_t count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count));
}
// Make the initialised barriers visible to the async proxy (the TMA engine) before first use.
__device__ __forceinline__ void fence_barrier_init() { asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory"); }
// Arrive once and announce `bytes` more to be delivered by TMA in this phase.
__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}
// Arrive `count` times at once (one thread speaking for a whole warpgroup's warps).
__device__ __forceinline__ void mbar_arrive_count(uint32_t bar, uint32_t count) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}
// Block until the phase with this parity has completed. A fresh barrier counts as having completed
// the phase of parity 1, so a producer's first wait on an "empty" barrier passes at once. After 2^30
// failed tries (each try_wait may also suspend the thread for a while: many seconds in all, where a
// whole launch takes milliseconds) it can only be a bug: trap, so that a deadlock becomes a launch
// error the caller reports instead of a GPU that hangs. One asm block: ptxas keeps it lean (the same
// loop written in C++ around a bool try_wait cost the kernel 68 bytes of spills).
__device__ __forceinline__ void mbar_wait(uint32_t bar, uint32_t parity) {
  asm volatile(
      "{\n.reg .pred p;\n.reg .b32 tries;\n"
      "mov.b32 tries, 0;\n"
      "WAIT_%=:\n"
      "mbarrier.try_wait.parity.shared::cta.b64 p, [%0], %1;\n"
      "@p bra DONE_%=;\n"
      "add.u32 tries, tries, 1;\n"
      "setp.lt.u32 p, tries, 1073741824;\n"
      "@p bra WAIT_%=;\n"
      "trap;\n"
      "DONE_%=:\n}\n" ::"r"(bar),
      "r"(parity)
      : "memory");
}

// A flag in global memory between blocks (the tail split's partial results): raised with release semantics after
// the block's stores, awaited with acquire semantics before the reads. The wait traps after 2^30 tries, as mbar_wait.
__device__ __forceinline__ void st_release_gpu(int* flag, int v) {
  asm volatile("st.release.gpu.global.s32 [%0], %1;\n" ::"l"(flag), "r"(v) : "memory");
}
__device__ __forceinline__ void wait_flag_gpu(const int* flag) {
  asm volatile(
      "{\n.reg .pred p;\n.reg .b32 tries, v;\n"
      "mov.b32 tries, 0;\n"
      "WAIT_%=:\n"
      "ld.acquire.gpu.global.s32 v, [%0];\n"
      "setp.ne.s32 p, v, 0;\n"
      "@p bra DONE_%=;\n"
      "add.u32 tries, tries, 1;\n"
      "setp.lt.u32 p, tries, 1073741824;\n"
      "@p bra WAIT_%=;\n"
      "trap;\n"
      "DONE_%=:\n}\n" ::"l"(flag)
      : "memory");
}

// A 32-bit value in shared memory at a 32-bit shared address (the tile index the producer hands over).
__device__ __forceinline__ void st_shared_s32(uint32_t addr, int v) {
  asm volatile("st.shared.s32 [%0], %1;\n" ::"r"(addr), "r"(v) : "memory");
}
__device__ __forceinline__ int ld_shared_s32(uint32_t addr) {
  int v;
  asm volatile("ld.shared.s32 %0, [%1];\n" : "=r"(v) : "r"(addr) : "memory");
  return v;
}
// A float likewise (the ragged tile's partial results, merged between consumer warpgroups).
__device__ __forceinline__ void st_shared_f32(uint32_t addr, float v) {
  asm volatile("st.shared.f32 [%0], %1;\n" ::"r"(addr), "f"(v) : "memory");
}
__device__ __forceinline__ float ld_shared_f32(uint32_t addr) {
  float v;
  asm volatile("ld.shared.f32 %0, [%1];\n" : "=f"(v) : "r"(addr) : "memory");
  return v;
}

// ---- TMA -----------------------------------------------------------------------------------------
__device__ __forceinline__ void prefetch_tensor_map(const void* map) {
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(map) : "memory");
}
// Load the box at (c0, c1, c2) of a 3-D tensor map into shared memory; completes on `bar`.
__device__ __forceinline__ void tma_load_3d(uint32_t dst, const void* map, uint32_t bar, int c0, int c1, int c2) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4, %5}], [%2];\n" ::"r"(dst),
      "l"(map), "r"(bar), "r"(c0), "r"(c1), "r"(c2)
      : "memory");
}
// The same load, multicast: the box lands at the same shared-memory offset in every CTA of the cluster
// named in `cta_mask`, and completes `bytes` on the mbarrier at the same offset in each of them.
__device__ __forceinline__ void tma_load_3d_multicast(uint32_t dst, const void* map, uint32_t bar, uint16_t cta_mask, int c0,
                                                      int c1, int c2) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes.multicast::cluster"
      " [%0], [%1, {%4, %5, %6}], [%2], %3;\n" ::"r"(dst),
      "l"(map), "r"(bar), "h"(cta_mask), "r"(c0), "r"(c1), "r"(c2)
      : "memory");
}
// Store a shared-memory box to (c0, c1, c2); rows outside the tensor are not written.
__device__ __forceinline__ void tma_store_3d(const void* map, uint32_t src, int c0, int c1, int c2) {
  asm volatile("cp.async.bulk.tensor.3d.global.shared::cta.tile.bulk_group [%0, {%2, %3, %4}], [%1];\n" ::"l"(map), "r"(src),
               "r"(c0), "r"(c1), "r"(c2)
               : "memory");
}
__device__ __forceinline__ void tma_store_commit() { asm volatile("cp.async.bulk.commit_group;\n" ::: "memory"); }
// Wait until the stores issued by this thread have finished reading shared memory.
__device__ __forceinline__ void tma_store_wait_read() { asm volatile("cp.async.bulk.wait_group.read 0;\n" ::: "memory"); }
// Ordinary shared-memory stores become visible to the async proxy (TMA, wgmma) only after this.
__device__ __forceinline__ void fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }

// ---- wgmma bookkeeping ---------------------------------------------------------------------------
// Before the first wgmma of a batch: orders earlier register writes of the accumulators/A fragments.
__device__ __forceinline__ void warpgroup_arrive() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void warpgroup_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
// Wait until at most N committed wgmma groups of this warpgroup are still running.
template <int N>
__device__ __forceinline__ void warpgroup_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory"); }
// Tell the compiler the accumulator registers are written behind its back until the wait.
// Registers that an in-flight wgmma reads or writes: this empty asm pins them (the compiler may not
// move their reads before the preceding wait, nor reuse them before it).
template <int N>
__device__ __forceinline__ void fence_regs(float (&r)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" : "+f"(r[i])::"memory");
}
template <int N, int M>
__device__ __forceinline__ void fence_regs(uint32_t (&r)[N][M]) {
#pragma unroll
  for (int i = 0; i < N; ++i)
#pragma unroll
    for (int j = 0; j < M; ++j) asm volatile("" : "+r"(r[i][j])::"memory");
}

// Shared-memory matrix descriptor for a swizzled tile with kRowBytes-long rows (PTX ISA, "Shared Memory
// Matrix Layout" and "Matrix Descriptor Format"): 128 bytes (layout type 1, the layout TMA writes with
// CU_TENSOR_MAP_SWIZZLE_128B: atoms of 8 rows × 128 bytes, cute's Swizzle<3,4,3>) or 64 bytes (layout type 2,
// SWIZZLE_64B: atoms of 8 rows × 64 bytes, Swizzle<2,4,3>).
// K-major operands (rows contiguous along k): sbo = 8 rows × kRowBytes (the next 8 rows), lbo unused; a
// k16 step is +32 bytes within a row. MN-major operands (V: rows = k, contiguous along n): sbo = 8 rows ×
// kRowBytes (the next 8 k-rows), lbo = the next kRowBytes/2-element block of n. Tiles start on the atom's
// repeat (1024 or 512 bytes), so the base offset is 0.
template <int kRowBytes>
__device__ __forceinline__ uint64_t make_desc(uint32_t smem, uint32_t lbo_bytes, uint32_t sbo_bytes) {
  static_assert(kRowBytes == 128 || kRowBytes == 64, "128- or 64-byte swizzle");
  uint64_t d = 0;
  d |= uint64_t((smem & 0x3FFFF) >> 4);
  d |= uint64_t((lbo_bytes >> 4) & 0x3FFF) << 16;
  d |= uint64_t((sbo_bytes >> 4) & 0x3FFF) << 32;
  d |= uint64_t(kRowBytes == 128 ? 1 : 2) << 62;  // swizzle mode: 1 = 128B, 2 = 64B
  return d;
}

// A tile's descriptor, advanced within the tile by adding to its low word: the start-address field holds
// address / 16 in the low 14 bits and shared memory is below 256 KiB, so an in-tile offset never carries into
// the leading-byte-offset field above it. One add per wgmma instead of encoding each address anew: five
// dependent uniform-datapath instructions before every wgmma (call 7: issuing the 19 wgmmas of a d=128 step took
// a fifth of the consumers' stall samples, mostly waiting on those chains). Call 9, d=128 with the adds against
// without: +2 to +3.4 % non-causal; d=64, 96 and 256 within ±1 %.
template <int kRowBytes>
struct TileDesc {
  uint32_t lo, hi;
  __device__ __forceinline__ TileDesc(uint32_t smem, uint32_t lbo_bytes, uint32_t sbo_bytes) {
    const uint64_t d = make_desc<kRowBytes>(smem, lbo_bytes, sbo_bytes);
    // Opaque to the compiler: knowing how lo was made, it re-encodes every lo + offset (mask, merge) instead
    // of one add.
    asm("mov.b32 %0, %1;" : "=r"(lo) : "r"(uint32_t(d)));
    hi = uint32_t(d >> 32);
  }
  __device__ __forceinline__ uint64_t at(uint32_t byte_offset) const {
    return (uint64_t(hi) << 32) | (lo + (byte_offset >> 4));
  }
};

// The 16-byte chunk of its row where chunk `chunk` of row `row` of a swizzled tile is stored (address bits
// 4.. XOR'ed with bits 7.., as TMA and wgmma see it): 128-byte rows XOR the chunk (0..7) with row % 8,
// 64-byte rows XOR it (0..3) with (row / 2) % 4.
template <int kRowBytes>
__device__ __forceinline__ int swizzled_chunk(int chunk, int row) {
  if constexpr (kRowBytes == 128)
    return chunk ^ (row % 8);
  else
    return chunk ^ ((row / 2) % 4);
}

// ---- thread block clusters ------------------------------------------------------------------------
__device__ __forceinline__ uint32_t cluster_ctarank() {
  uint32_t r;
  asm volatile("mov.u32 %0, %%cluster_ctarank;\n" : "=r"(r));
  return r;
}
// Every thread of every CTA in the cluster: barrier inits before the first remote use, and no CTA
// leaves while another may still arrive on its barriers.
__device__ __forceinline__ void cluster_sync() {
  asm volatile("barrier.cluster.arrive.release;\nbarrier.cluster.wait.acquire;\n" ::: "memory");
}
// Arrive on the mbarrier at the same offset as `bar` in CTA `cta` of the cluster (this one included).
__device__ __forceinline__ void mbar_arrive_cluster(uint32_t bar, uint32_t cta) {
  asm volatile(
      "{\n.reg .b32 remote;\n"
      "mapa.shared::cluster.u32 remote, %0, %1;\n"
      "mbarrier.arrive.release.cluster.shared::cluster.b64 _, [remote];\n}\n" ::"r"(bar),
      "r"(cta)
      : "memory");
}

// ---- registers and warp subsets ------------------------------------------------------------------
template <int kRegs>
__device__ __forceinline__ void setmaxnreg_dec() { asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(kRegs)); }
template <int kRegs>
__device__ __forceinline__ void setmaxnreg_inc() { asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(kRegs)); }
__device__ __forceinline__ void named_barrier_sync(int id, int threads) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}
__device__ __forceinline__ void named_barrier_arrive(int id, int threads) {
  asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

}  // namespace attnscope::sm90
