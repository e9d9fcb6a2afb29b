#include "cuda/cupti_tracer.hpp"

#include <cupti.h>
#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <type_traits>

#include "attnscope/rules.hpp"
#include "cuda/cuda_libraries.hpp"

namespace attnscope::cuda {
namespace {

// CUPTI is opened at run time (cuda_libraries), not linked, so a machine without it still starts and
// times with CUDA events. Every CUPTI call below goes through this table; the names are CUPTI's own.
#define ATTNSCOPE_CUPTI_FUNCTIONS(X)                                                                        \
  X(cuptiGetVersion) X(cuptiGetResultString) X(cuptiActivityRegisterCallbacks) X(cuptiActivityEnable)      \
  X(cuptiActivityDisable) X(cuptiActivityFlushAll) X(cuptiActivityGetNextRecord)                           \
  X(cuptiActivityGetNumDroppedRecords) X(cuptiActivityPushExternalCorrelationId)                           \
  X(cuptiActivityPopExternalCorrelationId)

struct CuptiApi {
#define ATTNSCOPE_CUPTI_MEMBER(f) decltype(&::f) f = nullptr;
  ATTNSCOPE_CUPTI_FUNCTIONS(ATTNSCOPE_CUPTI_MEMBER)
#undef ATTNSCOPE_CUPTI_MEMBER
  std::string why_not;  // empty when every function was found
};

// Resolved once; why_not says which library or symbol is missing, in the words of the rule `devices` shows.
const CuptiApi& api() {
  static const CuptiApi a = [] {
    CuptiApi t;
    const auto& lib = cuda_libraries::cupti();
    if (!lib.loaded()) {
      for (const auto& l : cuda_libraries::status())
        if (l.id == "cupti") t.why_not = runtime_library_rule(l).reason + " — " + l.fix;
      return t;
    }
#define ATTNSCOPE_CUPTI_RESOLVE(f)                                                                   \
  t.f = lib.function<std::remove_pointer_t<decltype(t.f)>>(#f);                                      \
  if (!t.f && t.why_not.empty()) t.why_not = lib.path() + " has no " #f " (a CUPTI older than the toolkit's)";
    ATTNSCOPE_CUPTI_FUNCTIONS(ATTNSCOPE_CUPTI_RESOLVE)
#undef ATTNSCOPE_CUPTI_RESOLVE
    return t;
  }();
  return a;
}

constexpr std::size_t kBufferBytes = 8u << 20;
constexpr auto kExternalKind = CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0;

std::string result_text(CUptiResult r) {
  const char* s = nullptr;
  api().cuptiGetResultString(r, &s);
  return s ? s : ("CUPTI error " + std::to_string(int(r)));
}

// What a CUPTI failure means for the user (measurement.md §6).
std::string explain(CUptiResult r, const char* call) {
  std::string why = std::string(call) + " failed: " + result_text(r);
  switch (r) {
    case CUPTI_ERROR_INSUFFICIENT_PRIVILEGES:
      return why + ". CUPTI tracing was refused by the driver (insufficient privileges); times include "
                   "launch overhead (~2-6 us per call).";
    case CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED:
      return why + ". Another profiler (Nsight Systems/Compute, cuda-gdb) is attached.";
    case CUPTI_ERROR_NOT_INITIALIZED:
      return why + ". This CUPTI needs a newer NVIDIA driver.";
    default:
      return why + ".";
  }
}

std::string demangle(const std::string& name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status), std::free);
  return status == 0 && out ? std::string(out.get()) : name;
}

void CUPTIAPI buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records) {
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(8, kBufferBytes));
  *size = *buffer ? kBufferBytes : 0;
  *max_records = 0;
}

void CUPTIAPI buffer_completed(CUcontext ctx, uint32_t stream_id, uint8_t* buffer, size_t, size_t valid) {
  size_t dropped = 0;
  if (api().cuptiActivityGetNumDroppedRecords(ctx, stream_id, &dropped) != CUPTI_SUCCESS) dropped = 0;
  CuptiTracer::instance().consume(buffer, valid, dropped);
  std::free(buffer);
}

}  // namespace

double RegionTrace::span_us() const {
  if (kernels.empty()) return 0;
  uint64_t first = kernels.front().start_ns, last = 0;
  for (const auto& k : kernels) {
    first = std::min(first, k.start_ns);
    last = std::max(last, k.end_ns);
  }
  return double(last - first) * 1e-3;
}

double RegionTrace::busy_us() const {
  uint64_t sum = 0;
  for (const auto& k : kernels) sum += k.end_ns - k.start_ns;
  return double(sum) * 1e-3;
}

uint64_t RegionTrace::peak_live_bytes() const {
  int64_t live = 0, peak = 0;
  for (const auto& m : memory) peak = std::max(peak, live += m.delta);
  return uint64_t(peak);
}

int64_t RegionTrace::final_live_bytes() const {
  int64_t live = 0;
  for (const auto& m : memory) live += m.delta;
  return live;
}

CuptiTracer& CuptiTracer::instance() {
  static CuptiTracer tracer;
  return tracer;
}

CuptiTracer::CuptiTracer() {
  if (!api().why_not.empty()) {
    status_ = api().why_not;
    return;
  }
  uint32_t version = 0;
  api().cuptiGetVersion(&version);
  CUptiResult r = api().cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed);
  if (r != CUPTI_SUCCESS) {
    status_ = explain(r, "cuptiActivityRegisterCallbacks");
    return;
  }
  // External correlation records are emitted for API records, so RUNTIME and DRIVER must be on
  // (cuBLAS launches through the driver API).
  const std::pair<CUpti_ActivityKind, const char*> kinds[] = {
      {CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, "api().cuptiActivityEnable(CONCURRENT_KERNEL)"},
      {CUPTI_ACTIVITY_KIND_RUNTIME, "api().cuptiActivityEnable(RUNTIME)"},
      {CUPTI_ACTIVITY_KIND_DRIVER, "api().cuptiActivityEnable(DRIVER)"},
      {CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION, "api().cuptiActivityEnable(EXTERNAL_CORRELATION)"}};
  for (const auto& [kind, call] : kinds) {
    r = api().cuptiActivityEnable(kind);
    if (r != CUPTI_SUCCESS) {
      status_ = explain(r, call);
      for (const auto& [k, c] : kinds) api().cuptiActivityDisable(k);
      return;
    }
  }
  available_ = true;
  status_ = "CUPTI " + std::to_string(version / 10000) + "." + std::to_string(version / 10 % 1000) + "." +
            std::to_string(version % 10) + " activity tracing";
}

void CuptiTracer::set_memory_tracing(bool on) {
  if (!available_) return;
  api().cuptiActivityFlushAll(0);
  if (on) api().cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MEMORY2);
  else api().cuptiActivityDisable(CUPTI_ACTIVITY_KIND_MEMORY2);
}

CuptiTracer::Region::Region(CuptiTracer& t) : tracer_(t) {
  {
    std::lock_guard lock(t.mu_);
    id_ = t.next_id_++;
  }
  if (t.available_) pushed_ = api().cuptiActivityPushExternalCorrelationId(kExternalKind, id_) == CUPTI_SUCCESS;
}

CuptiTracer::Region::~Region() {
  uint64_t popped = 0;
  if (pushed_) api().cuptiActivityPopExternalCorrelationId(kExternalKind, &popped);
}

void CuptiTracer::consume(const uint8_t* buffer, std::size_t valid_bytes, uint64_t dropped) {
  std::lock_guard lock(mu_);
  dropped_ += dropped;
  CUpti_Activity* record = nullptr;
  auto* buf = const_cast<uint8_t*>(buffer);
  while (api().cuptiActivityGetNextRecord(buf, valid_bytes, &record) == CUPTI_SUCCESS) {
    switch (record->kind) {
      case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
      case CUPTI_ACTIVITY_KIND_KERNEL: {
        auto* k = reinterpret_cast<CUpti_ActivityKernel10*>(record);
        kernels_.push_back({k->correlationId, k->start, k->end, k->name ? k->name : "?"});
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMORY2: {
        auto* m = reinterpret_cast<CUpti_ActivityMemory4*>(record);
        if (m->memoryKind != CUPTI_ACTIVITY_MEMORY_KIND_DEVICE) break;
        const bool alloc = m->memoryOperationType == CUPTI_ACTIVITY_MEMORY_OPERATION_TYPE_ALLOCATION;
        const bool release = m->memoryOperationType == CUPTI_ACTIVITY_MEMORY_OPERATION_TYPE_RELEASE;
        if (alloc || release)
          memory_.push_back({m->correlationId, m->timestamp, alloc ? int64_t(m->bytes) : -int64_t(m->bytes)});
        break;
      }
      case CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION: {
        auto* e = reinterpret_cast<CUpti_ActivityExternalCorrelation*>(record);
        if (e->externalKind == kExternalKind) external_[e->correlationId] = e->externalId;
        break;
      }
      default:
        break;  // API records: needed only so external correlation records exist
    }
  }
}

RegionTrace CuptiTracer::take(uint64_t id, bool flush) {
  RegionTrace out;
  if (!available_) return out;
  if (flush) api().cuptiActivityFlushAll(0);
  std::lock_guard lock(mu_);
  auto region_of = [&](uint32_t corr) -> uint64_t {
    auto it = external_.find(corr);
    return it == external_.end() ? 0 : it->second;
  };
  std::vector<RawKernel> keep_k;
  for (auto& k : kernels_) {
    const uint64_t r = region_of(k.correlation);
    if (r == id) out.kernels.push_back({k.start, k.end, std::move(k.name)});
    else if (r > id) keep_k.push_back(std::move(k));
  }
  kernels_ = std::move(keep_k);
  std::vector<RawMemory> keep_m;
  for (auto& m : memory_) {
    const uint64_t r = region_of(m.correlation);
    if (r == id) out.memory.push_back({m.timestamp, m.delta});
    else if (r > id) keep_m.push_back(m);
  }
  memory_ = std::move(keep_m);
  std::erase_if(external_, [&](const auto& kv) { return kv.second <= id; });
  out.dropped_records = dropped_;
  dropped_ = 0;
  std::sort(out.kernels.begin(), out.kernels.end(), [](const auto& a, const auto& b) { return a.start_ns < b.start_ns; });
  // Releases sort before allocations at equal timestamps so a free-then-reuse does not double count.
  std::stable_sort(out.memory.begin(), out.memory.end(), [](const auto& a, const auto& b) {
    return a.timestamp_ns != b.timestamp_ns ? a.timestamp_ns < b.timestamp_ns : a.delta < b.delta;
  });
  for (auto& k : out.kernels) k.name = demangle(k.name);
  return out;
}

}  // namespace attnscope::cuda
