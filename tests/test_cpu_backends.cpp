// The two CPU backends against attention written out plainly in fp64 right here (full score matrix,
// softmax, product), on random inputs: causal, GQA, q_len ≠ kv_len (both ways), odd sizes, every dtype.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "attnscope/cpu_executor.hpp"
#include "attnscope/half.hpp"
#include "attnscope/platform.hpp"
#include "attnscope/registry.hpp"

using namespace attnscope;

namespace {

struct Case {
  const char* name;
  int64_t batch, q_heads, kv_heads, q_len, kv_len, head_dim;
  bool causal;
};

const Case kCases[] = {
    {"square", 1, 2, 2, 16, 16, 8, false},
    {"causal_square", 2, 3, 3, 33, 33, 16, true},
    {"gqa_causal_longer_kv", 2, 6, 2, 17, 45, 13, true},  // bottom-right mask: every row sees ≥ 29 keys
    {"mqa_shorter_kv", 1, 4, 1, 40, 9, 24, false},
    {"causal_more_queries_than_keys", 1, 2, 1, 12, 5, 7, true},  // first 7 rows see no key ⇒ zeros
    {"decode_one_query", 3, 4, 2, 1, 70, 32, true},
};

Problem problem_of(const Case& c, DType t) {
  Problem p;
  p.batch = c.batch;
  p.q_heads = c.q_heads;
  p.kv_heads = c.kv_heads;
  p.q_len = c.q_len;
  p.kv_len = c.kv_len;
  p.head_dim = c.head_dim;
  p.causal = c.causal;
  p.dtype = t;
  return p;
}

// Random values already representable in t, so the formula and the backend see the same numbers.
std::vector<float> random_values(std::size_t n, DType t, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = round_to(t, u(rng));
  return x;
}

std::vector<unsigned char> stored(const std::vector<float>& x, DType t) {
  std::vector<unsigned char> bytes(x.size() * size_of(t));
  for (std::size_t i = 0; i < x.size(); ++i) store_from_float(t, bytes.data(), i, x[i]);
  return bytes;
}

// O = softmax(scale·Q·Kᵀ + mask)·V, the definition, in double. Rows that see no key are zero.
std::vector<double> plain_attention(const Problem& p, const std::vector<float>& q, const std::vector<float>& k,
                                    const std::vector<float>& v, std::vector<double>* lse) {
  const int64_t D = p.head_dim, Nq = p.q_len, Nk = p.kv_len;
  std::vector<double> o(p.o_elements(), 0.0);
  if (lse) lse->assign(std::size_t(p.batch * p.q_heads * Nq), -std::numeric_limits<double>::infinity());
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.q_heads; ++h) {
      const int64_t hk = h / (p.q_heads / p.kv_heads);
      for (int64_t i = 0; i < Nq; ++i) {
        std::vector<double> s(Nk, -std::numeric_limits<double>::infinity());
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < Nk; ++j) {
          if (p.causal && j > i + (Nk - Nq)) continue;
          double dot = 0;
          for (int64_t c = 0; c < D; ++c)
            dot += double(q[((b * p.q_heads + h) * Nq + i) * D + c]) * double(k[((b * p.kv_heads + hk) * Nk + j) * D + c]);
          s[j] = dot / std::sqrt(double(D));
          mx = std::max(mx, s[j]);
        }
        if (mx == -std::numeric_limits<double>::infinity()) continue;
        double sum = 0;
        for (auto& x : s) sum += (x = std::exp(x - mx));
        double* out = &o[((b * p.q_heads + h) * Nq + i) * D];
        for (int64_t j = 0; j < Nk; ++j)
          for (int64_t c = 0; c < D; ++c) out[c] += s[j] / sum * double(v[((b * p.kv_heads + hk) * Nk + j) * D + c]);
        if (lse) (*lse)[(b * p.q_heads + h) * Nq + i] = mx + std::log(sum);
      }
    }
  return o;
}

struct Outcome {
  std::vector<float> o, lse;
  uint64_t peak_workspace = 0;
};

Outcome run_backend(const Backend& b, const Problem& p, const std::vector<unsigned char>& q,
                    const std::vector<unsigned char>& k, const std::vector<unsigned char>& v, int threads) {
  TrackingContext ctx(threads, uint64_t(1) << 32);
  std::vector<unsigned char> o(p.output_bytes());
  std::vector<float> lse(std::size_t(p.batch * p.q_heads * p.q_len), std::numeric_limits<float>::quiet_NaN());
  for (std::size_t i = 0; i < p.o_elements(); ++i) store_from_float(p.dtype, o.data(), i, std::nanf(""));
  b.run(p, Tensors{q.data(), k.data(), v.data(), o.data(), b.writes_lse() ? lse.data() : nullptr}, ctx);
  EXPECT_EQ(ctx.live_bytes(), 0u) << b.info().id << " leaked workspace";
  Outcome out;
  for (std::size_t i = 0; i < p.o_elements(); ++i) out.o.push_back(load_as_float(p.dtype, o.data(), i));
  out.lse = lse;
  out.peak_workspace = ctx.peak_bytes();
  return out;
}

// Largest error allowed per element: one rounding of the output to the dtype, plus fp32 arithmetic
// for cpu-math (scores of magnitude up to ~4·sqrt(d) lose relative 1e-6 in exp).
double tolerance(const std::string& backend, DType t) {
  const double output_rounding = t == DType::F32 ? 0 : t == DType::F16 ? 2e-3 : 1.6e-2;
  return output_rounding + (backend == "cpu-math" ? 2e-5 : 1e-6);
}

class CpuBackends : public ::testing::TestWithParam<std::tuple<std::string, int, DType>> {};

TEST_P(CpuBackends, MatchPlainFp64Attention) {
  const auto& [id, case_index, dtype] = GetParam();
  const Case& c = kCases[case_index];
  Registry reg;
  register_builtin_backends(reg);
  const Backend* b = reg.find(id);
  ASSERT_NE(b, nullptr);
  const Problem p = problem_of(c, dtype);
  std::mt19937 rng(1000 + case_index);
  const auto q = random_values(p.q_elements(), dtype, rng);
  const auto k = random_values(p.kv_elements(), dtype, rng);
  const auto v = random_values(p.kv_elements(), dtype, rng);
  std::vector<double> want_lse;
  const auto want = plain_attention(p, q, k, v, &want_lse);

  const Outcome got = run_backend(*b, p, stored(q, dtype), stored(k, dtype), stored(v, dtype), 3);
  const double tol = tolerance(id, dtype);
  double worst = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    ASSERT_TRUE(std::isfinite(got.o[i])) << c.name << " element " << i << " not written";
    worst = std::max(worst, std::abs(double(got.o[i]) - want[i]));
  }
  EXPECT_LE(worst, tol) << id << " " << c.name << " " << to_string(dtype);
  if (b->writes_lse())
    for (std::size_t i = 0; i < want_lse.size(); ++i) {
      if (std::isinf(want_lse[i])) EXPECT_TRUE(std::isinf(got.lse[i]) && got.lse[i] < 0) << "row " << i;
      else EXPECT_NEAR(got.lse[i], want_lse[i], 1e-5 * std::max(1.0, std::abs(want_lse[i]))) << "row " << i;
    }
  // The workspace a backend takes never exceeds what it predicted (the prediction greys points out).
  EXPECT_LE(got.peak_workspace, b->predict_memory(p, cpu_device()).workspace_bytes) << id << " " << c.name;
}

INSTANTIATE_TEST_SUITE_P(AllCases, CpuBackends,
                         ::testing::Combine(::testing::Values("cpu-reference", "cpu-math"),
                                            ::testing::Range(0, int(std::size(kCases))),
                                            ::testing::Values(DType::F32, DType::F16, DType::BF16)),
                         [](const auto& info) {
                           std::string id = std::get<0>(info.param);
                           for (auto& ch : id) if (ch == '-') ch = '_';
                           return id + "_" + kCases[std::get<1>(info.param)].name + "_" +
                                  std::string(to_string(std::get<2>(info.param)));
                         });

TEST(CpuBackendsThreads, ResultDoesNotDependOnThreadCount) {
  Registry reg;
  register_builtin_backends(reg);
  const Problem p = problem_of(kCases[2], DType::F32);
  std::mt19937 rng(7);
  const auto q = stored(random_values(p.q_elements(), p.dtype, rng), p.dtype);
  const auto k = stored(random_values(p.kv_elements(), p.dtype, rng), p.dtype);
  const auto v = stored(random_values(p.kv_elements(), p.dtype, rng), p.dtype);
  for (const char* id : {"cpu-reference", "cpu-math"}) {
    const Outcome one = run_backend(*reg.find(id), p, q, k, v, 1);
    const Outcome four = run_backend(*reg.find(id), p, q, k, v, 4);
    EXPECT_EQ(one.o, four.o) << id;
  }
}

TEST(CpuBackendsMemory, MathWorkspaceIsTheScoreMatrixPerThreadAndIsTaken) {
  Registry reg;
  register_builtin_backends(reg);
  const Backend& math = *reg.find("cpu-math");
  Problem p = problem_of(kCases[0], DType::F32);
  p.q_len = 64;
  p.kv_len = 96;
  const MemoryPrediction m = math.predict_memory(p, cpu_device());
  const int threads = int(std::min<unsigned>(std::thread::hardware_concurrency(), unsigned(p.batch * p.q_heads)));
  EXPECT_EQ(m.workspace_bytes, uint64_t(threads) * 64 * 96 * sizeof(float));
  EXPECT_EQ(m.output_bytes, p.output_bytes());
  std::mt19937 rng(3);
  const auto q = stored(random_values(p.q_elements(), p.dtype, rng), p.dtype);
  const auto k = stored(random_values(p.kv_elements(), p.dtype, rng), p.dtype);
  const auto v = stored(random_values(p.kv_elements(), p.dtype, rng), p.dtype);
  const Outcome got = run_backend(math, p, q, k, v, threads);
  EXPECT_EQ(got.peak_workspace, m.workspace_bytes);  // honest: the prediction is what it takes
}

TEST(CpuBackendsRules, EligibleOnTheCpuOnlyWithReasonElsewhere) {
  Registry reg;
  register_builtin_backends(reg);
  Problem p;
  p.dtype = DType::F32;
  DeviceInfo cpu = cpu_device();
  for (const char* id : {"cpu-reference", "cpu-math"}) {
    const Verdict on_cpu = reg.evaluate(*reg.find(id), p, cpu);
    EXPECT_TRUE(on_cpu.eligible()) << id;
    const Verdict on_t4 = reg.evaluate(*reg.find(id), p, *find_profile("t4"));
    ASSERT_FALSE(on_t4.eligible()) << id;
    const auto unmet = on_t4.unmet();
    ASSERT_FALSE(unmet.empty());
    EXPECT_EQ(unmet.front().kind, RuleKind::Environment);
    EXPECT_NE(unmet.front().hint.find("cpu"), std::string::npos) << unmet.front().hint;
  }
}

}  // namespace
