// Library backends on a real GPU, measured by the same executor as ours: every one that runs matches
// the fp64 reference (fp16, bf16, causal or not, GQA) with its kernels and library versions recorded;
// refusals carry the library's own text; the dispatch view answers. Skips without PyTorch or a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <string>

#include "attnscope/platform.hpp"
#include "attnscope/python_host.hpp"
#include "attnscope/registry.hpp"
#include "attnscope/runner.hpp"
#include "gpu_check.hpp"
#include "python_libs/library_dispatch.hpp"

namespace attnscope {
namespace {

const Registry& registry() {
  static const Registry r = [] {
    Registry reg;
    register_builtin_backends(reg);
    register_library_backends(reg);
    return reg;
  }();
  return r;
}

// Why these tests cannot run here, or empty.
std::string unavailable() {
  if (const std::string& why = gputest::gpu_unavailable_reason(); !why.empty()) return why;
  if (!python::host_status().ready) return "no embeddable Python: " + python::host_status().problem;
  const Backend* b = registry().find("torch-math");
  if (!b || !b->library_versions().count("torch")) return "PyTorch does not import in " + python::host_status().executable;
  return "";
}

#define REQUIRE_TORCH_GPU()                              \
  do {                                                   \
    if (const auto why = unavailable(); !why.empty()) GTEST_SKIP() << why; \
  } while (0)

DeviceInfo gpu0() { return resolve_device(discover_devices(), "cuda:0"); }

std::vector<std::string> unmet_reasons(const std::string& id, const Problem& p) {
  const Backend* b = registry().find(id);
  std::vector<std::string> out;
  if (!b) return out;
  for (const auto& r : registry().evaluate(*b, p, gpu0()).unmet()) out.push_back(r.reason);
  return out;
}

bool any_contains(const std::vector<std::string>& texts, const std::string& needle) {
  for (const auto& t : texts)
    if (t.find(needle) != std::string::npos) return true;
  return false;
}

Record measure(const Backend& b, const Problem& p) {
  static auto exec = make_executor(gpu0());
  Runner runner(registry(), *exec);
  MeasureSettings s;
  s.stopping.min_samples = 5;
  s.stopping.min_time_s = 0.01;
  s.stopping.max_time_s = 2;
  s.warmup_min_runs = 2;
  s.warmup_min_time_s = 0;
  CancelToken cancel;
  return runner.run_one(p, 0, b, s, cancel);
}

// A Python library backend (not one of ours: our cudnn reports library versions too, cuDNN's).
bool is_library(const Backend& b) {
  static const Registry libraries = [] {
    Registry reg;
    register_library_backends(reg);
    return reg;
  }();
  return libraries.find(b.info().id) != nullptr && b.info().id != kNoPythonBackendId;
}

struct Case {
  DType dtype;
  bool causal;
  int64_t q_heads, kv_heads;
};

TEST(LibraryBackendsGpu, EveryEligibleLibraryBackendMatchesTheReference) {
  REQUIRE_TORCH_GPU();
  for (const Case c : {Case{DType::F16, false, 8, 8}, Case{DType::BF16, true, 8, 8}, Case{DType::F16, true, 8, 2},
                       Case{DType::BF16, false, 8, 1}}) {
    Problem p;
    p.batch = 2;
    p.q_heads = c.q_heads;
    p.kv_heads = c.kv_heads;
    p.q_len = p.kv_len = 512;
    p.head_dim = 64;
    p.dtype = c.dtype;
    p.causal = c.causal;
    std::vector<std::string> measured;
    for (const auto& b : registry().backends()) {
      if (!is_library(*b) || !registry().evaluate(*b, p, gpu0()).eligible()) continue;
      const Record r = measure(*b, p);
      ASSERT_EQ(r.status, Status::Ok) << b->info().id << " " << p.describe() << ": " << r.message;
      ASSERT_TRUE(r.accuracy.has_value());
      EXPECT_TRUE(r.accuracy->pass) << b->info().id << " " << p.describe() << " rel_l2 " << r.accuracy->rel_l2;
      EXPECT_FALSE(r.kernels.empty()) << b->info().id << ": CUPTI saw no kernel";
      EXPECT_TRUE(r.libraries.count("torch")) << b->info().id;
      EXPECT_NE(r.memory.method.find("library-allocator"), std::string::npos) << b->info().id;
      measured.push_back(b->info().id);
    }
    // The math path takes every shape and dtype: at least it ran.
    EXPECT_NE(std::find(measured.begin(), measured.end(), "torch-math"), measured.end()) << p.describe();
    std::cout << "[library backends] " << p.describe() << ": " << ::testing::PrintToString(measured) << '\n';
  }
}

TEST(LibraryBackendsGpu, OurBackendsRecordTheirKernelNamesToo) {
  REQUIRE_TORCH_GPU();
  Problem p;
  p.q_len = p.kv_len = 256;
  const Record r = measure(*registry().find("mem-efficient"), p);
  ASSERT_EQ(r.status, Status::Ok) << r.message;
  EXPECT_FALSE(r.kernels.empty());
}

TEST(LibraryBackendsGpu, TorchFlashRefusesHeadDim512InPyTorchsWords) {
  REQUIRE_TORCH_GPU();
  Problem p;
  p.head_dim = 512;
  const auto reasons = unmet_reasons("torch-flash", p);
  EXPECT_TRUE(any_contains(reasons, "Flash attention requires q,k,v to have the same last dimension and to be less "
                                    "than or equal to 256"))
      << ::testing::PrintToString(reasons);
}

TEST(LibraryBackendsGpu, Fa2RefusesFloat32InXformersWords) {
  REQUIRE_TORCH_GPU();
  if (!registry().find("xformers-fa2F")) GTEST_SKIP() << "xFormers does not import here (its row: xformers)";
  Problem p;
  p.dtype = DType::F32;
  const auto reasons = unmet_reasons("xformers-fa2F", p);
  EXPECT_TRUE(any_contains(reasons, "dtype=torch.float32")) << ::testing::PrintToString(reasons);
}

TEST(LibraryBackendsGpu, DispatchNamesPyTorchsChoiceAndXformersVerdict) {
  REQUIRE_TORCH_GPU();
  Problem p;
  p.dtype = DType::F32;
  const auto d = library_dispatch(p, gpu0());
  ASSERT_TRUE(d.at("note").get<std::string>().empty()) << d.dump();
  ASSERT_GE(d.at("libraries").size(), 1u);
  EXPECT_EQ(d.at("libraries")[0].at("library"), "PyTorch");
  EXPECT_FALSE(d.at("libraries")[0].at("chosen").get<std::string>().empty()) << d.dump();
  p.dtype = DType::F16;
  p.head_dim = 512;
  const auto wide = library_dispatch(p, gpu0());
  for (const auto& lib : wide.at("libraries"))
    if (lib.at("library") == "xFormers" && lib.at("chosen").get<std::string>().empty())
      EXPECT_NE(lib.at("text").get<std::string>().find("No operator found for `memory_efficient_attention_forward`"),
                std::string::npos)
          << lib.dump();
}

TEST(LibraryBackendsGpu, APythonExceptionIsAnErrorOnItsItem) {
  REQUIRE_TORCH_GPU();
  // torch-flash pinned by force on a problem it refuses: PyTorch raises, the item records the error.
  Problem p;
  p.dtype = DType::F32;
  const Backend* b = registry().find("torch-flash");
  ASSERT_NE(b, nullptr);
  auto exec = make_executor(gpu0());
  MeasureSettings s;
  CancelToken cancel;
  try {
    exec->measure(*b, p, s, cancel);
    FAIL() << "torch-flash ran float32";
  } catch (const DeviceLost&) {
    FAIL() << "a Python exception must not lose the device";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("RuntimeError"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace attnscope
