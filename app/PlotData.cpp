#include "PlotData.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <map>
#include <set>

#include "BackendColors.h"
#include "ResultsModel.h"
#include "attnscope/rules.hpp"

namespace attnscope::gui {
namespace {

QString tr(const char* s) { return QCoreApplication::translate("Plot", s); }
QString qs(std::string_view s) { return QString::fromUtf8(s.data(), qsizetype(s.size())); }
constexpr double kMiB = 1024.0 * 1024.0;
constexpr int kMaxFacets = 12;  // beyond this, later facet fields are cut to one value (a filter)

// Sort key of a field's value: numbers by size, dtypes in the registry's order, non-causal first.
double fieldNumber(SweepAxis a, const Problem& p) {
  switch (a) {
    case SweepAxis::SeqLength:
    case SweepAxis::QueryLength: return double(p.q_len);
    case SweepAxis::KeyLength: return double(p.kv_len);
    case SweepAxis::HeadDim: return double(p.head_dim);
    case SweepAxis::Batch: return double(p.batch);
    case SweepAxis::QHeads: return double(p.q_heads);
    case SweepAxis::KvHeads: return double(p.kv_heads);
    case SweepAxis::Causal: return p.causal ? 1 : 0;
    case SweepAxis::DType: {
      const auto& all = all_dtypes();
      return double(std::find(all.begin(), all.end(), p.dtype) - all.begin());
    }
  }
  return 0;
}

// "d=64", "causal", "B=4": a value with its field's name, for facet labels and titles.
QString facetText(SweepAxis a, const QString& value) {
  switch (a) {
    case SweepAxis::SeqLength: return QStringLiteral("N=") + value;
    case SweepAxis::QueryLength: return QStringLiteral("Nq=") + value;
    case SweepAxis::KeyLength: return QStringLiteral("Nk=") + value;
    case SweepAxis::HeadDim: return QStringLiteral("d=") + value;
    case SweepAxis::Batch: return QStringLiteral("B=") + value;
    case SweepAxis::QHeads: return QStringLiteral("Hq=") + value;
    case SweepAxis::KvHeads: return QStringLiteral("Hkv=") + value;
    case SweepAxis::DType:
    case SweepAxis::Causal: return value;
  }
  return value;
}

// "B·N=16384" when the product is constant, else "batch follows N".
QString derivedNote(SweepAxis f, SweepAxis master, const std::vector<const Record*>& records) {
  std::set<double> products;
  for (const Record* r : records) products.insert(fieldNumber(f, r->problem) * fieldNumber(master, r->problem));
  const QString fk = fieldKey(f), mk = fieldKey(master);
  if (f == SweepAxis::KvHeads &&
      std::all_of(records.begin(), records.end(), [](const Record* r) { return r->problem.kv_heads == r->problem.q_heads; }))
    return {};  // MHA: Hkv = Hq, nothing more to say
  if (products.size() == 1 && master != SweepAxis::DType && master != SweepAxis::Causal)
    return QStringLiteral("%1·%2=%3").arg(fk, mk).arg(*products.begin(), 0, 'g', 12);
  return tr("%1 follows %2").arg(fk, mk);
}

// Whether every value of `master` goes with one value of `f` over these records.
bool determines(SweepAxis master, SweepAxis f, const std::vector<const Record*>& records) {
  std::map<QString, QString> seen;
  for (const Record* r : records) {
    const auto [it, fresh] = seen.emplace(fieldValue(master, r->problem), fieldValue(f, r->problem));
    if (!fresh && it->second != fieldValue(f, r->problem)) return false;
  }
  return true;
}

// The dtype a chart shows until more are ticked: the one with the most measured points, so the chart shows
// most of what the files hold (float16 first, as before, hid all of a bfloat16 file opened beside one with
// both dtypes, and left its bfloat16-only head dims as empty panels under a "float16" title). Ties go to
// float16, then bfloat16 (what papers plot), then the registry's order.
QString preferredDtype(const QStringList& values, const std::vector<const Record*>& records) {
  std::map<QString, int> measured;
  for (const Record* r : records)
    if (r->status == Status::Ok) ++measured[fieldValue(SweepAxis::DType, r->problem)];
  QStringList order;
  for (const char* t : {"float16", "bfloat16"})
    if (values.contains(QLatin1String(t))) order << QLatin1String(t);
  for (const QString& v : values)
    if (!order.contains(v)) order << v;
  // max_element keeps the first of equals: the order above breaks ties.
  return *std::max_element(order.begin(), order.end(), [&](const QString& a, const QString& b) { return measured[a] < measured[b]; });
}

QString defaultBaseline(const QStringList& backends) {
  // The textbook implementation first: a speed-up "against naive attention" is what papers show.
  for (const char* id : {"naive", "cublas-math", "cpu-math", "cpu-reference"})
    if (backends.contains(QLatin1String(id))) return QLatin1String(id);
  return backends.isEmpty() ? QString() : backends.front();
}

}  // namespace

QString metricTitle(Metric m) {
  switch (m) {
    case Metric::Latency: return tr("latency [ms] (median, p10–p90)");
    case Metric::PeakMemory: return tr("peak memory [MiB]");
    case Metric::Tflops: return tr("throughput [TFLOP/s]");
    case Metric::PctPeak: return tr("% of compute peak");
    case Metric::Bandwidth: return tr("memory throughput [GB/s]");
    case Metric::PctBandwidth: return tr("% of DRAM bandwidth");
    case Metric::Speedup: return tr("speed-up [×]");
    case Metric::PctCopy: return tr("% of copy bandwidth");
    case Metric::PredictedMemory: return tr("predicted memory [MiB] (output + workspace)");
  }
  return {};
}

QString metricShortTitle(Metric m) {
  switch (m) {
    case Metric::PctPeak: return tr("% peak");
    case Metric::PctBandwidth: return tr("% DRAM bw");
    case Metric::PctCopy: return tr("% copy bw");
    default: return QLatin1Char('[') + metricTitle(m).section(QLatin1Char('['), -1).section(QLatin1Char(']'), 0, 0) + QLatin1Char(']');
  }
}

QString axisTitle(SweepAxis a) {
  switch (a) {
    case SweepAxis::SeqLength: return tr("sequence length N");  // self-attention: Nq = Nk = N
    case SweepAxis::QueryLength: return tr("query length Nq");
    case SweepAxis::KeyLength: return tr("key length Nk");
    case SweepAxis::HeadDim: return tr("head dim d");
    case SweepAxis::DType: return tr("dtype");
    case SweepAxis::Batch: return tr("batch");
    case SweepAxis::Causal: return tr("mask");
    case SweepAxis::QHeads: return tr("query heads Hq");
    case SweepAxis::KvHeads: return tr("key/value heads Hkv");
  }
  return {};
}

QString fieldKey(SweepAxis a) {
  switch (a) {
    case SweepAxis::SeqLength: return QStringLiteral("N");
    case SweepAxis::QueryLength: return QStringLiteral("Nq");
    case SweepAxis::KeyLength: return QStringLiteral("Nk");
    case SweepAxis::HeadDim: return QStringLiteral("d");
    case SweepAxis::DType: return QStringLiteral("dtype");
    case SweepAxis::Batch: return QStringLiteral("B");
    case SweepAxis::Causal: return QStringLiteral("causal");
    case SweepAxis::QHeads: return QStringLiteral("Hq");
    case SweepAxis::KvHeads: return QStringLiteral("Hkv");
  }
  return {};
}

std::optional<SweepAxis> parseFieldKey(const QString& key) {
  for (SweepAxis a : {SweepAxis::SeqLength, SweepAxis::QueryLength, SweepAxis::KeyLength, SweepAxis::HeadDim, SweepAxis::DType,
                      SweepAxis::Batch, SweepAxis::Causal, SweepAxis::QHeads, SweepAxis::KvHeads})
    if (fieldKey(a).compare(key, Qt::CaseInsensitive) == 0) return a;
  return std::nullopt;
}

QString fieldValue(SweepAxis a, const Problem& p) {
  switch (a) {
    case SweepAxis::DType: return qs(to_string(p.dtype));
    case SweepAxis::Causal: return p.causal ? QStringLiteral("causal") : QStringLiteral("non-causal");
    default: return QString::number(fieldNumber(a, p), 'g', 12);
  }
}

const PlotField* PlotModel::field(SweepAxis a) const {
  for (const PlotField& f : fields)
    if (f.field == a) return &f;
  return nullptr;
}

std::vector<SweepAxis> PlotModel::axisChoices() const {
  std::vector<SweepAxis> out;
  for (const PlotField& f : fields)
    if (f.field != SweepAxis::Causal) out.push_back(f.field);
  return out;
}

std::optional<double> PlotPoint::value(Metric m) const {
  if (m == Metric::PredictedMemory) {
    // A prediction means something where memory is the only obstacle on that device (the point of the
    // chart); what this build lacks (CUDA, a kernel image for the architecture) says nothing of the device.
    const double bytes = double(record.memory.predicted_output + record.memory.predicted_workspace);
    const bool onlyMemory = std::all_of(record.unmet.begin(), record.unmet.end(), [](const RuleResult& r) {
      return r.kind == RuleKind::Memory || r.rule == "cuda_build" || r.rule == "kernel_image";
    });
    const bool meaningful = ok() || record.status == Status::OutOfMemory || (record.status == Status::Ineligible && onlyMemory);
    return meaningful && bytes > 0 ? std::optional<double>(bytes / kMiB) : std::nullopt;
  }
  if (!ok() || predicted) return std::nullopt;
  auto positive = [](double v) { return v > 0 ? std::optional<double>(v) : std::nullopt; };
  switch (m) {
    case Metric::Latency: return positive(record.latency_us.median / 1000.0);
    case Metric::PeakMemory:
      if (record.memory.peak) return positive(double(*record.memory.peak) / kMiB);
      return std::nullopt;
    case Metric::Tflops: return positive(record.tflops);
    case Metric::PctPeak: return positive(record.pct_of_peak);
    case Metric::Bandwidth: return positive(record.gbs);
    case Metric::PctBandwidth:
      if (record.pct_of_bandwidth > 0 || devicePeakGbs <= 0) return positive(record.pct_of_bandwidth);
      return positive(100.0 * record.gbs / devicePeakGbs);
    case Metric::Speedup:
      if (baselineUs && record.latency_us.median > 0) return positive(*baselineUs / record.latency_us.median);
      return std::nullopt;
    case Metric::PctCopy: return copyGbs > 0 ? positive(100.0 * record.gbs / copyGbs) : std::nullopt;
    case Metric::PredictedMemory: break;  // above
  }
  return std::nullopt;
}

std::optional<double> PlotPoint::intensity() const {
  const double bytes = double(record.problem.bytes_moved());
  if (!ok() || bytes <= 0 || record.flops <= 0) return std::nullopt;
  return record.flops / bytes;
}

QString PlotPoint::gapReason() const {
  if (ok()) return {};
  const QString why = recordProblemText(record);
  return why.isEmpty() ? statusText(record) : statusText(record) + QStringLiteral(": ") + why;
}

QString PlotPoint::hoverText(const QString& seriesName) const {
  const Record& r = record;
  QString html = QStringLiteral("<b>%1</b><br/>%2").arg(seriesName.toHtmlEscaped(), qs(r.problem.describe()).toHtmlEscaped());
  if (predicted) {
    html += QStringLiteral("<br/>") + tr("predicted by the backend's memory model (not measured): output %1, workspace %2")
                                          .arg(qs(format_bytes(r.memory.predicted_output)), qs(format_bytes(r.memory.predicted_workspace)))
                                          .toHtmlEscaped();
    for (const RuleResult& rule : r.unmet)
      html += QStringLiteral("<br/><span style='color:#b00020'>%1</span>").arg(qs(rule.reason.empty() ? rule.rule : rule.reason).toHtmlEscaped());
    return html;
  }
  if (!ok()) return html + QStringLiteral("<br/><span style='color:#b00020'>%1</span>").arg(gapReason().toHtmlEscaped());
  const Summary& l = r.latency_us;
  html += QStringLiteral("<table cellspacing='0' cellpadding='1'>");
  auto row = [&](const QString& k, const QString& v) {
    html += QStringLiteral("<tr><td>%1&nbsp;</td><td>%2</td></tr>").arg(k, v.toHtmlEscaped());
  };
  if (!r.variant.empty()) row(tr("ran"), qs(r.variant));  // the implementation: cuDNN's plan, flash3's kernel
  row(tr("median"), formatMicros(l.median));
  row(tr("p10 – p90"), formatMicros(l.p10) + QStringLiteral(" – ") + formatMicros(l.p90));
  row(tr("min / max"), formatMicros(l.min) + QStringLiteral(" / ") + formatMicros(l.max));
  row(tr("samples"), QStringLiteral("%1 (%2%3)").arg(l.n).arg(qs(r.timer)).arg(r.converged ? QString() : tr(", noisy")));
  if (r.busy_us) row(tr("kernel busy"), formatMicros(r.busy_us->median));
  if (r.tflops > 0) row(tr("throughput"), QStringLiteral("%1 TFLOP/s").arg(r.tflops, 0, 'g', 4));
  if (r.pct_of_peak > 0) row(tr("of peak"), QStringLiteral("%1 %").arg(r.pct_of_peak, 0, 'f', 1));
  if (r.gbs > 0) {
    QStringList of;
    if (r.pct_of_bandwidth > 0) of << tr("%1 % of DRAM peak").arg(r.pct_of_bandwidth, 0, 'f', 0);
    if (copyGbs > 0) of << tr("%1 % of measured copy bandwidth").arg(100.0 * r.gbs / copyGbs, 0, 'f', 0);
    row(tr("memory throughput"), tr("%1 GB/s").arg(r.gbs, 0, 'g', 4) + (of.isEmpty() ? QString() : QStringLiteral(" (") + of.join(QStringLiteral(", ")) + QLatin1Char(')')));
  }
  if (r.memory.predicted_output + r.memory.predicted_workspace > 0)
    row(tr("predicted memory"), qs(format_bytes(r.memory.predicted_output + r.memory.predicted_workspace)));
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

std::optional<CopyBandwidth> copyBandwidthBeside(const QString& resultPath, const DeviceInfo& device) {
  QFile f(QFileInfo(resultPath).dir().filePath(QStringLiteral("bandwidth.json")));
  if (!f.open(QIODevice::ReadOnly) || f.size() > (1 << 20)) return std::nullopt;
  const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
  const double gbs = o.value(QStringLiteral("gbs")).toDouble();
  const QString name = o.value(QStringLiteral("name")).toString();
  // Another GPU's copy bandwidth would make every percentage wrong: same device name or nothing.
  if (!(gbs > 0) || name.isEmpty() || name != qs(device.name)) return std::nullopt;
  // The method's first clause ("cudaMemcpyAsync device to device of 1024 MiB") fits under a title.
  const QString method = o.value(QStringLiteral("method")).toString().section(QLatin1Char(','), 0, 0).left(80);
  return CopyBandwidth{gbs, tr("measured %1 GB/s (bandwidth.json: %2)").arg(gbs, 0, 'f', 0).arg(method)};
}

SweepAxis chooseAxis(const std::vector<PlotSource>& sources) {
  std::set<int64_t> q, kv, d, batch;
  std::set<int> dtype;
  bool self = true;
  for (const PlotSource& s : sources)
    for (const Record& r : s.records) {
      const Problem& p = r.problem;
      q.insert(p.q_len), kv.insert(p.kv_len), d.insert(p.head_dim), batch.insert(p.batch), dtype.insert(int(p.dtype));
      self = self && p.q_len == p.kv_len;
    }
  if (q.size() > 1 && self) return SweepAxis::SeqLength;
  if (q.size() > 1) return SweepAxis::QueryLength;
  if (kv.size() > 1) return SweepAxis::KeyLength;
  if (d.size() > 1) return SweepAxis::HeadDim;
  if (dtype.size() > 1) return SweepAxis::DType;
  if (batch.size() > 1) return SweepAxis::Batch;
  return self ? SweepAxis::SeqLength : SweepAxis::KeyLength;
}

PlotModel buildPlotModel(const std::vector<PlotSource>& sources, const PlotOptions& options) {
  PlotModel model;
  // Cancelled points were never measured: they are neither data nor "n/a" (which means ineligible).
  std::vector<const Record*> all;
  std::vector<int> sourceOf;
  bool self = true;
  for (int s = 0; s < int(sources.size()); ++s)
    for (const Record& r : sources[std::size_t(s)].records) {
      if (r.status == Status::Cancelled) continue;
      all.push_back(&r);
      sourceOf.push_back(s);
      self = self && r.problem.q_len == r.problem.kv_len;
    }
  model.predictedOnly = !all.empty();
  for (const PlotSource& s : sources)
    if (!s.records.empty()) {
      model.devices.push_back(s.device);
      model.predictedOnly = model.predictedOnly && s.predicted;
      if (s.copy && !model.copyNote.contains(s.copy->source))
        model.copyNote += (model.copyNote.isEmpty() ? QString() : QStringLiteral("; ")) + s.copy->source;
    }

  // Every field that varies, masters before the fields that may follow from them.
  std::vector<SweepAxis> order;
  if (self) order = {SweepAxis::SeqLength};
  else order = {SweepAxis::QueryLength, SweepAxis::KeyLength};
  for (SweepAxis a : {SweepAxis::HeadDim, SweepAxis::DType, SweepAxis::Causal, SweepAxis::Batch, SweepAxis::QHeads, SweepAxis::KvHeads})
    order.push_back(a);
  std::map<SweepAxis, QStringList> valuesOf;
  for (SweepAxis a : order) {
    std::map<double, QString> sorted;
    for (const Record* r : all) sorted.emplace(fieldNumber(a, r->problem), fieldValue(a, r->problem));
    for (const auto& [n, text] : sorted) valuesOf[a] << text;
  }
  model.axis = chooseAxis(sources);
  if (options.x && valuesOf[*options.x].size() > 1) model.axis = *options.x;
  model.categorical = model.axis == SweepAxis::DType || model.axis == SweepAxis::Causal;

  int facetCount = 1;
  for (SweepAxis a : order) {
    if (valuesOf[a].size() < 2) continue;
    PlotField f{a, valuesOf[a], {}, false, {}};
    if (a != model.axis) {
      // Derived: another field (the x axis or an earlier free one) fixes its value at every point.
      std::vector<SweepAxis> masters{model.axis};
      for (const PlotField& g : model.fields)
        if (!g.derived && g.field != model.axis) masters.push_back(g.field);
      for (SweepAxis m : masters)
        if (determines(m, a, all)) {
          f.derived = true;
          f.derivedNote = derivedNote(a, m, all);
          break;
        }
    }
    if (f.derived) {
      f.selected = f.values;
    } else {
      if (auto it = options.only.find(a); it != options.only.end())
        for (const QString& v : it->second)
          if (f.values.contains(v)) f.selected << v;
      if (f.selected.isEmpty())
        f.selected = (a == SweepAxis::DType && a != model.axis) ? QStringList{preferredDtype(f.values, all)} : f.values;
      if (a != model.axis && f.selected.size() > 1 && !options.singlePanel) {
        if (facetCount * f.selected.size() > kMaxFacets) f.selected = QStringList{f.selected.front()};
        else facetCount *= int(f.selected.size());
      }
    }
    model.fields.push_back(f);
  }
  std::vector<const PlotField*> facetFields;
  for (const PlotField& f : model.fields)
    if (!f.derived && f.field != model.axis && f.selected.size() > 1 && !options.singlePanel) facetFields.push_back(&f);

  // Facets: the first facet field runs fastest, so it becomes the columns (d across, causal down).
  model.facets.assign(std::size_t(facetCount), QString());
  for (int i = 0; i < facetCount; ++i) {
    QStringList parts;
    int rest = i;
    for (const PlotField* f : facetFields) {
      parts << facetText(f->field, f->selected[rest % f->selected.size()]);
      rest /= int(f->selected.size());
    }
    model.facets[std::size_t(i)] = parts.join(QStringLiteral(" · "));
  }
  if (facetFields.size() >= 2) model.facetColumns = int(facetFields.front()->selected.size());
  else model.facetColumns = facetCount <= 3 ? facetCount : (facetCount <= 4 ? 2 : 3);
  auto facetOf = [&](const Problem& p) -> std::optional<int> {
    int index = 0, stride = 1;
    for (const PlotField* f : facetFields) {
      const auto k = f->selected.indexOf(fieldValue(f->field, p));
      if (k < 0) return std::nullopt;
      index += int(k) * stride;
      stride *= int(f->selected.size());
    }
    return index;
  };
  auto kept = [&](const Problem& p) {
    for (const PlotField& f : model.fields)
      if (!f.derived && !f.selected.contains(fieldValue(f.field, p))) return false;
    return true;
  };

  // Two files are an overlay when they measured the same point; otherwise they are one grid.
  if (sources.size() > 1) {
    std::map<std::string, int> firstSource;
    for (std::size_t i = 0; i < all.size() && !model.overlay; ++i) {
      const auto [it, fresh] = firstSource.emplace(all[i]->backend + ' ' + all[i]->problem.describe(), sourceOf[i]);
      model.overlay = !fresh && it->second != sourceOf[i];
    }
  }
  if (model.categorical) model.categories = valuesOf[model.axis];
  std::map<std::tuple<QString, int>, std::size_t> index;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Record& r = *all[i];
    const std::optional<int> facet = facetOf(r.problem);
    if (!facet || !kept(r.problem)) continue;
    const QString backend = qs(r.backend);
    if (!model.backends.contains(backend)) model.backends << backend;
    const int source = model.overlay ? sourceOf[i] : 0;
    const QString key = model.overlay ? QStringLiteral("%1@%2").arg(backend).arg(source + 1) : backend;
    auto it = index.find({key, *facet});
    if (it == index.end()) {
      PlotSeries series;
      series.backend = backend;
      series.key = key;
      series.source = source;
      series.facet = series.group = *facet;
      series.name = backendShortName(backend);
      series.predicted = sources[std::size_t(sourceOf[i])].predicted;
      if (series.predicted && !model.predictedOnly) series.name += tr(" (predicted)");
      if (model.overlay) series.name += QStringLiteral(" [%1: %2]").arg(source + 1).arg(sources[std::size_t(source)].label);
      it = index.emplace(std::make_tuple(key, *facet), model.series.size()).first;
      model.series.push_back(std::move(series));
    }
    PlotPoint pt;
    pt.record = r;
    const PlotSource& from = sources[std::size_t(sourceOf[i])];
    pt.devicePeakGbs = from.device.peak_bandwidth_gbs;
    pt.copyGbs = from.copy ? from.copy->gbs : 0;
    pt.predicted = from.predicted;
    pt.xText = fieldValue(model.axis, r.problem);
    pt.x = model.categorical ? double(model.categories.indexOf(pt.xText) + 1) : fieldNumber(model.axis, r.problem);
    model.series[it->second].points.push_back(std::move(pt));
  }
  for (PlotSeries& s : model.series)
    std::stable_sort(s.points.begin(), s.points.end(), [](const PlotPoint& a, const PlotPoint& b) { return a.x < b.x; });

  // Speed-up: the baseline's median at the same facet, x and file.
  model.baseline = model.backends.contains(options.baseline) ? options.baseline : defaultBaseline(model.backends);
  std::map<std::tuple<int, int, double>, double> baselineAt;
  for (const PlotSeries& s : model.series)
    if (s.backend == model.baseline)
      for (const PlotPoint& p : s.points)
        if (p.ok() && p.record.latency_us.median > 0) baselineAt[{s.source, s.facet, p.x}] = p.record.latency_us.median;
  for (PlotSeries& s : model.series)
    for (PlotPoint& p : s.points)
      if (auto b = baselineAt.find({s.source, s.facet, p.x}); b != baselineAt.end()) p.baselineUs = b->second;

  // Title: the device(s), then what is the same at every shown point.
  QStringList devices;
  for (const DeviceInfo& d : model.devices) devices << qs(d.name.empty() ? d.id : d.name);
  devices.removeDuplicates();
  QStringList fixed;
  if (!all.empty()) {
    const Problem& p = all.front()->problem;
    for (SweepAxis a : order) {
      const PlotField* f = model.field(a);
      if (a == model.axis) continue;
      if (!f) {
        if (a == SweepAxis::Causal && !p.causal) continue;
        if (a == SweepAxis::KvHeads && p.kv_heads == p.q_heads) continue;
        if (a == SweepAxis::KeyLength && self) continue;
        fixed << facetText(a, fieldValue(a, p));
      } else if (f->derived) {
        if (!f->derivedNote.isEmpty()) fixed << f->derivedNote;
      } else if (f->selected.size() == 1) {
        fixed << facetText(a, f->selected.front());
      }
    }
  }
  model.title = devices.join(QStringLiteral(" vs "));
  if (model.predictedOnly) model.title = tr("Predicted for %1").arg(model.title);
  if (!fixed.isEmpty()) model.title += (model.title.isEmpty() ? QString() : QStringLiteral(" — ")) + fixed.join(QStringLiteral(" · "));
  return model;
}

namespace {
struct ChartRow {
  const PlotSeries* series;
  const PlotPoint* point;
};
std::vector<ChartRow> chartRows(const PlotModel& m, const QSet<QString>& hidden) {
  std::vector<ChartRow> rows;
  for (const PlotSeries& s : m.series)
    if (!hidden.contains(s.key))
      for (const PlotPoint& p : s.points) rows.push_back({&s, &p});
  return rows;
}
// "predicted" says a value was not measured; otherwise the record's status.
QString statusOf(const PlotPoint& p) { return p.predicted ? QStringLiteral("predicted") : qs(to_string(p.record.status)); }
QString csvField(QString s) {
  if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"'))) s = QLatin1Char('"') + s.replace(QLatin1String("\""), QLatin1String("\"\"")) + QLatin1Char('"');
  return s;
}
QString number(std::optional<double> v) { return v ? QString::number(*v, 'g', 8) : QString(); }
const QString kIntensityTitle = QStringLiteral("arithmetic intensity [FLOP/byte]");
}  // namespace

QString chartDataCsv(const PlotModel& m, const std::vector<Metric>& metrics, const QSet<QString>& hidden, bool intensity) {
  QString out = QStringLiteral("# %1\n").arg(m.title);
  QStringList header{QStringLiteral("panel"), QStringLiteral("backend"), QStringLiteral("name"), csvField(axisTitle(m.axis))};
  if (intensity) header << csvField(kIntensityTitle);
  for (Metric metric : metrics) header << csvField(metricTitle(metric));
  out += header.join(QLatin1Char(',')) + QStringLiteral(",status\n");
  for (const ChartRow& r : chartRows(m, hidden)) {
    QStringList row{csvField(m.facets[std::size_t(r.series->facet)]), r.series->backend, csvField(r.series->name), r.point->xText};
    if (intensity) row << number(r.point->intensity());
    for (Metric metric : metrics) row << number(r.point->value(metric));
    out += row.join(QLatin1Char(',')) + QLatin1Char(',') + statusOf(*r.point) + QLatin1Char('\n');
  }
  return out;
}

QString chartDataJson(const PlotModel& m, const std::vector<Metric>& metrics, const QSet<QString>& hidden, bool intensity) {
  QJsonArray points;
  for (const ChartRow& r : chartRows(m, hidden)) {
    QJsonObject o{{"panel", m.facets[std::size_t(r.series->facet)]}, {"backend", r.series->backend}, {"name", r.series->name},
                  {"x", r.point->xText}, {"status", statusOf(*r.point)}};
    if (intensity) o.insert(QStringLiteral("intensity"), r.point->intensity() ? QJsonValue(*r.point->intensity()) : QJsonValue());
    QJsonObject values;
    for (Metric metric : metrics) values.insert(metricTitle(metric), r.point->value(metric) ? QJsonValue(*r.point->value(metric)) : QJsonValue());
    o.insert(QStringLiteral("values"), values);
    points.append(o);
  }
  QJsonArray titles;
  for (Metric metric : metrics) titles.append(metricTitle(metric));
  QJsonObject doc{{"title", m.title}, {"x", axisTitle(m.axis)}, {"metrics", titles}, {"points", points}};
  if (intensity) doc.insert(QStringLiteral("intensity"), kIntensityTitle);
  return QString::fromUtf8(QJsonDocument(doc).toJson(QJsonDocument::Indented));
}

}  // namespace attnscope::gui
