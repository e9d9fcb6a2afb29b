// naive and cublas-math against the fp64 reference over dtypes, masks, GQA, lengths and head dims.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "attnscope/registry.hpp"
#include "gpu_check.hpp"

namespace attnscope {
namespace {

const Registry& registry() {
  static const Registry r = [] {
    Registry reg;
    register_builtin_backends(reg);
    return reg;
  }();
  return r;
}

// The plain low-precision error only depends on the problem: share it between the two backends.
double cached_plain_error(const Problem& p, int64_t heads) {
  static std::mutex mu;
  static std::map<std::string, double> cache;
  const std::string key = p.describe() + "/" + std::to_string(heads);
  {
    std::lock_guard lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  const double e = gputest::plain_lowp_error(p, heads);
  std::lock_guard lock(mu);
  return cache[key] = e;
}

struct Case {
  int64_t batch, q_heads, kv_heads, q_len, kv_len, head_dim;
};

// Bound: twice a plain low-precision computation on the same inputs, never below 1e-5 (fp32 results
// differ from the sequential plain sum by accumulation order alone).
void expect_matches_reference(const std::string& backend, const Problem& p, int64_t heads) {
  const Backend* b = registry().find(backend);
  ASSERT_NE(b, nullptr) << backend << " is not registered";
  const auto r = gputest::run_against_reference(*b, p, heads);
  ASSERT_TRUE(r.error.empty()) << p.describe() << ": " << r.error;
  EXPECT_EQ(r.unwritten, 0) << p.describe();
  EXPECT_EQ(r.err.non_finite, 0) << p.describe();
  const double plain = cached_plain_error(p, heads);
  const double bound = std::max(2 * plain, 1e-5);
  EXPECT_LE(r.err.rel_l2, bound) << backend << " " << p.describe() << " plain " << plain;
  EXPECT_LE(r.err.rel_l2, accuracy_tolerance(p.dtype)) << backend << " " << p.describe();
  EXPECT_GT(r.err.compared, 0);
}

using Param = std::tuple<std::string, DType, bool, int64_t /*len*/, int64_t /*head_dim*/>;

class GpuBackendAccuracy : public ::testing::TestWithParam<Param> {};

TEST_P(GpuBackendAccuracy, MatchesFp64Reference) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto& [backend, dtype, causal, len, head_dim] = GetParam();
  Problem p;
  p.batch = len >= 4096 ? 1 : 2;
  p.q_heads = 32;  // GQA 32 query heads over 8 KV heads
  p.kv_heads = 8;
  p.q_len = p.kv_len = len;
  p.head_dim = head_dim;
  p.dtype = dtype;
  p.causal = causal;
  expect_matches_reference(backend, p, len >= 4096 ? 2 : 6);
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  const auto& [backend, dtype, causal, len, head_dim] = info.param;
  std::string b = backend == "cublas-math" ? "cublas" : backend;
  return b + "_" + std::string(to_string(dtype)) + (causal ? "_causal" : "_full") + "_n" + std::to_string(len) + "_d" +
         std::to_string(head_dim);
}

INSTANTIATE_TEST_SUITE_P(All, GpuBackendAccuracy,
                         ::testing::Combine(::testing::Values("naive", "cublas-math"),
                                            ::testing::Values(DType::F32, DType::F16, DType::BF16),
                                            ::testing::Bool(), ::testing::Values(1, 1000, 4096),
                                            ::testing::Values(64, 80, 128)),
                         param_name);

// Decoding and cross-attention shapes: q_len ≠ kv_len with the bottom-right causal mask, including
// rows that see no key at all (q_len > kv_len), odd sizes and MQA.
TEST(GpuBackendShapes, UnequalLengthsOddSizesAndMqa) {
  ATTNSCOPE_REQUIRE_GPU();
  const Case cases[] = {{3, 4, 1, 1, 777, 64}, {1, 6, 2, 130, 67, 40}, {2, 3, 3, 17, 300, 200}, {1, 8, 8, 1, 1, 512}};
  for (const char* backend : {"naive", "cublas-math"})
    for (DType dt : {DType::F32, DType::F16, DType::BF16})
      for (bool causal : {false, true})
        for (const Case& c : cases) {
          Problem p;
          p.batch = c.batch, p.q_heads = c.q_heads, p.kv_heads = c.kv_heads;
          p.q_len = c.q_len, p.kv_len = c.kv_len, p.head_dim = c.head_dim;
          p.dtype = dt, p.causal = causal;
          SCOPED_TRACE(std::string(backend) + " " + p.describe());
          expect_matches_reference(backend, p, 0);
        }
}

TEST(GpuBackendRules, NaiveRefusesHeadDimAbove512AndPredictsQuadraticWorkspace) {
  const Backend* b = registry().find("naive");
  ASSERT_NE(b, nullptr);
  Problem p;
  p.batch = 2, p.q_heads = p.kv_heads = 16, p.q_len = p.kv_len = 8192, p.head_dim = 128;
  const auto m = b->predict_memory(p, *find_profile("h100"));
  EXPECT_EQ(m.workspace_bytes, 2ull * 16 * 8192 * 8192 * 4);
  EXPECT_EQ(m.output_bytes, 2ull * 16 * 8192 * 128 * 2);
  p.head_dim = 576;
  const DeviceInfo* h100 = find_profile("h100");
  ASSERT_NE(h100, nullptr);
  bool refused = false;
  for (const auto& r : b->check(p, *h100))
    if (r.rule == "head_dim_max" && !r.met) refused = true;
  EXPECT_TRUE(refused);
}

}  // namespace
}  // namespace attnscope
