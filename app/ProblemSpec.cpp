#include "ProblemSpec.h"

#include "WorkerLocator.h"
#include "attnscope/sweep.hpp"

namespace attnscope::gui {
QStringList ProblemSpec::problemArgs() const {
  QStringList a{QStringLiteral("--batch"), QString::number(batch), QStringLiteral("--heads"), QString::number(qHeads),
                QStringLiteral("--kv-heads"), QString::number(kvHeads)};
  if (tokens > 0) a << QStringLiteral("--tokens") << QString::number(tokens);
  if (hidden > 0) a << QStringLiteral("--hidden") << QString::number(hidden);
  if (kvLen.trimmed().isEmpty()) {
    a << QStringLiteral("--seq") << qLen.trimmed();
  } else {
    a << QStringLiteral("--q-len") << qLen.trimmed() << QStringLiteral("--kv-len") << kvLen.trimmed();
  }
  a << QStringLiteral("--head-dim") << headDim.trimmed() << QStringLiteral("--dtype") << dtypes.join(',');
  if (causal) a << QStringLiteral("--causal");
  if (!scale.trimmed().isEmpty()) a << QStringLiteral("--scale") << scale.trimmed();
  return a;
}

QStringList ProblemSpec::eligibilityArgs() const {
  QStringList a = problemArgs();
  if (eachPlan) a << QStringLiteral("--plans");
  return a;
}

QStringList ProblemSpec::measurementArgs() const {
  QStringList a;
  if (eachPlan) a << QStringLiteral("--each-plan");
  if (quick)
    return a << QStringLiteral("--min-samples") << QStringLiteral("2") << QStringLiteral("--min-time") << QStringLiteral("0")
             << QStringLiteral("--max-time") << QStringLiteral("1");
  // On a GPU the worker's full rule (≥ 0.5 s of kernel time per point, up to 15 s) spends most of a
  // point on thousands of sub-millisecond samples, each behind an L2 flush and a CUPTI flush (~0.55 ms of
  // overhead a sample on an H100): the Prefill preset took 61 s even with 0.05 s of kernel time a point.
  // The app stops a point on the 1 % noise target alone (≥ 10 samples, ≤ 1 s) and warms up for ≥ 3 runs
  // and 0.02 s; scripts/gpu_bench.sh phase `interactive` compares the medians with the full rule's
  // (docs/performance.md, "Interactive sweeps"). The CPU keeps the worker's CPU defaults.
  // A GPU here, on a remote host ("remote:cuda:0") or all of them ("all").
  const QString id = deviceIdOf(device);
  const bool gpu = id.startsWith(QStringLiteral("cuda")) || id == QStringLiteral("all");
  if (gpu && !sustained)
    return a << QStringLiteral("--min-samples") << QStringLiteral("10") << QStringLiteral("--min-time")
             << QStringLiteral("0") << QStringLiteral("--max-time") << QStringLiteral("1")
             << QStringLiteral("--warmup-time") << QStringLiteral("0.02");
  return a;
}

void ProblemSpec::save(QSettings& s) const {
  s.beginGroup(QStringLiteral("problem"));
  s.setValue("batch", batch);
  s.setValue("qHeads", qHeads);
  s.setValue("kvHeads", kvHeads);
  s.setValue("tokens", tokens);
  s.setValue("hidden", hidden);
  s.setValue("qLen", qLen);
  s.setValue("kvLen", kvLen);
  s.setValue("headDim", headDim);
  s.setValue("dtypes", dtypes);
  s.setValue("causal", causal);
  s.setValue("scale", scale);
  s.setValue("device", device);
  s.setValue("quick", quick);
  s.setValue("sustained", sustained);
  s.setValue("eachPlan", eachPlan);
  s.endGroup();
}

ProblemSpec ProblemSpec::load(const QSettings& s) {
  ProblemSpec d;
  auto v = [&](const char* key, const QVariant& fallback) {
    return s.value(QStringLiteral("problem/") + QLatin1String(key), fallback);
  };
  ProblemSpec p;
  p.batch = v("batch", d.batch).toInt();
  p.qHeads = v("qHeads", d.qHeads).toInt();
  p.kvHeads = v("kvHeads", d.kvHeads).toInt();
  p.tokens = v("tokens", d.tokens).toInt();
  p.hidden = v("hidden", d.hidden).toInt();
  p.qLen = v("qLen", d.qLen).toString();
  p.kvLen = v("kvLen", d.kvLen).toString();
  p.headDim = v("headDim", d.headDim).toString();
  p.dtypes = v("dtypes", d.dtypes).toStringList();
  if (p.dtypes.isEmpty()) p.dtypes = d.dtypes;
  p.causal = v("causal", d.causal).toBool();
  p.scale = v("scale", d.scale).toString();
  p.device = v("device", d.device).toString();
  p.quick = v("quick", d.quick).toBool();
  p.sustained = v("sustained", d.sustained).toBool();
  p.eachPlan = v("eachPlan", d.eachPlan).toBool();
  return p;
}

QString SpecCheck::messageFor(const QString& field) const {
  QStringList lines;
  for (const FieldIssue& i : issues)
    if (i.field == field) lines << i.message;
  return lines.join('\n');
}

SpecCheck checkSpec(const ProblemSpec& spec) {
  SpecCheck out;
  auto keep = [&](const InvalidInput& e) {
    for (const FieldError& f : e.errors())
      out.issues.append({QString::fromStdString(f.field), QString::fromStdString(f.message)});
  };
  SweepSpec sweep;
  sweep.base.batch = spec.batch;
  sweep.base.q_heads = spec.qHeads;
  sweep.base.kv_heads = spec.kvHeads;
  sweep.base.causal = spec.causal;
  if (spec.tokens > 0) sweep.total_tokens = spec.tokens;
  if (spec.hidden > 0) sweep.hidden = spec.hidden;
  // Each field is parsed on its own so every bad field is reported at once, not only the first.
  try {
    sweep.q_lens = parse_int_sweep(spec.qLen.trimmed().toStdString(), "q_len");
  } catch (const InvalidInput& e) {
    keep(e);
  }
  if (!spec.kvLen.trimmed().isEmpty()) {
    try {
      sweep.kv_lens = parse_int_sweep(spec.kvLen.trimmed().toStdString(), "kv_len");
    } catch (const InvalidInput& e) {
      keep(e);
    }
  }
  try {
    sweep.head_dims = parse_int_sweep(spec.headDim.trimmed().toStdString(), "head_dim");
  } catch (const InvalidInput& e) {
    keep(e);
  }
  if (spec.dtypes.isEmpty()) {
    out.issues.append({QStringLiteral("dtype"), QObject::tr("choose at least one dtype (float32, float16, bfloat16)")});
  } else {
    try {
      sweep.dtypes = parse_dtype_list(spec.dtypes.join(',').toStdString());
    } catch (const InvalidInput& e) {
      keep(e);
    }
  }
  if (!spec.scale.trimmed().isEmpty()) {
    bool ok = false;
    const double s = spec.scale.trimmed().toDouble(&ok);
    if (!ok || !(s > 0))
      out.issues.append({QStringLiteral("scale"),
                         QObject::tr("scale is '%1'; expected a positive number, or empty for 1/sqrt(head_dim)")
                             .arg(spec.scale.trimmed())});
    else
      sweep.base.scale = s;
  }
  if (!out.issues.isEmpty()) return out;
  try {
    out.points = expand(sweep);  // validates every point (heads, GQA ratio, limits)
  } catch (const InvalidInput& e) {
    keep(e);
  }
  return out;
}

}  // namespace attnscope::gui
