#include "attnscope/rules.hpp"

#include "attnscope/build_info.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace attnscope {

std::string join_dtypes(const std::vector<DType>& ts, std::string_view last_sep) {
  std::string out;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    if (i > 0) out += (i + 1 == ts.size()) ? std::string(last_sep) : std::string(", ");
    out += to_string(ts[i]);
  }
  return out;
}

int64_t nearest_allowed(int64_t value, const std::vector<int64_t>& allowed) {
  int64_t best = allowed.empty() ? value : allowed.front();
  for (int64_t a : allowed) {
    const int64_t da = std::llabs(a - value), db = std::llabs(best - value);
    if (da < db || (da == db && a > best)) best = a;
  }
  return best;
}

std::string format_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, v < 10 ? "%.2f %s" : (v < 100 ? "%.1f %s" : "%.0f %s"), v, units[u]);
  return buf;
}

std::string format_kib(uint64_t bytes) { return std::to_string((bytes + 1023) / 1024) + " KiB"; }

namespace {
std::string list_ints(const std::vector<int64_t>& xs) {
  std::string s;
  for (std::size_t i = 0; i < xs.size(); ++i) s += (i ? ", " : "") + std::to_string(xs[i]);
  return s;
}
std::string device_label(const DeviceInfo& d) {
  if (!d.is_gpu()) return "the CPU";
  return d.sm_name() + " (" + d.name + ")";
}
}  // namespace

RuleResult& RuleSet::add(std::string rule, RuleKind kind, std::string field, std::string observed,
                         std::string required, bool met, std::string reason, std::string hint, const Why& why) {
  if (!why.reason.empty()) reason += " (" + why.reason + ")";
  if (!why.hint.empty()) hint = why.hint;
  if (!why.alternative.empty()) hint += "; " + why.alternative;
  results_.push_back(RuleResult{std::move(rule), kind, std::move(field), std::move(observed), std::move(required), met,
                                std::move(reason), std::move(hint)});
  return results_.back();
}

RuleSet& RuleSet::cuda_backend(const std::vector<int>& images, int min_cc, std::string fallback, Why why) {
  target(Target::Cuda).built_with_cuda(build::with_cuda()).runtime_library("cuda-driver");
  if (min_cc > 0) min_compute_capability(min_cc, std::move(fallback), std::move(why));
  return kernel_image_for(images);
}

RuleSet& RuleSet::target(Target t) {
  const bool gpu_backend = t == Target::Cuda;
  const bool met = gpu_backend == d_.is_gpu();
  const std::string observed = d_.is_gpu() ? d_.id + " (" + d_.name + ")" : "cpu";
  if (gpu_backend)
    add("device_kind", RuleKind::Environment, "device", observed, "a CUDA GPU", met,
        "device is " + observed + "; this backend runs on a CUDA GPU",
        "choose a GPU device, or a what-if profile (t4, a100, l4, h100) to see its verdict there");
  else
    add("device_kind", RuleKind::Environment, "device", observed, "the CPU", met,
        "device is " + observed + "; this backend runs on the CPU", "choose device cpu");
  return *this;
}

RuleSet& RuleSet::built_with_cuda(bool built) {
  add("cuda_build", RuleKind::Environment, "build", built ? "with CUDA" : "without CUDA", "with CUDA", built,
      built ? "this build of AttnScope has CUDA support"
            : "this build of AttnScope has no CUDA support (it was configured without a CUDA toolkit)",
      "install the CUDA toolkit and rebuild, or use a CPU backend");
  return *this;
}

RuleResult runtime_library_rule(const RuntimeLibrary& lib) {
  return RuleResult{"runtime_library:" + lib.id,
                    RuleKind::Environment,
                    "library",
                    lib.found ? lib.soname + " (" + lib.detail + ")" : lib.soname + " not found",
                    lib.soname + " (" + lib.name + ")",
                    lib.found,
                    lib.found ? lib.name + " is loaded from " + lib.detail
                              : lib.name + " not found: " + lib.without + " (" + lib.detail + ")",
                    lib.fix};
}

RuleSet& RuleSet::runtime_library(std::string_view id, Why why) {
  const RuntimeLibrary* lib = d_.runtime_library(id);
  if (!lib) return *this;
  RuleResult r = runtime_library_rule(*lib);
  add(std::move(r.rule), r.kind, std::move(r.field), std::move(r.observed), std::move(r.required), r.met,
      std::move(r.reason), std::move(r.hint), why);
  return *this;
}

RuleSet& RuleSet::min_compute_capability(int cc, std::string fallback, Why why) {
  if (!d_.is_gpu()) return *this;  // judged by device_kind on the CPU
  min_cc_ = cc;
  const bool met = d_.compute_capability() >= cc;
  const std::string need = "sm" + std::to_string(cc) + " or newer";
  add("compute_capability", RuleKind::Environment, "device", d_.sm_name(), need, met,
      "device is " + device_label(d_) + "; needs " + need,
      fallback.empty() ? "use a newer GPU" : "use " + fallback + " on this device, or a GPU with " + need, why);
  return *this;
}

RuleSet& RuleSet::kernel_image_for(const std::vector<int>& built_ccs) {
  if (!d_.is_gpu()) return *this;
  const int cc = d_.compute_capability();
  // A cubin runs on the same major architecture with an equal or newer minor version; no PTX is
  // embedded, so nothing is JIT-compiled for newer majors (and sm_90a images run on sm_90 only).
  const bool met = std::any_of(built_ccs.begin(), built_ccs.end(),
                               [&](int b) { return b / 10 == cc / 10 && b % 10 <= cc % 10; });
  std::string built;
  for (std::size_t i = 0; i < built_ccs.size(); ++i) built += (i ? ", sm" : "sm") + std::to_string(built_ccs[i]);
  if (built.empty()) built = "none";
  // The rebuild that adds an image, if one can: below the backend's minimum its kernels use
  // instructions the GPU lacks, and below Turing the sm80-only backends could not be built at all
  // (only the Turing-capable sources get sm_75, and only when 80 is a target).
  std::string hint;
  if (min_cc_ > cc)
    hint = "no rebuild adds one: this backend's kernels need sm" + std::to_string(min_cc_) + " or newer (see compute_capability)";
  else if (cc < 75)
    hint = "no rebuild adds one: AttnScope builds its kernels for sm75 (Turing) and newer";
  else if (cc == 75)
    hint = "rebuild with 80-real in -DCMAKE_CUDA_ARCHITECTURES: the build then adds sm_75 code for the backends that run on Turing";
  else
    hint = "rebuild with -DCMAKE_CUDA_ARCHITECTURES=" + std::to_string(cc) + "-real added";
  add("kernel_image", RuleKind::Environment, "device", d_.sm_name(), "one of " + built, met,
      "no kernel image for " + d_.sm_name() + " in this build (built for " + built + ")", hint);
  return *this;
}

RuleSet& RuleSet::dtype_in(std::initializer_list<DType> allowed, Why why) {
  const std::vector<DType> list(allowed);
  const bool met = std::find(list.begin(), list.end(), p_.dtype) != list.end();
  add("dtype", RuleKind::Input, "dtype", std::string(to_string(p_.dtype)), join_dtypes(list), met,
      "dtype is " + std::string(to_string(p_.dtype)) + "; this backend supports " + join_dtypes(list, ", "),
      "choose " + join_dtypes(list), why);
  return *this;
}

RuleSet& RuleSet::head_dim_at_most(int64_t max, Why why) {
  const bool met = p_.head_dim <= max;
  add("head_dim_max", RuleKind::Input, "head_dim", std::to_string(p_.head_dim), "≤ " + std::to_string(max), met,
      "head_dim is " + std::to_string(p_.head_dim) + "; this backend needs head_dim ≤ " + std::to_string(max),
      "use head_dim " + std::to_string(max) + " or less", why);
  return *this;
}

RuleSet& RuleSet::head_dim_in(const std::vector<int64_t>& list, Why why) {
  const bool met = std::find(list.begin(), list.end(), p_.head_dim) != list.end();
  const int64_t nearest = nearest_allowed(p_.head_dim, list);
  std::string hint = "nearest allowed: head_dim " + std::to_string(nearest);
  // Padding the head dimension with zeros keeps the result exact; only possible upwards.
  const auto above = std::find_if(list.begin(), list.end(), [&](int64_t a) { return a > p_.head_dim; });
  if (above != list.end()) hint += "; or pad the head dimension with zeros to " + std::to_string(*above);
  add("head_dim_set", RuleKind::Input, "head_dim", std::to_string(p_.head_dim), "one of " + list_ints(list), met,
      "head_dim is " + std::to_string(p_.head_dim) + "; this backend supports " + list_ints(list), hint, why);
  return *this;
}

RuleSet& RuleSet::head_dim_multiple_of(int64_t m, Why why) {
  const bool met = p_.head_dim % m == 0;
  const int64_t up = (p_.head_dim + m - 1) / m * m;
  add("head_dim_multiple", RuleKind::Input, "head_dim", std::to_string(p_.head_dim),
      "a multiple of " + std::to_string(m), met,
      "head_dim is " + std::to_string(p_.head_dim) + "; must be a multiple of " + std::to_string(m),
      "pad the head dimension with zeros to " + std::to_string(up), why);
  return *this;
}

RuleSet& RuleSet::q_len_at_most(int64_t max, Why why) {
  const bool met = p_.q_len <= max;
  add("q_len_max", RuleKind::Input, "q_len", std::to_string(p_.q_len), "≤ " + std::to_string(max), met,
      "q_len is " + std::to_string(p_.q_len) + "; this backend needs q_len ≤ " + std::to_string(max),
      "use q_len " + std::to_string(max) + " or less (decoding), or a prefill backend for longer queries", why);
  return *this;
}

RuleSet& RuleSet::shared_memory_fits(uint64_t need, const std::string& what, Why why) {
  // Only where the kernels could run at all: below the minimum the compute-capability rule speaks.
  if (!d_.is_gpu() || d_.compute_capability() < min_cc_) return *this;
  const uint64_t have = d_.shared_memory_per_block;
  add("shared_memory", RuleKind::Environment, "device", format_kib(have) + " per block on " + d_.sm_name(),
      "≥ " + format_kib(need), need <= have,
      what + " needs " + format_kib(need) + " of shared memory per block; " + device_label(d_) + " allows " +
          format_kib(have),
      "use a smaller head dim, or a GPU with more shared memory per block", why);
  return *this;
}

RuleSet& RuleSet::custom(RuleResult r) {
  results_.push_back(std::move(r));
  return *this;
}

}  // namespace attnscope
