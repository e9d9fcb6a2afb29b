#include "PlotData.h"

#include <QCoreApplication>
#include <algorithm>
#include <map>
#include <set>

#include "ResultsModel.h"
#include "attnscope/rules.hpp"

namespace attnscope::gui {
namespace {

QString tr(const char* s) { return QCoreApplication::translate("Plot", s); }
QString qs(std::string_view s) { return QString::fromUtf8(s.data(), qsizetype(s.size())); }
constexpr double kMiB = 1024.0 * 1024.0;

// Which problem fields take more than one value across every record.
struct Variation {
  std::set<int64_t> q, kv, d, batch, qHeads, kvHeads;
  std::set<int> dtype, causal;
  bool selfAttention = true;  // q_len == kv_len at every point
  void add(const Problem& p) {
    q.insert(p.q_len);
    kv.insert(p.kv_len);
    d.insert(p.head_dim);
    batch.insert(p.batch);
    qHeads.insert(p.q_heads);
    kvHeads.insert(p.kv_heads);
    dtype.insert(int(p.dtype));
    causal.insert(p.causal ? 1 : 0);
    selfAttention = selfAttention && p.q_len == p.kv_len;
  }
};

Variation variationOf(const std::vector<PlotSource>& sources) {
  Variation v;
  for (const PlotSource& s : sources)
    for (const Record& r : s.records) v.add(r.problem);
  return v;
}

double xOf(SweepAxis a, const Problem& p) {
  switch (a) {
    case SweepAxis::SeqLength:
    case SweepAxis::QueryLength: return double(p.q_len);
    case SweepAxis::KeyLength: return double(p.kv_len);
    case SweepAxis::HeadDim: return double(p.head_dim);
    case SweepAxis::Batch: return double(p.batch);
    case SweepAxis::DType: return 0;  // categorical, set by the caller
  }
  return 0;
}

// The swept values other than the x axis, as a legend suffix ("float16 · d=128").
QString groupLabel(SweepAxis a, const Variation& v, const Problem& p) {
  QStringList parts;
  if (v.dtype.size() > 1 && a != SweepAxis::DType) parts << qs(to_string(p.dtype));
  if (v.d.size() > 1 && a != SweepAxis::HeadDim) parts << QStringLiteral("d=%1").arg(p.head_dim);
  const bool lengthAxis = a == SweepAxis::SeqLength || a == SweepAxis::QueryLength || a == SweepAxis::KeyLength;
  if (v.selfAttention) {
    if (v.q.size() > 1 && !lengthAxis) parts << QStringLiteral("N=%1").arg(p.q_len);
  } else {
    if (v.q.size() > 1 && a != SweepAxis::QueryLength) parts << QStringLiteral("Nq=%1").arg(p.q_len);
    if (v.kv.size() > 1 && a != SweepAxis::KeyLength) parts << QStringLiteral("Nk=%1").arg(p.kv_len);
  }
  if (v.batch.size() > 1 && a != SweepAxis::Batch) parts << QStringLiteral("B=%1").arg(p.batch);
  if (v.qHeads.size() > 1) parts << QStringLiteral("Hq=%1").arg(p.q_heads);
  if (v.kvHeads.size() > 1) parts << QStringLiteral("Hkv=%1").arg(p.kv_heads);
  if (v.causal.size() > 1) parts << (p.causal ? QStringLiteral("causal") : QStringLiteral("full"));
  return parts.join(QStringLiteral(" · "));
}

// The fixed part of the problem, for the title.
QString constantLabel(const Variation& v, const Problem& p) {
  QStringList parts;
  if (v.batch.size() == 1) parts << QStringLiteral("B=%1").arg(p.batch);
  if (v.qHeads.size() == 1) parts << QStringLiteral("Hq=%1").arg(p.q_heads);
  if (v.kvHeads.size() == 1 && p.kv_heads != p.q_heads) parts << QStringLiteral("Hkv=%1").arg(p.kv_heads);
  if (v.q.size() == 1 && v.kv.size() == 1)
    parts << (p.q_len == p.kv_len ? QStringLiteral("N=%1").arg(p.q_len) : QStringLiteral("Nq=%1 Nk=%2").arg(p.q_len).arg(p.kv_len));
  else if (v.q.size() == 1) parts << QStringLiteral("Nq=%1").arg(p.q_len);
  else if (v.kv.size() == 1 && !v.selfAttention) parts << QStringLiteral("Nk=%1").arg(p.kv_len);
  if (v.d.size() == 1) parts << QStringLiteral("d=%1").arg(p.head_dim);
  if (v.dtype.size() == 1) parts << qs(to_string(p.dtype));
  if (v.causal.size() == 1 && p.causal) parts << QStringLiteral("causal");
  return parts.join(QStringLiteral(" "));
}

}  // namespace

QString metricTitle(Metric m) {
  switch (m) {
    case Metric::Latency: return tr("latency [ms] (median, p10–p90)");
    case Metric::PeakMemory: return tr("peak memory [MiB]");
    case Metric::Tflops: return tr("throughput [TFLOP/s]");
    case Metric::PctPeak: return tr("% of device peak");
  }
  return {};
}

QString axisTitle(SweepAxis a) {
  switch (a) {
    case SweepAxis::SeqLength: return tr("sequence length N (query = key)");
    case SweepAxis::QueryLength: return tr("query length Nq");
    case SweepAxis::KeyLength: return tr("key length Nk");
    case SweepAxis::HeadDim: return tr("head dim d");
    case SweepAxis::DType: return tr("dtype");
    case SweepAxis::Batch: return tr("batch");
  }
  return {};
}

std::optional<double> PlotPoint::value(Metric m) const {
  if (!ok()) return std::nullopt;
  switch (m) {
    case Metric::Latency:
      if (record.latency_us.median > 0) return record.latency_us.median / 1000.0;
      return std::nullopt;
    case Metric::PeakMemory:
      if (record.memory.peak && *record.memory.peak > 0) return double(*record.memory.peak) / kMiB;
      return std::nullopt;
    case Metric::Tflops:
      if (record.tflops > 0) return record.tflops;
      return std::nullopt;
    case Metric::PctPeak:
      if (record.pct_of_peak > 0) return record.pct_of_peak;
      return std::nullopt;
  }
  return std::nullopt;
}

QString PlotPoint::gapReason() const {
  if (ok()) return {};
  const QString why = recordProblemText(record);
  return why.isEmpty() ? statusText(record) : statusText(record) + QStringLiteral(": ") + why;
}

QString PlotPoint::hoverText(const QString& seriesName) const {
  const Record& r = record;
  QString html = QStringLiteral("<b>%1</b><br/>%2").arg(seriesName.toHtmlEscaped(), qs(r.problem.describe()).toHtmlEscaped());
  if (!ok()) return html + QStringLiteral("<br/><span style='color:#b00020'>%1</span>").arg(gapReason().toHtmlEscaped());
  const Summary& l = r.latency_us;
  html += QStringLiteral("<table cellspacing='0' cellpadding='1'>");
  auto row = [&](const QString& k, const QString& v) {
    html += QStringLiteral("<tr><td>%1&nbsp;</td><td>%2</td></tr>").arg(k, v.toHtmlEscaped());
  };
  row(tr("median"), formatMicros(l.median));
  row(tr("p10 – p90"), formatMicros(l.p10) + QStringLiteral(" – ") + formatMicros(l.p90));
  row(tr("min / max"), formatMicros(l.min) + QStringLiteral(" / ") + formatMicros(l.max));
  row(tr("samples"), QStringLiteral("%1 (%2%3)").arg(l.n).arg(qs(r.timer)).arg(r.converged ? QString() : tr(", noisy")));
  if (r.busy_us) row(tr("kernel busy"), formatMicros(r.busy_us->median));
  if (r.tflops > 0) row(tr("throughput"), QStringLiteral("%1 TFLOP/s").arg(r.tflops, 0, 'g', 4));
  if (r.pct_of_peak > 0) row(tr("of peak"), QStringLiteral("%1 %").arg(r.pct_of_peak, 0, 'f', 1));
  if (r.gbs > 0)
    row(tr("memory traffic"), r.pct_of_bandwidth > 0
                                  ? tr("%1 GB/s (%2 % of DRAM peak)").arg(r.gbs, 0, 'g', 4).arg(r.pct_of_bandwidth, 0, 'f', 0)
                                  : tr("%1 GB/s").arg(r.gbs, 0, 'g', 4));
  if (r.memory.peak) {
    QString mem = qs(format_bytes(*r.memory.peak));
    if (r.memory.workspace) mem += tr(" (workspace %1)").arg(qs(format_bytes(*r.memory.workspace)));
    row(tr("peak memory"), mem);
  }
  if (r.accuracy)
    row(tr("rel. L2 error"), QStringLiteral("%1 vs %2%3")
                                 .arg(r.accuracy->rel_l2, 0, 'e', 2)
                                 .arg(qs(r.accuracy->reference))
                                 .arg(r.accuracy->pass ? QString() : tr(" — FAILS tolerance")));
  html += QStringLiteral("</table>");
  if (!r.kernels.empty()) {
    QStringList k;
    for (const std::string& name : r.kernels) k << qs(name).toHtmlEscaped();
    html += QStringLiteral("<small>") + tr("kernels: ") + k.join(QStringLiteral(", ")) + QStringLiteral("</small>");
  }
  return html;
}

SweepAxis chooseAxis(const std::vector<PlotSource>& sources) {
  const Variation v = variationOf(sources);
  if (v.q.size() > 1 && v.selfAttention) return SweepAxis::SeqLength;
  if (v.q.size() > 1) return SweepAxis::QueryLength;
  if (v.kv.size() > 1) return SweepAxis::KeyLength;
  if (v.d.size() > 1) return SweepAxis::HeadDim;
  if (v.dtype.size() > 1) return SweepAxis::DType;
  if (v.batch.size() > 1) return SweepAxis::Batch;
  return v.selfAttention ? SweepAxis::SeqLength : SweepAxis::KeyLength;
}

PlotModel buildPlotModel(const std::vector<PlotSource>& sources) {
  PlotModel model;
  model.axis = chooseAxis(sources);
  model.categorical = model.axis == SweepAxis::DType;
  const Variation v = variationOf(sources);
  if (model.categorical)
    for (DType t : all_dtypes())
      if (v.dtype.count(int(t))) model.categories << qs(to_string(t));

  std::vector<QString> groups;  // order of first appearance ⇒ marker shape
  std::map<std::tuple<int, std::string, QString>, std::size_t> index;
  const Problem* first = nullptr;
  for (int s = 0; s < int(sources.size()); ++s) {
    for (const Record& r : sources[std::size_t(s)].records) {
      if (!first) first = &r.problem;
      const QString group = groupLabel(model.axis, v, r.problem);
      auto g = std::find(groups.begin(), groups.end(), group);
      if (g == groups.end()) g = groups.insert(groups.end(), group);
      const auto key = std::make_tuple(s, r.backend, group);
      auto it = index.find(key);
      if (it == index.end()) {
        PlotSeries series;
        series.backend = qs(r.backend);
        series.source = s;
        series.group = int(g - groups.begin());
        series.name = series.backend;
        if (!group.isEmpty()) series.name += QStringLiteral(" · ") + group;
        if (sources.size() > 1) series.name += QStringLiteral(" [%1]").arg(sources[std::size_t(s)].label);
        it = index.emplace(key, model.series.size()).first;
        model.series.push_back(std::move(series));
      }
      PlotPoint pt;
      pt.record = r;
      if (model.categorical) {
        pt.xText = qs(to_string(r.problem.dtype));
        pt.x = double(model.categories.indexOf(pt.xText) + 1);
      } else {
        pt.x = xOf(model.axis, r.problem);
        pt.xText = QString::number(pt.x, 'g', 10);
      }
      model.series[it->second].points.push_back(std::move(pt));
    }
  }
  for (PlotSeries& s : model.series)
    std::stable_sort(s.points.begin(), s.points.end(), [](const PlotPoint& a, const PlotPoint& b) { return a.x < b.x; });

  QStringList devices;
  for (const PlotSource& s : sources)
    if (!s.records.empty()) devices << QString::fromStdString(s.device.name.empty() ? s.device.id : s.device.name);
  devices.removeDuplicates();
  model.title = devices.join(QStringLiteral(" vs "));
  if (first) {
    const QString fixed = constantLabel(v, *first);
    if (!fixed.isEmpty()) model.title += (model.title.isEmpty() ? QString() : QStringLiteral(" — ")) + fixed;
  }
  return model;
}

}  // namespace attnscope::gui
