#pragma once
// What the charts show, computed from records without any plotting library. A result file is a grid:
// the x axis is one swept field (the user may pick another); every other field that varies is either
// a facet (one small panel per value, e.g. head dim × causal) or a filter (one value shown), never a
// series split; fields that follow from another (batch under --tokens, heads under --hidden) are
// recognised as derived and named in the title with what is constant. One series per backend per
// facet — per file too, when two files measured the same points (an overlay).
#include <QColor>
#include <QSet>
#include <QString>
#include <QStringList>
#include <map>
#include <optional>
#include <vector>

#include "attnscope/device.hpp"
#include "attnscope/record.hpp"

namespace attnscope::gui {

enum class Metric { Latency, PeakMemory, Tflops, PctPeak, Bandwidth, PctBandwidth, Speedup, PctCopy, PredictedMemory };
QString metricTitle(Metric m);  // axis label with the unit (latency in ms; the view may rescale)
QString metricShortTitle(Metric m);  // for a panel too short for metricTitle: its unit, or what a percentage is of

// A problem field. SeqLength is q_len when every record has q_len == kv_len (self-attention).
enum class SweepAxis { SeqLength, QueryLength, KeyLength, HeadDim, DType, Batch, Causal, QHeads, KvHeads };
QString axisTitle(SweepAxis a);
QString fieldKey(SweepAxis a);  // "N", "d", "dtype", "causal", ... (filters on the command line)
std::optional<SweepAxis> parseFieldKey(const QString& key);
QString fieldValue(SweepAxis a, const Problem& p);  // "8192", "float16", "causal"

// The device's copy bandwidth (`attnscope-cli bandwidth --json`, a device-to-device copy: bytes read +
// written per second) — the yardstick a memory-bound kernel such as decode is held to.
struct CopyBandwidth {
  double gbs = 0;
  QString source;  // "measured: bandwidth.json (cudaMemcpyAsync …)"
};

struct PlotSource {
  QString label;
  DeviceInfo device;
  std::vector<Record> records;
  std::optional<CopyBandwidth> copy;
  // Not measured: each backend's predict_memory() at every point of a sweep on `device` (a what-if
  // profile), as records holding only the prediction (status ok where eligible, else the unmet rules).
  bool predicted = false;
};

// What the user chose; anything left empty takes the model's default.
struct PlotOptions {
  std::optional<SweepAxis> x;
  std::map<SweepAxis, QStringList> only;  // field → values to keep (texts as fieldValue gives them)
  QString baseline;                       // speed-up against this backend id (default: naive, else the first)
  bool singlePanel = false;               // no facets: every kept point in one panel (the roofline)
};

struct PlotPoint {
  double x = 0;
  QString xText;     // "8192", "float16"
  Record record;     // the whole record: hover text needs kernels, stats, memory
  std::optional<double> baselineUs;  // the baseline backend's median at the same point (speed-up)
  double devicePeakGbs = 0;          // the file's device DRAM peak (files older than pct_of_bandwidth)
  double copyGbs = 0;                // the file's measured copy bandwidth (0: none)
  bool predicted = false;            // a prediction, not a measurement
  bool ok() const { return record.status == Status::Ok; }
  std::optional<double> value(Metric m) const;  // empty when this metric has no value here
  std::optional<double> intensity() const;      // FLOP per byte moved (roofline x)
  QString gapReason() const;                    // why a non-ok point is a gap
  QString hoverText(const QString& seriesName) const;
};

struct PlotSeries {
  QString name;      // legend text: the backend's display name (+ file for overlays)
  QString backend;   // id: decides the colour
  QString key;       // backend id (+ "@file") — what hiding a series hides, in every facet
  int source = 0;    // which PlotSource (overlay ⇒ dashed)
  int facet = 0;     // index into PlotModel::facets
  int group = 0;     // == facet (kept for marker shapes of older callers)
  bool predicted = false;
  std::vector<PlotPoint> points;  // sorted by x
};

struct PlotField {
  SweepAxis field;
  QStringList values;     // every value in the files, in natural order
  QStringList selected;   // the ones shown
  bool derived = false;   // follows from another field: neither facet nor filter
  QString derivedNote;    // "B·N=16384", "batch follows N"
};

struct PlotModel {
  SweepAxis axis = SweepAxis::SeqLength;
  bool categorical = false;  // dtype axis: x = 1..n with text ticks, markers not lines
  QStringList categories;
  QString title;
  std::vector<PlotField> fields;  // every field that varies (x axis included)
  std::vector<QString> facets;    // panel labels ("d=64 · causal"); one "" when there are no facets
  int facetColumns = 1;
  std::vector<PlotSeries> series;
  QString baseline;               // speed-up baseline id actually used
  QStringList backends;           // ids present, in a stable order
  bool overlay = false;           // series split by file
  std::vector<DeviceInfo> devices;
  bool predictedOnly = false;     // nothing measured: the chart is the memory prediction
  QString copyNote;               // where "% of copy bandwidth" comes from ("" when no file has one)
  bool empty() const { return series.empty(); }
  const PlotField* field(SweepAxis a) const;
  std::vector<SweepAxis> axisChoices() const;  // fields the x axis may be
};

// bandwidth.json beside a result file, when it measured the same device (by name); else empty.
std::optional<CopyBandwidth> copyBandwidthBeside(const QString& resultPath, const DeviceInfo& device);

SweepAxis chooseAxis(const std::vector<PlotSource>& sources);
PlotModel buildPlotModel(const std::vector<PlotSource>& sources, const PlotOptions& options = {});

// Exactly what a chart shows (visible series, filters, x field, every metric drawn; the roofline's x is
// the arithmetic intensity), as CSV or JSON.
QString chartDataCsv(const PlotModel& m, const std::vector<Metric>& metrics, const QSet<QString>& hidden, bool intensity = false);
QString chartDataJson(const PlotModel& m, const std::vector<Metric>& metrics, const QSet<QString>& hidden, bool intensity = false);

}  // namespace attnscope::gui
