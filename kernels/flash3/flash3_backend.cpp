// flash3: our FlashAttention-3 style forward kernel on Hopper's own instructions (TMA, mbarriers,
// wgmma, setmaxnreg; sm_90a). Rules, teaching text and the launch; the kernel is in flash3_kernel.cuh,
// its tile shapes in flash3.hpp, what was tried and measured in NOTES.md.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "attnscope/backend.hpp"
#include "attnscope/build_info.hpp"
#include "attnscope/rules.hpp"
#include "flash2/flash2_params.hpp"
#include "flash3/flash3_choice.hpp"

namespace attnscope {
namespace {

// wgmma and setmaxnreg exist only in the sm_90a ("arch-specific") image, which runs on compute
// capability 9.0 and nothing else: not on Ampere/Ada (no such instructions), nor on Blackwell.
constexpr int kHopper = 90;
// Hopper gives a block up to 227 KiB of shared memory; every tile shape must fit (no runtime rule).
static_assert([] {
  for (const flash3::TileShape& t : flash3::kTileShapes)
    if (t.kernel_shared_memory_bytes() > 227 * 1024) return false;
  return true;
}());

// "64, 96, 128 and 256": the head dims with their own kernels (kTileShapes), for the rules and the teaching text.
std::string compiled_head_dims(const char* last = " and ") {
  std::string text;
  std::vector<int> dims;
  for (const flash3::TileShape& t : flash3::kTileShapes)
    if (!t.causal) dims.push_back(t.head_dim);
  for (size_t i = 0; i < dims.size(); ++i)
    text += (i == 0 ? "" : i + 1 == dims.size() ? last : ", ") + std::to_string(dims[i]);
  return text;
}

// The shared memory a block of the default kernels takes, smallest to largest ("170–226 KiB"): the table's rows and the
// length tiles, from the same arithmetic the kernels use.
std::string shared_memory_range() {
  int least = INT32_MAX, most = 0;
  auto take = [&](const flash3::TileShape& t) {
    least = std::min(least, t.kernel_shared_memory_bytes());
    most = std::max(most, t.kernel_shared_memory_bytes());
  };
  for (const flash3::TileShape& t : flash3::kTileShapes) take(t);
  for (const flash3::LengthTile& l : flash3::kLengthTiles) take(l.tile);
  return std::to_string(least / 1024) + "–" + std::to_string((most + 1023) / 1024) + " KiB";
}

RuleResult hopper_rule(const DeviceInfo& d) {
  RuleResult r;
  r.rule = "compute_capability";
  r.kind = RuleKind::Environment;
  r.field = "device";
  r.observed = d.sm_name();
  r.required = "sm90 (exactly)";
  r.met = d.compute_capability() == kHopper;
  r.reason = "device is " + d.sm_name() + " (" + d.name + "); flash3 needs sm90 exactly (H100/H200): its kernel is built "
             "for sm_90a only, because wgmma (warpgroup matrix multiply from shared memory) and setmaxnreg exist only "
             "in that image — older GPUs lack them and newer ones (sm100, sm120) cannot run an sm_90a image";
  r.hint = d.compute_capability() >= 80
               ? "use flash2 on this GPU (the same algorithm on mma.sync, sm80 and newer)"
               : "use mem-efficient on this GPU (tiled attention with a Turing path)";
  return r;
}

flash3::Shape shape_of(const Problem& p) {
  return {p.head_dim, p.causal, p.q_len, p.kv_len, p.dtype == DType::BF16};
}

// The named variant's overrides for p, or null where it is not compiled for p.
std::optional<flash3::Overrides> variant_for(const std::string& name, const Problem& p) {
  for (flash3::Variant& v : flash3::variants(shape_of(p)))
    if (v.name == name) return std::move(v.overrides);
  return std::nullopt;
}

class Flash3Backend final : public CudaBackend {
 public:
  // variant: empty = the tables' choice under the ATTNSCOPE_FLASH3_* switches; otherwise one of
  // flash3::variants() by name, whatever the switches say, as its own series flash3[<name>].
  explicit Flash3Backend(std::string variant = {}) : variant_(std::move(variant)), info_(make_info(variant_)) {}

  const BackendInfo& info() const override { return info_; }

  // The backend's words, shared by its variants (make_info).
  static BackendInfo base_info() {
    return BackendInfo{
        "flash3",
        "FlashAttention-3 style (TMA + wgmma, ours)",
        "flash",
        Target::Cuda,
        "FlashAttention-3's forward structure (Shah et al. 2024) built on Hopper's own instructions. A block "
        "owns 128 query rows of one (batch, head) — 192 for head dims 64 and 96 — and has one warpgroup "
        "of 128 threads per 64 rows plus one more, with different jobs (warp specialization). The producer warpgroup gives most of its registers to the others "
        "(setmaxnreg) and one of its threads drives the TMA copy engine: one instruction fetches a whole Q, K "
        "or V tile described by a tensor map, writes it swizzled into shared memory and signals an mbarrier "
        "with the bytes delivered — no thread spends instructions on addresses, and rows past the end of a "
        "sequence arrive as zeros. K and V tiles go into two rings of 2–4 slots each, so loads run ahead of the "
        "math: a K slot is refilled as soon as its Q·Kᵀ is done, a V slot after its P·V (one ring for both "
        "made every load wait for the slower of the two: 493 → 684 TFLOP/s on an H100 at d=128 with the wider "
        "128×176 tile). Each consumer warpgroup (64 query rows) multiplies with wgmma: S = Q·Kᵀ "
        "reads both operands straight from shared memory (no ldmatrix, no register copies of K), O += P·V "
        "takes P from the S accumulators in registers. wgmma is asynchronous, so the warpgroup issues "
        "S = Q·K(j+1)ᵀ and O += P(j)·V(j) together and computes the softmax of the new tile while the "
        "tensor cores work (intra-warpgroup overlap); the two consumer warpgroups also take turns issuing "
        "their multiplies (ping-pong, named barriers), so one's softmax — exp2 on the slower special-function "
        "units — runs under the other's matrix work; at head dims 64 and 96 the multiplies are so short that three "
        "consumers take turns in a ring (two softmaxes under one GEMM). What each step buys, measured on an H100 at bfloat16, "
        "d=128, N = 8k (TFLOP/s without / with a causal mask): flash2's mma.sync 387 / 345; TMA + wgmma with every warp "
        "both loading and computing 543 / 453; + warp specialization 611 / 579; + intra-warpgroup overlap 669 / 621; + "
        "ping-pong 682 / 631; + the persistent grid 680 / 639 (cuDNN 683 / 616); `attnscope-cli run --each-plan` (the app's "
        "each-plan box) measures every rung and compiled alternative tile as its own series, e.g. flash3[serial]. Those rungs "
        "were measured while the compiler still undid part of the overlap: it moved the wait for a warpgroup's own P·V above "
        "the softmax, so the softmax started only after its own multiply had finished. A store of the row sums before that "
        "wait (the compiler keeps memory operations in order) put the softmax back under the multiply: +2 to +6 % at d=128 "
        "(710 TFLOP/s at N = 8k against cuDNN's 696). The special-function units are not "
        "what is left: moving a quarter of the exp2 to the FMA units (a cubic) made it 5–10 % slower. Nsight Compute's "
        "samples now put half of a consumer's time in the softmax itself: about 500 dependent instructions per 176-key "
        "step, each waiting a few cycles for the one before. At d=128 the exponentials therefore no longer wait for the "
        "tile's row maximum: they are taken against the maximum the row already had, while the new one is reduced beside "
        "them, and the output is rescaled only when a maximum grew by more than 2^8 (exact either way: the final division "
        "cancels the reference; a row whose maximum jumps by 2^120 would overflow and is computed again in fp32) — +2 to "
        "+5 % on an H100, 1.06× cuDNN at N = 4k; it gained more on 128×128 tiles than on 128×176 ones, and with it the "
        "square tile beat the wider one at every length (+1 to +6 % from N = 8k on an H200), so d=128 runs 128×128 with "
        "and without a mask. The online softmax is otherwise FlashAttention's: running row "
        "maximum and sum in the exp2 domain, one 1/sum at the end; the output leaves through shared memory "
        "and a TMA store, with the log-sum-exp per row. Causal masks are bottom-right aligned (query i sees "
        "key j iff j ≤ i + kv_len − q_len); tiles wholly above the diagonal are never loaded. Causal work is "
        "uneven (a query tile near the end sees all keys, one near the start almost none), so a head's tiles are "
        "laid from its last row up (a tile left over when the length is not a multiple of the tile is then the first, "
        "cheapest one: d=64 causal +11 % at N = 1k; it walks only the keys its own rows see, +3 % more). Within a "
        "192-row tile each 64-row warpgroup skips the key tiles its own rows cannot see (at N = 1k a head then does "
        "the multiplies of cuDNN's 128-row tiles instead of 12 % more: d=64 causal +6 % at 1k, +1–3 % longer, d=96 "
        "+4–5 % at 1k–2k). Tiles are handed out longest first, a few heads at a time so that their K and V stay in L2 (FA3's order); on "
        "the persistent grid one block per SM takes tile after tile from an atomic counter and loads the next "
        "tile's K and V while the current one's output is stored (on an H100 at N = 8k, d=128 causal: 609 TFLOP/s "
        "with tiles head by head, 629 longest first, 639 persistent; d=64 non-causal at N = 2k: 458 → 492). Without "
        "a mask every query tile costs the same, and the last round of tiles rarely fills every SM: the standard grid's 2048 "
        "tiles of 128 rows on an H100's 132 SMs are 15.5 rounds, so half of the GPU would idle through the last one. The "
        "persistent grid cuts that round by key tiles instead (Stream-K's idea, applied to attention): each SM takes an "
        "equal share of the remaining tiles' key tiles, and the SM holding a tile's first keys merges the others' partial "
        "output, row maximum and row sum (the online softmax's own merge) before storing it (d=128, N = 16k, bfloat16: "
        "708 → 731 TFLOP/s; the variant last-round-whole measures it without). At d=64 a last query tile of 64 rows or "
        "fewer (N = 1k: the sixth tile of 192 rows holds 64) is split the same way among its own block's three "
        "warpgroups, and each head's tiles are rotated by the grid's round so that those cheap tiles spread over every "
        "SM (d=64, N = 1k: +4 %). Where a tile leaves no room for an "
        "output buffer of its own (d=128's 128×176), the output goes out through the last K slot instead of the Q tile, "
        "so the next tile's Q loads during the last multiply and the store (+1 % at N = 8k). GQA/MQA "
        "blocks read their shared KV head directly. Head dims " + compiled_head_dims() + " are compiled (96 in blocks of 32 "
        "columns with the 64-byte swizzle: 96 is no multiple of the 128-byte swizzle's 64 columns); any other multiple of 8 "
        "runs on the next one up with zero-filled columns (correct, but it pays for the padding).",
        "O(B·H·Nq·d) for the output plus O(B·H·Nq) for the fp32 log-sum-exp — O(N) in the sequence length; "
        "per block " + shared_memory_range() + " of shared memory (Q, the K/V rings, the output tile where it fits; causal "
        "tiles with room keep the next Q in a second slot). The Nq × Nk score matrix never exists. Without "
        "a mask, a workspace for the split last round: per SM and consumer warpgroup (d/2 + 4)·128 floats (9 MB at d=128 "
        "on an H100), when the tiles do not fill whole rounds.",
        "float16/bfloat16 prefill and training-style shapes on H100/H200 (sm90) with head dim " + compiled_head_dims(" or ") +
            " (others up to 256 run padded): long sequences, causal or not, GQA. Elsewhere flash2 runs the same "
        "algorithm on mma.sync."};
  }

  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    // No kernel_image rule: flash3's kernels are always built, for sm_90a only (kernels/CMakeLists.txt),
    // so the compute-capability rule below is the whole device story.
    RuleSet rules(p, d);
    rules.target(Target::Cuda).built_with_cuda(build::with_cuda()).runtime_library("cuda-driver");
    if (d.is_gpu()) rules.custom(hopper_rule(d));
    rules.dtype_in({DType::F16, DType::BF16},
                   {.reason = "wgmma here takes 16-bit inputs; float32 would need TF32, which changes the numerics"})
        .head_dim_at_most(flash3::kMaxHeadDim,
                          {.reason = "kernels are compiled for head dims " + compiled_head_dims() +
                                     "; any other multiple of 8 runs on the next one up, its missing columns filled "
                                     "with zeros by the copy engine"})
        .head_dim_multiple_of(8, {.reason = "Q, K and V rows are copied by TMA in 16-byte units of 8 float16/bfloat16 values"});
    if (!variant_.empty()) rules.custom(variant_rule(p));
    return rules.take();
  }

  // S and P stay on chip; the only workspace is the tail split's partial results (flash3.hpp, TailSplit), which depends
  // on the number of SMs the persistent grid spans.
  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo& d) const override {
    uint64_t workspace = 0;
    try {
      workspace = uint64_t(flash3::workspace_bytes(choice(p), shape_of(p), p.batch * p.q_heads, d.sm_count));
    } catch (const std::exception&) {  // no kernel for this problem: the rules say why
    }
    return {p.output_bytes() + p.lse_bytes(), workspace};
  }

  bool writes_lse() const override { return true; }

#if ATTNSCOPE_HAVE_CUDA
  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
    const flash3::Params params = flash2::params_for("flash3", flash3::tile_shape(p.head_dim) != nullptr, p, t);
    const flash3::Choice c = choice(p);
    Workspace workspace(ctx, size_t(flash3::workspace_bytes(c, shape_of(p), p.batch * p.q_heads, flash3::multiprocessors())));
    flash3::forward(params, c, workspace.get(), ctx.stream());
  }
#endif

  std::vector<std::string> variants(const Problem& p, const DeviceInfo&) const override {
    if (!variant_.empty()) return {};
    std::vector<std::string> names;
    for (const flash3::Variant& v : flash3::variants(shape_of(p))) names.push_back(v.name);
    return names;
  }

  std::unique_ptr<Backend> with_variant(const std::string& name) const override {
    const auto& known = flash3::all_variant_names();
    if (std::find(known.begin(), known.end(), name) == known.end()) return nullptr;
    return std::make_unique<Flash3Backend>(name);
  }

  // What ran, e.g. "128x176x2 ping-pong, blocks" (flash3::describe); empty where nothing can run.
  std::string variant_used(const Problem& p) const override {
    try {
      return flash3::describe(choice(p), shape_of(p));
    } catch (const std::exception&) {
      return {};
    }
  }

 private:
  // The kernel for p: the variant's, or the tables' under the environment's switches (which may refuse).
  flash3::Choice choice(const Problem& p) const {
    if (variant_.empty()) return flash3::choose(shape_of(p), flash3::overrides_from_env());
    const std::optional<flash3::Overrides> o = variant_for(variant_, p);
    if (!o) throw std::runtime_error("flash3: variant " + variant_ + " is not compiled for " + p.describe());
    return flash3::choose(shape_of(p), *o);
  }

  RuleResult variant_rule(const Problem& p) const {
    RuleResult r;
    r.rule = "flash3_variant";
    r.kind = RuleKind::Input;
    r.field = "variant";
    r.observed = variant_;
    std::string compiled;
    for (const flash3::Variant& v : flash3::variants(shape_of(p))) compiled += (compiled.empty() ? "" : ", ") + v.name;
    r.required = compiled.empty() ? "none compiled" : compiled;
    r.met = variant_for(variant_, p).has_value();
    r.reason = "flash3 variant " + variant_ + (r.met ? " is" : " is not") + " compiled for " + p.describe() +
               " (compiled: " + r.required + ")";
    r.hint = "measure the variants compiled for each point with `attnscope-cli run --each-plan`";
    return r;
  }

  static BackendInfo make_info(const std::string& variant) {
    BackendInfo info = base_info();
    if (!variant.empty()) {
      info.id += "[" + variant + "]";
      info.name = "flash3 variant " + variant;
    }
    return info;
  }

  std::string variant_;
  BackendInfo info_;
};

}  // namespace

std::unique_ptr<Backend> make_flash3_backend() { return std::make_unique<Flash3Backend>(); }

}  // namespace attnscope
