#pragma once
// What the plots show, computed from records without any plotting library: the x axis the sweep varies,
// one series per backend (and per value of whatever else the sweep varies, and per result set), each
// point with its metric values or, for ineligible / out-of-memory / failed points, the reason it is a gap.
#include <QColor>
#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

#include "attnscope/device.hpp"
#include "attnscope/record.hpp"

namespace attnscope::gui {

enum class Metric { Latency, PeakMemory, Tflops, PctPeak };
QString metricTitle(Metric m);  // axis label with the unit

enum class SweepAxis { SeqLength, QueryLength, KeyLength, HeadDim, DType, Batch };
QString axisTitle(SweepAxis a);

struct PlotSource {
  QString label;
  DeviceInfo device;
  std::vector<Record> records;
};

struct PlotPoint {
  double x = 0;
  QString xText;     // "8192", "float16"
  Record record;     // the whole record: hover text needs kernels, stats, memory
  bool ok() const { return record.status == Status::Ok; }
  std::optional<double> value(Metric m) const;  // empty when this metric has no value here
  QString gapReason() const;                    // why a non-ok point is a gap
  QString hoverText(const QString& seriesName) const;
};

struct PlotSeries {
  QString name;      // legend text
  QString backend;   // id: decides the colour
  int source = 0;    // which PlotSource (overlay ⇒ dashed)
  int group = 0;     // index of the other swept values (⇒ marker shape)
  std::vector<PlotPoint> points;  // sorted by x
};

struct PlotModel {
  SweepAxis axis = SweepAxis::SeqLength;
  bool categorical = false;  // dtype axis: x = 1..n with text ticks
  QStringList categories;
  QString title;
  std::vector<PlotSeries> series;
  bool empty() const { return series.empty(); }
};

SweepAxis chooseAxis(const std::vector<PlotSource>& sources);
PlotModel buildPlotModel(const std::vector<PlotSource>& sources);

}  // namespace attnscope::gui
