// The runner turns every outcome into a record and never lets one backend stop the sweep; the CPU
// executor measures time, memory and accuracy honestly (poisoned output, tracking allocator).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "attnscope/cpu_executor.hpp"
#include "attnscope/half.hpp"
#include "attnscope/platform.hpp"
#include "attnscope/reference.hpp"
#include "attnscope/rules.hpp"
#include "attnscope/runner.hpp"

using namespace attnscope;

namespace {

// A CPU backend whose behaviour the test chooses: write the right answer (via the fp64 reference),
// write nothing, write garbage, take workspace, or throw.
class ScriptedBackend : public Backend {
 public:
  using Body = std::function<void(const Problem&, const Tensors&, ExecContext&)>;
  ScriptedBackend(std::string id, Body body, std::vector<RuleResult> extra_rules = {}, uint64_t workspace = 0,
                  Target target = Target::Cpu)
      : body_(std::move(body)), extra_(std::move(extra_rules)), workspace_(workspace) {
    info_.id = std::move(id);
    info_.name = info_.id;
    info_.target = target;
  }
  const BackendInfo& info() const override { return info_; }
  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    RuleSet rs(p, d);
    rs.target(Target::Cpu);
    for (const auto& r : extra_) rs.custom(r);
    return rs.take();
  }
  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override { return {p.output_bytes(), workspace_}; }
  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override { body_(p, t, ctx); }

 private:
  BackendInfo info_;
  Body body_;
  std::vector<RuleResult> extra_;
  uint64_t workspace_;
};

void write_reference(const Problem& p, const Tensors& t, ExecContext&) {
  std::vector<float> q(p.q_elements()), k(p.kv_elements()), v(p.kv_elements());
  for (std::size_t i = 0; i < q.size(); ++i) q[i] = load_as_float(p.dtype, t.q, i);
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = load_as_float(p.dtype, t.k, i), v[i] = load_as_float(p.dtype, t.v, i);
  std::vector<double> o(std::size_t(p.q_len * p.head_dim)), lse(std::size_t(p.q_len));
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.q_heads; ++h) {
      reference_attention_head(p, q.data(), k.data(), v.data(), {b, h}, o.data(), lse.data());
      for (std::size_t i = 0; i < o.size(); ++i)
        store_from_float(p.dtype, t.o, std::size_t((b * p.q_heads + h) * p.q_len * p.head_dim) + i, float(o[i]));
    }
}

RuleResult unmet_rule(std::string id, RuleKind kind) {
  RuleResult r;
  r.rule = id;
  r.kind = kind;
  r.field = id;
  r.met = false;
  r.reason = id + " is wrong";
  r.hint = "fix " + id;
  return r;
}

Problem small_problem() {
  Problem p;
  p.batch = 1;
  p.q_heads = 2;
  p.kv_heads = 1;
  p.q_len = 24;
  p.kv_len = 40;
  p.head_dim = 16;
  p.causal = true;
  p.dtype = DType::F16;
  return p;
}

MeasureSettings quick() {
  MeasureSettings s;
  s.stopping.min_samples = 3;
  s.stopping.min_time_s = 0;
  s.stopping.max_time_s = 0.5;
  s.stopping.noise_target = 0.5;
  s.warmup_min_runs = 1;
  s.warmup_min_time_s = 0;
  return s;
}

// An executor that reports what the test scripts, so runner logic is tested without timing.
class FakeExecutor : public Executor {
 public:
  std::function<Measurement(const Backend&)> on_measure;
  int calls = 0;
  DeviceInfo dev = [] {
    DeviceInfo d = *find_profile("h100");
    d.id = "fake:0";
    d.kind = DeviceKind::Cpu;  // so CPU-target scripted backends are eligible
    return d;
  }();
  const DeviceInfo& device() const override { return dev; }
  Measurement measure(const Backend& b, const Problem&, const MeasureSettings&, const CancelToken&) override {
    ++calls;
    return on_measure(b);
  }
};

struct Fixture {
  Registry reg;
  std::vector<Problem> points{small_problem(), [] { auto p = small_problem(); p.q_len = p.kv_len = 32; return p; }()};
};

}  // namespace

TEST(Plan, PointMajorAllBackendsOrChosenOnes) {
  Registry reg;
  reg.add(std::make_unique<ScriptedBackend>("a", write_reference));
  reg.add(std::make_unique<ScriptedBackend>("b", write_reference));
  const std::vector<Problem> points{small_problem(), small_problem(), small_problem()};
  const auto all = make_plan(reg, points, {});
  ASSERT_EQ(all.size(), 6u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].item, int64_t(i));
    EXPECT_EQ(all[i].point, int64_t(i / 2));
    EXPECT_EQ(all[i].backend->info().id, i % 2 ? "b" : "a");
  }
  const auto chosen = make_plan(reg, points, {"b"});
  ASSERT_EQ(chosen.size(), 3u);
  EXPECT_EQ(chosen[2].backend->info().id, "b");
  try {
    make_plan(reg, points, {"b", "nope"});
    FAIL() << "unknown backend accepted";
  } catch (const InvalidInput& e) {
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_EQ(e.errors()[0].field, "backends");
    EXPECT_NE(e.errors()[0].message.find("nope"), std::string::npos);
    EXPECT_NE(e.errors()[0].message.find("a, b"), std::string::npos) << "lists the valid ids";
  }
}

// A point whose samples drifted (a clock stepping down) says so in its record's message, where the results table,
// the CLI and the files show it; a steady one does not.
TEST(Runner, ARecordSaysWhenItsSamplesDrifted) {
  Fixture f;
  f.reg.add(std::make_unique<ScriptedBackend>("steady", write_reference));
  f.reg.add(std::make_unique<ScriptedBackend>("throttled", write_reference));
  FakeExecutor exec;
  exec.on_measure = [](const Backend& b) {
    Measurement m;
    m.timer = "cupti";
    for (int i = 0; i < 32; ++i) m.span_us.push_back(b.info().id == "throttled" && i >= 16 ? 3240 : 2980 + i % 3);
    return m;
  };
  Runner runner(f.reg, exec);
  const std::vector<Problem> one{f.points[0]};
  CancelToken cancel;
  MeasureSettings s = quick();
  s.stopping.noise_target = 0.01;
  const auto records = runner.run(one, make_plan(f.reg, one, {}), s, {}, cancel);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].message.find("drifted"), std::string::npos) << records[0].message;
  EXPECT_NE(records[1].message.find("Samples drifted from 2981 to 3240 µs"), std::string::npos) << records[1].message;
}

TEST(Runner, EveryOutcomeBecomesARecordAndTheSweepGoesOn) {
  Fixture f;
  f.reg.add(std::make_unique<ScriptedBackend>("ok", write_reference));
  f.reg.add(std::make_unique<ScriptedBackend>(
      "picky", write_reference,
      std::vector<RuleResult>{unmet_rule("head_dim", RuleKind::Input), unmet_rule("driver", RuleKind::Environment)}));
  f.reg.add(std::make_unique<ScriptedBackend>("throws", write_reference));
  f.reg.add(std::make_unique<ScriptedBackend>("hungry", write_reference));
  FakeExecutor exec;
  exec.on_measure = [](const Backend& b) -> Measurement {
    if (b.info().id == "throws") throw std::runtime_error("kernel launch failed: invalid argument");
    if (b.info().id == "hungry") throw OutOfMemory(uint64_t(3) << 30, uint64_t(1) << 30, "device memory");
    Measurement m;
    m.timer = "steady-clock";
    m.span_us = {400, 100, 200, 300, 500};
    m.memory.peak = 5000;
    m.memory.output = 3000;
    m.memory.workspace = 2000;
    m.accuracy = Accuracy{"cpu-reference", 1e-4, 1e-3, 1e-2, true, 2, 2};
    return m;
  };
  Runner runner(f.reg, exec);
  const auto plan = make_plan(f.reg, f.points, {});
  std::vector<int64_t> progress_done;
  RunCallbacks cb;
  cb.on_progress = [&](const PlanItem&, int64_t done, int64_t total, double) {
    progress_done.push_back(done);
    EXPECT_EQ(total, 8);
  };
  int on_record = 0;
  cb.on_record = [&](const PlanItem&, const Record&) { ++on_record; };
  CancelToken cancel;
  const auto records = runner.run(f.points, plan, quick(), cb, cancel);
  ASSERT_EQ(records.size(), 8u);
  EXPECT_EQ(on_record, 8);
  EXPECT_EQ(progress_done, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(exec.calls, 6) << "the ineligible backend is never measured";

  for (int pt = 0; pt < 2; ++pt) {
    const Record& ok = records[pt * 4 + 0];
    EXPECT_EQ(ok.status, Status::Ok);
    EXPECT_EQ(ok.point, pt);
    EXPECT_EQ(ok.device, "fake:0");
    EXPECT_DOUBLE_EQ(ok.latency_us.median, 300);
    EXPECT_EQ(ok.latency_us.n, 5);
    EXPECT_DOUBLE_EQ(ok.flops, f.points[pt].flops());
    EXPECT_NEAR(ok.tflops, f.points[pt].flops() / 300e-6 / 1e12, 1e-12);
    EXPECT_NEAR(ok.pct_of_peak, 100 * ok.tflops / exec.dev.peak_tflops(DType::F16), 1e-9);
    EXPECT_NEAR(ok.gbs, double(f.points[pt].bytes_moved()) / 300e-6 / 1e9, 1e-9);
    ASSERT_GT(exec.dev.peak_bandwidth_gbs, 0);
    EXPECT_NEAR(ok.pct_of_bandwidth, 100 * ok.gbs / exec.dev.peak_bandwidth_gbs, 1e-9);
    EXPECT_EQ(ok.memory.predicted_output, f.points[pt].output_bytes());
    EXPECT_EQ(ok.memory.peak, 5000u);
    ASSERT_TRUE(ok.accuracy);
    EXPECT_EQ(ok.accuracy->rel_l2, 1e-4);

    const Record& picky = records[pt * 4 + 1];
    EXPECT_EQ(picky.status, Status::Ineligible);
    ASSERT_EQ(picky.unmet.size(), 2u) << "every unmet rule, not just the first";
    EXPECT_EQ(picky.unmet[0].rule, "head_dim");
    EXPECT_EQ(picky.unmet[1].rule, "driver");

    const Record& thrown = records[pt * 4 + 2];
    EXPECT_EQ(thrown.status, Status::Error);
    EXPECT_EQ(thrown.message, "kernel launch failed: invalid argument");

    const Record& oom = records[pt * 4 + 3];
    EXPECT_EQ(oom.status, Status::OutOfMemory);
    EXPECT_NE(oom.message.find("3.00 GiB"), std::string::npos) << oom.message;
    EXPECT_NE(oom.message.find("1.00 GiB"), std::string::npos) << oom.message;
  }
}

TEST(Runner, CancelledRecordStopsTheRunAndStartAtSkips) {
  Fixture f;
  f.reg.add(std::make_unique<ScriptedBackend>("a", write_reference));
  f.reg.add(std::make_unique<ScriptedBackend>("b", write_reference));
  FakeExecutor exec;
  CancelToken cancel;
  exec.on_measure = [&](const Backend& b) -> Measurement {
    if (b.info().id == "b") {
      cancel.cancel();  // the user pressed Ctrl-C during b's samples
      throw Cancelled();
    }
    Measurement m;
    m.span_us = {10, 10, 10};
    return m;
  };
  Runner runner(f.reg, exec);
  const auto plan = make_plan(f.reg, f.points, {});
  auto records = runner.run(f.points, plan, quick(), {}, cancel);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].status, Status::Ok);
  EXPECT_EQ(records[1].status, Status::Cancelled);
  EXPECT_EQ(exec.calls, 2) << "nothing runs after a cancellation";

  CancelToken fresh;
  exec.calls = 0;
  exec.on_measure = [](const Backend&) { Measurement m; m.span_us = {1}; return m; };
  records = runner.run(f.points, plan, quick(), {}, fresh, 3);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].point, 1);
  EXPECT_EQ(records[0].backend, "b");
  EXPECT_THROW(runner.run(f.points, plan, quick(), {}, fresh, 5), InvalidInput);
}

TEST(Runner, LostDeviceIsRecordedOnItsItemAndStopsTheWorker) {
  Fixture f;
  f.reg.add(std::make_unique<ScriptedBackend>("a", write_reference));
  f.reg.add(std::make_unique<ScriptedBackend>("b", write_reference));
  FakeExecutor exec;
  exec.on_measure = [](const Backend& b) -> Measurement {
    if (b.info().id == "b") throw DeviceLost("kernel faulted: an illegal memory access was encountered");
    Measurement m;
    m.span_us = {10, 10, 10};
    return m;
  };
  Runner runner(f.reg, exec);
  const auto plan = make_plan(f.reg, f.points, {});
  CancelToken cancel;
  const auto records = runner.run(f.points, plan, quick(), {}, cancel);
  ASSERT_EQ(records.size(), 2u) << "nothing runs on a broken context after the fault";
  EXPECT_EQ(records[0].status, Status::Ok);
  EXPECT_EQ(records[1].status, Status::Error);
  EXPECT_NE(records[1].message.find("illegal memory access"), std::string::npos);
  EXPECT_TRUE(runner.device_lost());
  EXPECT_EQ(exec.calls, 2);
}

TEST(CpuExecutorRun, ThrowingBackendDoesNotStopRealBackends) {
  Registry reg;
  reg.add(std::make_unique<ScriptedBackend>("throws", [](const Problem&, const Tensors&, ExecContext&) {
    throw std::runtime_error("deliberate failure");
  }));
  register_builtin_backends(reg);
  CpuExecutor exec(cpu_device(), 2);
  Runner runner(reg, exec);
  const std::vector<Problem> points{small_problem()};
  CancelToken cancel;
  const auto records = runner.run(points, make_plan(reg, points, {"throws", "cpu-math", "cpu-reference"}), quick(), {}, cancel);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].status, Status::Error);
  EXPECT_EQ(records[0].message, "deliberate failure");
  const Record& math = records[1];
  ASSERT_EQ(math.status, Status::Ok) << math.message;
  EXPECT_GE(math.latency_us.n, 3);
  EXPECT_GT(math.latency_us.median, 0);
  EXPECT_EQ(math.timer, "steady-clock");
  ASSERT_TRUE(math.accuracy);
  EXPECT_TRUE(math.accuracy->pass) << math.accuracy->rel_l2;
  EXPECT_GT(math.accuracy->rel_l2, 0) << "fp16 output cannot match fp64 exactly";
  EXPECT_EQ(math.accuracy->heads_total, 2);
  EXPECT_EQ(math.memory.method, "tracking-allocator");
  EXPECT_EQ(math.memory.output, points[0].output_bytes());
  EXPECT_EQ(*math.memory.peak, *math.memory.output + *math.memory.workspace);
  EXPECT_LE(*math.memory.workspace, math.memory.predicted_workspace);
  // Where its time went: each phase timed, the samples at least as long as their sum.
  for (const char* phase : {"setup", "warm-up", "samples", "accuracy"}) EXPECT_TRUE(math.phase_s.count(phase)) << phase;
  double sampled = 0;
  for (double us : math.samples_us) sampled += us * 1e-6;
  EXPECT_GE(math.phase_s.at("samples"), sampled);
  const Record& ref = records[2];
  ASSERT_EQ(ref.status, Status::Ok) << ref.message;
  EXPECT_FALSE(ref.accuracy) << "the reference is not checked against itself";
  EXPECT_NE(ref.message.find("reference"), std::string::npos);
}

TEST(CpuExecutorRun, UnwrittenOrWrongOutputFailsTheCheck) {
  CpuExecutor exec(cpu_device(), 1);
  const Problem p = small_problem();
  CancelToken cancel;
  ScriptedBackend lazy("lazy", [](const Problem& p, const Tensors& t, ExecContext& ctx) {
    write_reference(p, t, ctx);
    store_from_float(p.dtype, t.o, 5, 0.25f);  // fine
    store_from_float(p.dtype, t.o, p.o_elements() - 1, std::nanf(""));  // as if the last element were skipped
  });
  Measurement m = exec.measure(lazy, p, quick(), cancel);
  ASSERT_TRUE(m.accuracy);
  EXPECT_FALSE(m.accuracy->pass);

  ScriptedBackend wrong("wrong", [](const Problem& p, const Tensors& t, ExecContext& ctx) {
    write_reference(p, t, ctx);
    for (std::size_t i = 0; i < p.o_elements(); i += 3) store_from_float(p.dtype, t.o, i, 0.5f);
  });
  m = exec.measure(wrong, p, quick(), cancel);
  ASSERT_TRUE(m.accuracy);
  EXPECT_FALSE(m.accuracy->pass);
  EXPECT_GT(m.accuracy->rel_l2, m.accuracy->tolerance);

  ScriptedBackend right("right", write_reference);
  m = exec.measure(right, p, quick(), cancel);
  ASSERT_TRUE(m.accuracy);
  EXPECT_TRUE(m.accuracy->pass);
  EXPECT_LT(m.accuracy->rel_l2, 1e-3);
}

TEST(CpuExecutorRun, WorkspaceIsMeasuredAndLimitsAreEnforced) {
  CpuExecutor exec(cpu_device(), 1);
  const Problem p = small_problem();
  CancelToken cancel;
  ScriptedBackend takes("takes", [](const Problem& p, const Tensors& t, ExecContext& ctx) {
    Workspace a(ctx, 10000);
    { Workspace b(ctx, 2345); }
    Workspace c(ctx, 1000);
    write_reference(p, t, ctx);
  });
  const Measurement m = exec.measure(takes, p, quick(), cancel);
  EXPECT_EQ(m.memory.output, p.output_bytes());
  EXPECT_EQ(m.memory.workspace, 12345u) << "peak of live workspace, not the sum";

  TrackingContext ctx(1, 1000);
  void* a = ctx.allocate(600);
  try {
    ctx.allocate(500);
    FAIL() << "allocation beyond the limit succeeded";
  } catch (const OutOfMemory& e) {
    EXPECT_EQ(e.requested(), 500u);
    EXPECT_EQ(e.free_bytes(), 400u);
  }
  ctx.release(a);
  EXPECT_EQ(ctx.live_bytes(), 0u);
  EXPECT_EQ(ctx.peak_bytes(), 600u);
}

TEST(CpuExecutorRun, CancelledTokenStopsMeasuring) {
  CpuExecutor exec(cpu_device(), 1);
  int runs = 0;
  CancelToken cancel;
  ScriptedBackend counts("counts", [&](const Problem& p, const Tensors& t, ExecContext& ctx) {
    write_reference(p, t, ctx);
    if (++runs == 2) cancel.cancel();
  });
  MeasureSettings s = quick();
  s.stopping.min_samples = 1000;
  s.stopping.max_time_s = 30;
  EXPECT_THROW(exec.measure(counts, small_problem(), s, cancel), Cancelled);
  EXPECT_EQ(runs, 2) << "cancellation is honoured before the next sample";
}

TEST(CpuExecutorRun, RefusesGpuBackends) {
  CpuExecutor exec(cpu_device(), 1);
  ScriptedBackend cuda_backend("gpu-only", write_reference, {}, 0, Target::Cuda);
  CancelToken cancel;
  EXPECT_THROW(exec.measure(cuda_backend, small_problem(), quick(), cancel), std::runtime_error);
}
