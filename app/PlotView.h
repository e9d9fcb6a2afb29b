#pragma once
// The charts (QCustomPlot). One metric (or the classic four) against the x field the user picks, as lines
// (markers only on a category axis), grouped bars (the FlashAttention README figure) or a roofline, with
// one small panel per facet (head dim × causal, …) sharing the y axis. One fixed colour per backend id
// (BackendColors). Hidden series, filters, x field and baseline survive view switches and go into
// exports unchanged. Ineligible / out-of-memory / failed points are ✕ marks in the backend's colour
// whose tooltip says why. Hover shows exact values; wheel zooms, drag pans, double-click resets, a
// legend click hides a series in every panel.
// qcustomplot.h is deliberately not included here: it costs ~10 s per translation unit to parse.
#include <QPointF>
#include <QSet>
#include <QSizeF>
#include <QWidget>
#include <memory>
#include <vector>

#include "PlotData.h"

class QCustomPlot;
class QSettings;
class QComboBox;
class QLabel;
class QMouseEvent;
class QToolButton;
class QResizeEvent;

namespace attnscope::gui {

// A figure's printed size and type size. Charts are laid out in points (1/72 in), so the font sizes
// here are what the printed figure has at this width.
struct ExportSpec {
  QSizeF sizePt{504, 302};
  double dpi = 300;    // PNG only
  int fontPt = 8;
  static std::optional<ExportSpec> preset(const QString& name);  // "single", "double", "slide"
  static QStringList presetNames();
};

class PlotView : public QWidget {
  Q_OBJECT
 public:
  enum class Panels { All, Latency, Memory, Tflops, PctPeak, Bandwidth, PctBandwidth, Speedup, PctCopy };
  enum class Kind { Lines, Bars, Roofline };

  // The chart bar's and the Export dialog's choices: (label, value), in menu order.
  static std::vector<std::pair<QString, Kind>> kindChoices();
  static std::vector<std::pair<QString, Panels>> panelChoices();

  explicit PlotView(QWidget* parent = nullptr);
  ~PlotView() override;

  void setSources(std::vector<PlotSource> sources);
  const PlotModel& model() const { return model_; }
  void setPanels(Panels p);
  Panels panels() const { return panels_; }
  void setKind(Kind k);
  Kind kind() const { return kind_; }
  void setOptions(const PlotOptions& o);
  const PlotOptions& options() const { return options_; }
  void setHidden(const QSet<QString>& keys);  // series keys (backend ids; "id@2" for an overlay's file)
  const QSet<QString>& hidden() const { return hidden_; }
  // Every choice at once (the command line's and the Export dialog's), with one rebuild.
  struct Choices {
    Kind kind = Kind::Lines;
    Panels panels = Panels::All;
    PlotOptions options;  // x field, filters (--only), speed-up baseline
    QSet<QString> hidden;
  };
  Choices choices() const { return {kind_, panels_, options_, hidden_}; }
  void setChoices(const Choices& c);
  const std::vector<PlotSource>& sources() const { return sources_; }
  std::vector<Metric> metrics() const;        // the metrics the current view draws
  // The chart choices (kind, metric, x field, filters, baseline, hidden series) under "plot/", so the
  // app opens the way it was left. Values a later file lacks are ignored by the model, not dropped.
  void saveChoices(QSettings& s) const;
  void restoreChoices(QSettings& s);

  QCustomPlot* plot() const { return plot_; }
  // Tooltip text for a position in plot pixels (empty when nothing is near): pure, for tests.
  QString hoverTextAt(const QPointF& pos) const;
  // Pixel position of a series' point (for tests and keyboard help).
  std::optional<QPointF> pixelOf(int series, int point, Metric m) const;
  int plottedPointCount(Metric m) const;  // finite data points drawn for that metric
  int gapMarkerCount() const;
  int panelCount() const;
  QColor seriesColor(int series) const;   // the colour the series is drawn in

  // PNG / PDF / SVG by suffix, or the chart's data for .csv / .json. Returns an error sentence or "".
  QString exportTo(const QString& path, const ExportSpec& spec);
  QString exportTo(const QString& path, int width, int height, double scale = 1.0);  // pixels, 1 px = 1 pt

 public slots:
  void refreshNames();  // relabel when backend display names were learned since the last build

 signals:
  void panelsChanged(attnscope::gui::PlotView::Panels p);
  void viewChanged();  // kind, options or hidden series changed (for settings)

 protected:
  void resizeEvent(QResizeEvent* event) override;

 private:
  int legendColumns() const;
  int panelColumns() const;  // facets side by side: as many as the layout asks for and the width allows
  void rewrapLegend();
  void fitTitles();  // after every layout: the chart's title, the y titles and the sweep's x labels fitted to their room
  int namesVersion_ = -1;
  struct Style;
  void rebuild();
  void rebuildModel();
  void refreshControls();
  void onMouseMove(QMouseEvent* event);
  struct Scene;
  QCustomPlot* plot_;
  QComboBox* kindBox_;
  QComboBox* panelBox_;
  QComboBox* xBox_;
  QComboBox* baselineBox_;
  QLabel* baselineLabel_;  // the baseline is asked for only where it means something (speed-up)
  QToolButton* filterButton_;
  std::vector<PlotSource> sources_;
  PlotModel model_;
  PlotOptions options_;
  QSet<QString> hidden_;
  Panels panels_ = Panels::All;
  Kind kind_ = Kind::Lines;
  std::unique_ptr<Style> style_;
  std::unique_ptr<Scene> scene_;
  bool updatingControls_ = false;
};

}  // namespace attnscope::gui
