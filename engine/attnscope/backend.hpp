#pragma once
// The backend contract. A backend says who it is, which rules a problem and a device must meet (each
// with the value seen, the value needed, and a fix), how much memory it will use, and runs.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/device.hpp"
#include "attnscope/problem.hpp"

namespace attnscope {

enum class Target { Cpu, Cuda };
std::string_view to_string(Target t);  // "cpu", "cuda"

// Environment problems (library missing, no kernel image for this GPU, wrong kind of device) are kept
// apart from input problems (dtype, head dim, lengths) and from memory fit.
enum class RuleKind { Environment, Input, Memory };
std::string_view to_string(RuleKind k);  // "environment", "input", "memory"

// One checked rule. `met == false` makes the backend ineligible.
struct RuleResult {
  std::string rule;      // stable id: "dtype", "head_dim", "compute_capability", "kernel_image", ...
  RuleKind kind = RuleKind::Input;
  std::string field;     // the problem or device field concerned: "dtype", "head_dim", "device"
  std::string observed;  // "float32"
  std::string required;  // "float16 or bfloat16"
  bool met = true;
  std::string reason;    // full sentence: "dtype is float32; this backend supports float16, bfloat16"
  std::string hint;      // what would pass: "choose float16 or bfloat16" / "use head_dim 32 (nearest allowed)"
};

struct BackendInfo {
  std::string id;                 // stable, kebab-case: "cpu-reference", "flash2"
  std::string name;               // display name
  std::string family;             // "reference", "math", "tiled", "flash", "decode", "vendor"
  Target target = Target::Cpu;
  std::string algorithm;          // one paragraph: what it computes and how
  std::string memory_complexity;  // "O(B·H·N²) — materializes the score matrix in fp32"
  std::string shines;             // where it is the right choice
  // The fp64 reference itself: executors do not check it against itself (its record says why).
  bool is_reference = false;
};

struct MemoryPrediction {
  uint64_t output_bytes = 0;     // O (+ LSE if the backend writes it), allocated by the executor
  uint64_t workspace_bytes = 0;  // peak bytes the backend itself allocates during run()
  uint64_t total() const { return output_bytes + workspace_bytes; }
};

// Pointers into the executor's memory (device memory for Target::Cuda, host memory for Target::Cpu).
// q: [B,Hq,Nq,D], k,v: [B,Hkv,Nk,D], o: [B,Hq,Nq,D], all in problem.dtype; lse: [B,Hq,Nq] fp32 or null.
struct Tensors {
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  void* o = nullptr;
  float* lse = nullptr;
};

// What a run may use besides its tensors. Workspace must come from here so the executor can account
// for it (the GPU executor also sees allocations made inside libraries through CUPTI).
class ExecContext {
 public:
  virtual ~ExecContext() = default;
  virtual void* allocate(std::size_t bytes) = 0;  // throws OutOfMemory
  virtual void release(void* p) noexcept = 0;
  virtual void* stream() const = 0;               // cudaStream_t for CUDA, nullptr for CPU
  virtual int threads() const = 0;                // worker threads a CPU backend may use
};

// RAII workspace from an ExecContext.
class Workspace {
 public:
  Workspace(ExecContext& ctx, std::size_t bytes) : ctx_(&ctx), p_(bytes ? ctx.allocate(bytes) : nullptr) {}
  ~Workspace() { if (p_) ctx_->release(p_); }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  template <class T> T* as() const { return static_cast<T*>(p_); }
  void* get() const { return p_; }

 private:
  ExecContext* ctx_;
  void* p_;
};

// An allocation that failed: names what was asked for and what was free.
class OutOfMemory : public std::exception {
 public:
  OutOfMemory(uint64_t requested, uint64_t free_bytes, std::string where);
  const char* what() const noexcept override { return text_.c_str(); }
  uint64_t requested() const { return requested_; }
  uint64_t free_bytes() const { return free_; }

 private:
  uint64_t requested_, free_;
  std::string text_;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const BackendInfo& info() const = 0;
  // Every rule this backend has, met or not, for this problem on this device (memory fit is added by
  // the registry, which knows the device's free memory).
  virtual std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const = 0;
  // Output and workspace bytes of p on d — the device being judged (a what-if profile, or the GPU the
  // executor runs on), so a plan that depends on the device (SM count) follows it.
  virtual MemoryPrediction predict_memory(const Problem& p, const DeviceInfo& d) const = 0;
  // Launch the computation (asynchronously on ctx.stream() for CUDA backends). Writes o (and lse when
  // non-null). Throws std::runtime_error with a readable message on failure.
  virtual void run(const Problem& p, const Tensors& t, ExecContext& ctx) const = 0;
  // True when the backend fills lse (the executor then allocates it and counts it as output).
  virtual bool writes_lse() const { return false; }
  // The libraries this backend runs on, with their versions ({"cuDNN": "9.19.0", "cudnn-frontend":
  // "1.32.0"}); the runner copies them into every record of this backend, `devices` lists them.
  virtual std::map<std::string, std::string> library_versions() const { return {}; }
  // Variants: a library that offers several implementations of one problem (cuDNN's execution
  // plans) names them here, in its order of preference; empty for a backend with one implementation.
  virtual std::vector<std::string> variants(const Problem&, const DeviceInfo&) const { return {}; }
  // This backend restricted to variant `name`, with id "<id>[<name>]" (its own series); null if none.
  virtual std::unique_ptr<Backend> with_variant(const std::string&) const { return nullptr; }
  // The variant a run of p uses (known after check() on a real device), for the record; empty if none.
  virtual std::string variant_used(const Problem&) const { return {}; }

  // For backends that call a library keeping memory of its own (PyTorch's caching allocator; see
  // docs/python-backends.md). run() may leave its output in the library's memory; the executor calls
  // publish_output once after the memory pass, outside every timed region and before the accuracy
  // check, to copy it into t.o.
  virtual void publish_output(const Problem&, const Tensors&, ExecContext&) const {}
  // Bytes the library's own allocator handed out during the last run() (CUPTI sees none once a caching
  // allocator is warm); nullopt for backends whose memory CUPTI and ExecContext see.
  virtual std::optional<uint64_t> library_peak_bytes() const { return std::nullopt; }
  // Called after the last run of an item: give the library's cached memory back to the device.
  virtual void release_library_memory() const {}

  std::vector<RuleResult> requirements(const Problem& p, const DeviceInfo& d) const;  // unmet only
};

// A backend that launches CUDA kernels. Its rules and memory prediction exist in every build (a
// CPU-only build still explains every GPU backend); it overrides run() only where the build has CUDA:
//   #if ATTNSCOPE_HAVE_CUDA
//     void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override { ... }
//   #endif
// and without CUDA this run() says why nothing can run.
class CudaBackend : public Backend {
 public:
  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override;
};

}  // namespace attnscope
