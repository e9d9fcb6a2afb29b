// The runner: plan (points × backends), eligibility, measurement, and one Record per item whatever
// happened. Only cancellation and a lost device stop the walk; every other failure becomes a record.
#include "attnscope/runner.hpp"

#include "attnscope/platform.hpp"

#include <chrono>
#include <cstdio>


namespace attnscope {
namespace {

std::string joined_reasons(const std::vector<RuleResult>& rules) {
  std::string out;
  for (const auto& r : rules) out += (out.empty() ? "" : "; ") + r.reason;
  return out;
}

}  // namespace

std::vector<PlanItem> make_plan(const Registry& reg, const std::vector<Problem>& points,
                                const std::vector<std::string>& backend_ids) {
  std::vector<const Backend*> chosen;
  if (backend_ids.empty()) {
    for (const auto& b : reg.backends()) chosen.push_back(b.get());
  } else {
    std::vector<FieldError> errors;
    for (const auto& id : backend_ids) {
      if (const Backend* b = reg.find(id)) {
        chosen.push_back(b);
        continue;
      }
      std::string valid;
      for (const auto& b : reg.backends()) valid += (valid.empty() ? "" : ", ") + b->info().id;
      errors.push_back({"backends", "backend \"" + id + "\" is not registered; valid backends: " + valid});
    }
    if (!errors.empty()) throw InvalidInput(std::move(errors));
  }
  std::vector<PlanItem> plan;
  plan.reserve(points.size() * chosen.size());
  for (std::size_t pt = 0; pt < points.size(); ++pt)
    for (const Backend* b : chosen) plan.push_back({int64_t(plan.size()), int64_t(pt), b});
  return plan;
}

std::vector<Record> Runner::run(const std::vector<Problem>& points, const std::vector<PlanItem>& plan,
                                const MeasureSettings& settings, const RunCallbacks& cb,
                                const CancelToken& cancel, int64_t start_at) {
  if (start_at < 0 || start_at > int64_t(plan.size()))
    throw InvalidInput({{"start_at", "start_at is " + std::to_string(start_at) + "; allowed 0.." +
                                         std::to_string(plan.size()) + " (items in the plan)"}});
  int64_t next = start_at;
  const int64_t total = int64_t(plan.size());
  return run_items(points, plan, settings, cb, cancel,
                   [&]() -> std::optional<int64_t> { return next < total ? std::optional<int64_t>(next++) : std::nullopt; },
                   start_at);
}

std::vector<Record> Runner::run_items(const std::vector<Problem>& points, const std::vector<PlanItem>& plan,
                                      const MeasureSettings& settings, const RunCallbacks& cb,
                                      const CancelToken& cancel, const NextItem& next_item, int64_t done) {
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t total = int64_t(plan.size());
  std::vector<Record> records;
  // Cancelled between items: nothing half-done to record.
  for (std::optional<int64_t> i; !cancel.cancelled() && (i = next_item()); ++done) {
    if (*i < 0 || *i >= total)
      throw InvalidInput({{"item", "item " + std::to_string(*i) + " is outside the plan of " + std::to_string(total) + " items"}});
    const PlanItem& item = plan[std::size_t(*i)];
    if (cb.on_progress)
      cb.on_progress(item, done, total, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    const Problem& p = points.at(std::size_t(item.point));
    records.push_back(run_one(p, item.point, *item.backend, settings, cancel));
    if (cb.on_record) cb.on_record(item, records.back());
    if (records.back().status == Status::Cancelled || device_lost_) break;
    if (settings.each_variant && records.back().status == Status::Ok) {
      for (const auto& name : item.backend->variants(p, exec_.device())) {
        const std::unique_ptr<Backend> variant = item.backend->with_variant(name);
        if (!variant || cancel.cancelled()) break;
        records.push_back(run_one(p, item.point, *variant, settings, cancel));
        if (cb.on_record) cb.on_record(item, records.back());
        if (records.back().status == Status::Cancelled || device_lost_) break;
      }
      if (records.back().status == Status::Cancelled || device_lost_) break;
    }
  }
  return records;
}

Record Runner::run_one(const Problem& p, int64_t point, const Backend& b, const MeasureSettings& s,
                       const CancelToken& cancel) {
  Record r;
  r.point = point;
  r.problem = p;
  r.backend = b.info().id;
  r.device = exec_.device().id;
  r.timer = exec_.device().timer;
  r.libraries = b.library_versions();
  try {
    r.flops = p.flops();
    const Verdict v = reg_.evaluate(b, p, exec_.device());
    r.memory.predicted_output = v.memory.output_bytes;
    r.memory.predicted_workspace = v.memory.workspace_bytes;
    if (!v.eligible()) {
      r.status = Status::Ineligible;
      r.unmet = v.unmet();
      r.message = joined_reasons(r.unmet);
      return r;
    }
    if (cancel.cancelled()) throw Cancelled();

    Measurement m = exec_.measure(b, p, s, cancel);
    r.status = Status::Ok;
    r.timer = m.timer;
    r.timer_note = m.timer_note;
    r.samples_us = m.span_us;
    r.latency_us = summarize(m.span_us);
    if (!m.busy_us.empty()) r.busy_us = summarize(m.busy_us);
    r.kernels = std::move(m.kernels);
    r.variant = b.variant_used(p);
    r.converged = m.converged;
    r.sm_clock_mhz = m.sm_clock_mhz;
    r.memory.peak = m.memory.peak;
    r.memory.output = m.memory.output;
    r.memory.workspace = m.memory.workspace;
    r.memory.method = m.memory.method;
    r.accuracy = std::move(m.accuracy);
    r.message = std::move(m.note);
    // Said where it is read: the results table's note, the CLI's and the files'.
    if (const Drift d = sample_drift(m.span_us, s.stopping.noise_target); d.drifted) {
      const int decimals = d.first < 10 ? 2 : d.first < 100 ? 1 : 0;  // 3.25, 32.5, 3250, 32500 µs
      char text[256];
      std::snprintf(text, sizeof text,
                    "Samples drifted from %.*f to %.*f µs (medians of the first and second half): a clock or temperature "
                    "change during the point; its median mixes both. ",
                    decimals, d.first, decimals, d.second);
      r.message += text;
    }
    r.phase_s = std::move(m.phase_s);
    if (r.latency_us.median > 0) r.tflops = r.flops / (r.latency_us.median * 1e-6) / 1e12;
    const double peak = exec_.device().peak_tflops(p.dtype);
    r.pct_of_peak = peak > 0 ? 100.0 * r.tflops / peak : 0.0;
    if (r.latency_us.median > 0) r.gbs = double(p.bytes_moved()) / (r.latency_us.median * 1e-6) / 1e9;
    const double bw = exec_.device().peak_bandwidth_gbs;
    r.pct_of_bandwidth = bw > 0 ? 100.0 * r.gbs / bw : 0.0;
    // The memory clock it ran at and whether anything else was on the GPU (NVML; the SM clock is measured).
    if (exec_.device().kind == DeviceKind::Cuda)
      if (const std::optional<GpuState> g = platform::gpu_state(exec_.device())) {
        r.memory_clock_mhz = g->memory_clock_mhz;
        r.other_processes = g->other_processes >= 0 ? std::optional<int>(g->other_processes) : std::nullopt;
      }
  } catch (const Cancelled& e) {
    r.status = Status::Cancelled;
    r.message = e.what();
  } catch (const DeviceLost& e) {
    device_lost_ = true;
    r.status = Status::Error;
    r.message = e.what();
  } catch (const OutOfMemory& e) {
    r.status = Status::OutOfMemory;
    r.message = e.what();  // names where, the bytes asked for and the bytes free
  } catch (const std::exception& e) {
    r.status = Status::Error;
    r.message = e.what();
  } catch (...) {
    r.status = Status::Error;
    r.message = "unknown exception (not derived from std::exception)";
  }
  return r;
}

}  // namespace attnscope
