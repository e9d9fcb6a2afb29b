// Libraries opened at run time: the rule a missing one becomes, its round trip through the devices
// document, discovery filling them on real devices only, and the loader facility itself.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "attnscope/build_info.hpp"
#include "attnscope/platform.hpp"
#include "attnscope/registry.hpp"
#include "attnscope/results.hpp"
#include "attnscope/rules.hpp"
#if ATTNSCOPE_HAVE_CUDA
#include "cuda/dynamic_library.hpp"
#endif

using namespace attnscope;

namespace {
RuntimeLibrary library(std::string id, std::string name, std::string soname, bool found) {
  return RuntimeLibrary{id,    name, soname, found, found ? "/opt/x/" + soname : soname + ": cannot open shared object file",
                        "what is lost", "install " + name};
}

DeviceInfo cpu_without(std::initializer_list<RuntimeLibrary> libs) {
  DeviceInfo d = cpu_device();
  d.runtime_libraries = libs;
  return d;
}

const RuleResult* find_rule(const std::vector<RuleResult>& rules, const std::string& id) {
  auto it = std::find_if(rules.begin(), rules.end(), [&](const RuleResult& r) { return r.rule == id; });
  return it == rules.end() ? nullptr : &*it;
}
}  // namespace

TEST(RuntimeLibraries, AMissingLibraryIsAnEnvironmentRuleWithItsFix) {
  const RuleResult r = runtime_library_rule(library("cupti", "CUPTI", "libcupti.so.13", false));
  EXPECT_FALSE(r.met);
  EXPECT_EQ(r.kind, RuleKind::Environment);
  EXPECT_EQ(r.rule, "runtime_library:cupti");
  EXPECT_EQ(r.observed, "libcupti.so.13 not found");
  EXPECT_EQ(r.reason, "CUPTI not found: what is lost (libcupti.so.13: cannot open shared object file)");
  EXPECT_EQ(r.hint, "install CUPTI");
  const RuleResult ok = runtime_library_rule(library("cupti", "CUPTI", "libcupti.so.13", true));
  EXPECT_TRUE(ok.met);
  EXPECT_EQ(ok.reason, "CUPTI is loaded from /opt/x/libcupti.so.13");
}

TEST(RuntimeLibraries, EveryGpuBackendIsGreyedWithoutTheDriverAndCublasMathWithoutCublas) {
  if (!build::with_cuda()) GTEST_SKIP() << "a build without CUDA probes no CUDA library";
  Registry reg;
  register_builtin_backends(reg);
  Problem p;
  p.dtype = DType::F16;
  const DeviceInfo cpu = cpu_without({library("cuda-driver", "NVIDIA driver", "libcuda.so.1", false),
                                      library("cublas", "cuBLAS", "libcublas.so.13", false)});
  int gpu_backends = 0;
  for (const auto& b : reg.backends()) {
    if (b->info().target != Target::Cuda) continue;
    ++gpu_backends;
    const auto rules = b->check(p, cpu);
    const RuleResult* driver = find_rule(rules, "runtime_library:cuda-driver");
    ASSERT_NE(driver, nullptr) << b->info().id;
    EXPECT_FALSE(driver->met) << b->info().id;
    EXPECT_NE(driver->reason.find("NVIDIA driver not found"), std::string::npos) << driver->reason;
    const RuleResult* cublas = find_rule(rules, "runtime_library:cublas");
    EXPECT_EQ(cublas != nullptr, b->info().id == "cublas-math") << b->info().id;
    if (cublas) EXPECT_FALSE(cublas->met);
  }
  EXPECT_GE(gpu_backends, 5);
}

TEST(RuntimeLibraries, WhatIfProfilesAreJudgedWithoutThisMachinesLibraries) {
  Registry reg;
  register_builtin_backends(reg);
  Problem p;
  p.dtype = DType::F16;
  const DeviceInfo* h100 = find_profile("h100");
  ASSERT_NE(h100, nullptr);
  EXPECT_TRUE(h100->runtime_libraries.empty());
  for (const auto& b : reg.backends())
    for (const auto& r : b->check(p, *h100)) EXPECT_EQ(r.rule.rfind("runtime_library:", 0), std::string::npos) << r.rule;
}

TEST(RuntimeLibraries, DiscoveryGivesEveryRealDeviceTheSameListAndRoundTripsIt) {
  const DeviceList list = discover_devices();
  for (const auto& d : list.devices) {
    if (!d.is_real()) EXPECT_TRUE(d.runtime_libraries.empty()) << d.id;
    else if (build::with_cuda()) {
      ASSERT_EQ(d.runtime_libraries.size(), 3u) << d.id;
      EXPECT_EQ(d.runtime_libraries[0].id, "cuda-driver");
      EXPECT_EQ(d.runtime_libraries[1].id, "cupti");
      EXPECT_EQ(d.runtime_libraries[2].id, "cublas");
      for (const auto& l : d.runtime_libraries) {
        EXPECT_FALSE(l.detail.empty()) << l.id;
        EXPECT_FALSE(l.fix.empty()) << l.id;
      }
    }
  }
  DeviceInfo d = cpu_without({library("cupti", "CUPTI", "libcupti.so.13", false)});
  const DeviceInfo back = device_from_json(to_json(d), "device");
  ASSERT_EQ(back.runtime_libraries.size(), 1u);
  EXPECT_EQ(back.runtime_libraries[0].id, "cupti");
  EXPECT_FALSE(back.runtime_libraries[0].found);
  EXPECT_EQ(back.runtime_libraries[0].fix, "install CUPTI");
  EXPECT_FALSE(to_json(*find_profile("t4")).contains("runtime_libraries"));
}

#if ATTNSCOPE_HAVE_CUDA
TEST(DynamicLibrary, OpensTheFirstCandidateThatLoadsAndResolvesSymbols) {
  const auto libc = dynlib::Library::open({"libattnscope-no-such-library.so.7", "libc.so.6"});
  ASSERT_TRUE(libc.loaded()) << libc.why_not();
  EXPECT_NE(libc.path().find("libc.so.6"), std::string::npos) << libc.path();
  EXPECT_NE(libc.function<std::size_t(const char*)>("strlen"), nullptr);
  EXPECT_EQ(libc.symbol("attnscope_no_such_symbol"), nullptr);
  EXPECT_EQ(libc.function<std::size_t(const char*)>("strlen")("four"), 4u);
}

TEST(DynamicLibrary, SaysWhyNoCandidateLoaded) {
  const auto none = dynlib::Library::open(dynlib::soname_then_dirs("libattnscope-no-such-library.so.7", {"/nonexistent"}));
  EXPECT_FALSE(none.loaded());
  EXPECT_EQ(none.symbol("strlen"), nullptr);
  EXPECT_NE(none.why_not().find("libattnscope-no-such-library.so.7"), std::string::npos) << none.why_not();
  EXPECT_NE(none.why_not().find("/nonexistent/libattnscope-no-such-library.so.7"), std::string::npos) << none.why_not();
}
#endif
