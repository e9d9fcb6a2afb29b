#pragma once
// The charts (QCustomPlot): latency with p10–p90 error bars, peak memory, TFLOP/s and % of the device's
// peak against whatever the sweep varies (length on log₂ axes, head dim, or dtype as categories). One
// colour per backend, shared with the table and the backend list; overlaid result sets are dashed.
// Ineligible / out-of-memory / failed points are ✕ marks at the bottom of the chart, in the backend's
// colour, whose tooltip says why. Hover shows exact values and kernel names; wheel zooms, drag pans,
// double-click resets, a legend click hides a series.
// qcustomplot.h is deliberately not included here: it costs ~10 s per translation unit to parse.
#include <QPointF>
#include <QWidget>
#include <memory>
#include <vector>

#include "PlotData.h"

class QCustomPlot;
class QComboBox;
class QMouseEvent;

namespace attnscope::gui {

class PlotView : public QWidget {
  Q_OBJECT
 public:
  enum class Panels { All, Latency, Memory, Tflops, PctPeak };

  explicit PlotView(QWidget* parent = nullptr);
  ~PlotView() override;

  void setSources(std::vector<PlotSource> sources);
  const PlotModel& model() const { return model_; }
  void setPanels(Panels p);
  Panels panels() const { return panels_; }

  QCustomPlot* plot() const { return plot_; }
  // Tooltip text for a position in plot pixels (empty when nothing is near): pure, for tests.
  QString hoverTextAt(const QPointF& pos) const;
  // Pixel position of a series' point in the first shown panel (for tests and keyboard help).
  std::optional<QPointF> pixelOf(int series, int point, Metric m) const;
  int plottedPointCount(Metric m) const;  // finite data points drawn in that panel
  int gapMarkerCount() const;

  // PNG / PDF / SVG by suffix, at w×h (scale multiplies PNG pixels). Returns an error sentence or "".
  QString exportTo(const QString& path, int width, int height, double scale = 1.0) const;

 signals:
  void panelsChanged(attnscope::gui::PlotView::Panels p);

 private:
  void rebuild();
  void onMouseMove(QMouseEvent* event);
  struct Scene;
  QCustomPlot* plot_;
  QComboBox* panelBox_;
  std::vector<PlotSource> sources_;
  PlotModel model_;
  Panels panels_ = Panels::All;
  std::unique_ptr<Scene> scene_;
};

}  // namespace attnscope::gui
