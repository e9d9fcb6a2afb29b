#include "PlotView.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QSvgGenerator>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>

#include "BackendColors.h"

namespace attnscope::gui {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const QCPScatterStyle::ScatterShape kShapes[] = {QCPScatterStyle::ssCircle, QCPScatterStyle::ssSquare,
                                                 QCPScatterStyle::ssTriangle, QCPScatterStyle::ssDiamond,
                                                 QCPScatterStyle::ssTriangleInverted, QCPScatterStyle::ssStar};
const Qt::PenStyle kSourcePens[] = {Qt::SolidLine, Qt::DashLine, Qt::DotLine, Qt::DashDotLine};

std::vector<Metric> metricsFor(PlotView::Panels p) {
  switch (p) {
    case PlotView::Panels::All: return {Metric::Latency, Metric::PeakMemory, Metric::Tflops, Metric::PctPeak};
    case PlotView::Panels::Latency: return {Metric::Latency};
    case PlotView::Panels::Memory: return {Metric::PeakMemory};
    case PlotView::Panels::Tflops: return {Metric::Tflops};
    case PlotView::Panels::PctPeak: return {Metric::PctPeak};
  }
  return {};
}

void setLogAxis(QCPAxis* axis, double base) {
  axis->setScaleType(QCPAxis::stLogarithmic);
  QSharedPointer<QCPAxisTickerLog> ticker(new QCPAxisTickerLog);
  ticker->setLogBase(base);
  ticker->setSubTickCount(base == 2 ? 0 : 8);
  axis->setTicker(ticker);
  axis->setNumberFormat(base == 2 ? "g" : "gb");  // "gb": 10³ rather than 1e+03
  axis->setNumberPrecision(base == 2 ? 7 : 3);
  axis->grid()->setSubGridVisible(base != 2);
}

QCPRange padded(double lo, double hi, bool log, double factor) {
  if (!(lo <= hi)) return log ? QCPRange(1, 10) : QCPRange(0, 1);
  if (log) {
    lo = std::max(lo, 1e-12);
    return QCPRange(lo / factor, std::max(hi, lo) * factor);
  }
  const double span = hi - lo;
  const double pad = span > 0 ? span * (factor - 1) : std::max(std::abs(hi) * 0.1, 1.0);
  return QCPRange(lo - pad, hi + pad);
}

}  // namespace

// Everything needed to answer "what is under the mouse" after a rebuild.
struct PlotView::Scene {
  struct Panel {
    Metric metric;
    QCPAxisRect* rect = nullptr;
  };
  struct Line {
    int series = 0;
    Metric metric;
    QCPGraph* graph = nullptr;
    std::vector<int> pointOfData;  // data index → index into series.points
  };
  struct Gap {
    int series = 0;
    int point = 0;
    QCPItemText* item = nullptr;
  };
  std::vector<Panel> panels;
  std::vector<Line> lines;
  std::vector<Gap> gaps;
};

PlotView::PlotView(QWidget* parent)
    : QWidget(parent), plot_(new QCustomPlot(this)), panelBox_(new QComboBox(this)), scene_(std::make_unique<Scene>()) {
  panelBox_->addItem(tr("All four charts"), int(Panels::All));
  panelBox_->addItem(tr("Latency"), int(Panels::Latency));
  panelBox_->addItem(tr("Peak memory"), int(Panels::Memory));
  panelBox_->addItem(tr("TFLOP/s"), int(Panels::Tflops));
  panelBox_->addItem(tr("% of peak"), int(Panels::PctPeak));
  panelBox_->setObjectName(QStringLiteral("plotPanels"));
  auto* help = new QLabel(tr("Wheel: zoom · drag: pan · double-click: reset · click a legend entry: hide/show"), this);
  help->setStyleSheet(QStringLiteral("color:palette(mid)"));
  auto* bar = new QHBoxLayout;
  bar->addWidget(panelBox_);
  bar->addWidget(help, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(bar);
  layout->addWidget(plot_, 1);
  plot_->setObjectName(QStringLiteral("plot"));
  plot_->setMinimumSize(360, 260);
  plot_->setMouseTracking(true);
  plot_->setNoAntialiasingOnDrag(true);
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom | QCP::iSelectLegend);

  connect(panelBox_, &QComboBox::currentIndexChanged, this,
          [this](int i) { setPanels(Panels(panelBox_->itemData(i).toInt())); });
  connect(plot_, &QCustomPlot::mouseMove, this, &PlotView::onMouseMove);
  connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) { rebuild(); });
  connect(plot_, &QCustomPlot::legendClick, this, [this](QCPLegend*, QCPAbstractLegendItem* item, QMouseEvent*) {
    auto* entry = qobject_cast<QCPPlottableLegendItem*>(item);
    if (!entry) return;
    const QVariant series = entry->plottable()->property("series");
    const bool show = !entry->plottable()->visible();
    for (int i = 0; i < plot_->plottableCount(); ++i)
      if (plot_->plottable(i)->property("series") == series) plot_->plottable(i)->setVisible(show);
    for (const Scene::Gap& g : scene_->gaps)
      if (g.series == series.toInt()) g.item->setVisible(show);
    const bool unavailable = entry->plottable()->property("unavailable").toBool();
    entry->setTextColor(show && !unavailable ? Qt::black : Qt::gray);
    plot_->replot(QCustomPlot::rpQueuedReplot);
  });
  rebuild();
}

PlotView::~PlotView() = default;

void PlotView::setSources(std::vector<PlotSource> sources) {
  sources_ = std::move(sources);
  model_ = buildPlotModel(sources_);
  rebuild();
}

void PlotView::setPanels(Panels p) {
  if (p == panels_) return;
  panels_ = p;
  panelBox_->setCurrentIndex(panelBox_->findData(int(p)));
  rebuild();
  emit panelsChanged(p);
}

void PlotView::rebuild() {
  *scene_ = Scene{};
  plot_->clearItems();
  plot_->clearPlottables();
  plot_->plotLayout()->clear();  // also deletes the legend: plot_->legend is null now
  plot_->legend = nullptr;

  const QString title = model_.empty() ? tr("No results yet — choose a problem and press Run, or open a result file")
                                       : model_.title;
  plot_->plotLayout()->addElement(0, 0, new QCPTextElement(plot_, title, QFont(QStringLiteral("sans"), 10, QFont::Bold)));
  auto* grid = new QCPLayoutGrid;
  plot_->plotLayout()->addElement(1, 0, grid);
  auto* margins = new QCPMarginGroup(plot_);
  const std::vector<Metric> metrics = metricsFor(panels_);
  const int columns = metrics.size() > 1 ? 2 : 1;
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    auto* rect = new QCPAxisRect(plot_);
    grid->addElement(int(i) / columns, int(i) % columns, rect);
    rect->setMarginGroup(QCP::msLeft | QCP::msRight | QCP::msTop | QCP::msBottom, margins);
    scene_->panels.push_back({metrics[i], rect});
  }

  plot_->legend = new QCPLegend;
  plot_->plotLayout()->addElement(2, 0, plot_->legend);
  plot_->legend->setVisible(!model_.empty());
  plot_->legend->setFillOrder(QCPLegend::foColumnsFirst);
  plot_->legend->setWrap(4);
  plot_->legend->setBorderPen(Qt::NoPen);
  plot_->legend->setSelectableParts(QCPLegend::spNone);
  plot_->plotLayout()->setRowStretchFactor(0, 0.001);
  plot_->plotLayout()->setRowStretchFactor(2, 0.001);

  // x extent over every point, gaps included (a gap is still a point of the sweep).
  double xLo = std::numeric_limits<double>::infinity(), xHi = -xLo;
  for (const PlotSeries& s : model_.series)
    for (const PlotPoint& p : s.points) {
      xLo = std::min(xLo, p.x);
      xHi = std::max(xHi, p.x);
    }

  bool firstPanel = true;
  for (const Scene::Panel& panel : scene_->panels) {
    QCPAxis* x = panel.rect->axis(QCPAxis::atBottom);
    QCPAxis* y = panel.rect->axis(QCPAxis::atLeft);
    for (QCPAxis* a : panel.rect->axes()) {
      a->setLayer(QStringLiteral("axes"));
      a->grid()->setLayer(QStringLiteral("grid"));
    }
    x->setLabel(axisTitle(model_.axis));
    y->setLabel(metricTitle(panel.metric));
    if (model_.categorical) {
      QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
      for (int c = 0; c < model_.categories.size(); ++c) ticker->addTick(c + 1, model_.categories[c]);
      x->setTicker(ticker);
      x->setRange(0.5, model_.categories.size() + 0.5);
    } else {
      setLogAxis(x, 2);
      x->setRange(padded(xLo, xHi, true, 1.3));
    }
    const bool logY = panel.metric != Metric::PctPeak;
    if (logY) setLogAxis(y, 10);

    double yLo = std::numeric_limits<double>::infinity(), yHi = -yLo;
    for (int si = 0; si < int(model_.series.size()); ++si) {
      const PlotSeries& s = model_.series[std::size_t(si)];
      const QColor colour = backendColors().color(s.backend);
      QVector<double> keys, values, errKeys, errValues, errMinus, errPlus;
      Scene::Line line{si, panel.metric, nullptr, {}};
      for (int pi = 0; pi < int(s.points.size()); ++pi) {
        const PlotPoint& p = s.points[std::size_t(pi)];
        const std::optional<double> v = p.value(panel.metric);
        keys << p.x;
        values << (v ? *v : kNaN);  // NaN breaks the line: a failed point is a visible gap
        line.pointOfData.push_back(pi);
        if (v) {
          yLo = std::min(yLo, *v);
          yHi = std::max(yHi, *v);
          if (panel.metric == Metric::Latency) {
            const double lo = p.record.latency_us.p10 / 1000.0, hi = p.record.latency_us.p90 / 1000.0;
            errKeys << p.x;
            errValues << *v;
            errMinus << std::max(0.0, *v - lo);
            errPlus << std::max(0.0, hi - *v);
            if (lo > 0) yLo = std::min(yLo, lo);
            yHi = std::max(yHi, hi);
          }
        } else if (!p.ok()) {
          auto* mark = new QCPItemText(plot_);
          mark->setText(QStringLiteral("✕"));
          mark->setColor(colour);
          mark->setFont(QFont(QStringLiteral("sans"), 11, QFont::Bold));
          mark->position->setTypeX(QCPItemPosition::ptPlotCoords);
          mark->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
          mark->position->setAxes(x, y);
          mark->position->setAxisRect(panel.rect);
          mark->position->setCoords(p.x, 0.95 - 0.045 * (si % 8));
          mark->setClipAxisRect(panel.rect);
          mark->setClipToAxisRect(true);
          scene_->gaps.push_back({si, pi, mark});
        }
      }
      auto* g = plot_->addGraph(x, y);
      g->setName(s.name);
      g->setProperty("series", si);
      QPen pen(colour, 2, kSourcePens[s.source % 4]);
      g->setPen(pen);
      g->setScatterStyle(QCPScatterStyle(kShapes[s.group % 6], colour, colour, 6));
      g->setData(keys, values, true);
      if (!firstPanel) {
        g->removeFromLegend();
      } else if (std::none_of(s.points.begin(), s.points.end(), [](const PlotPoint& p) { return p.ok(); })) {
        // Nothing measured: a greyed legend entry whose tooltip gives the reason (hoverTextAt).
        g->setName(s.name + tr(" (n/a)"));
        g->setProperty("unavailable", true);
        if (auto* item = plot_->legend->itemWithPlottable(g)) item->setTextColor(Qt::gray);
      }
      line.graph = g;
      scene_->lines.push_back(std::move(line));
      if (!errKeys.isEmpty()) {
        // Error bars hang on a line-less twin holding only the measured points (no NaN in its data).
        auto* carrier = plot_->addGraph(x, y);
        carrier->setProperty("series", si);
        carrier->setLineStyle(QCPGraph::lsNone);
        carrier->setScatterStyle(QCPScatterStyle::ssNone);
        carrier->setData(errKeys, errValues, true);
        carrier->removeFromLegend();
        auto* bars = new QCPErrorBars(x, y);
        bars->setProperty("series", si);
        bars->removeFromLegend();
        bars->setDataPlottable(carrier);
        bars->setData(errMinus, errPlus);
        bars->setPen(QPen(colour.darker(115), 1));
        bars->setWhiskerWidth(6);
      }
    }
    if (yLo <= yHi) {
      y->setRange(logY ? padded(yLo, yHi, true, 1.6) : QCPRange(0, yHi * 1.15));
    } else {
      y->setRange(logY ? QCPRange(1, 10) : QCPRange(0, 100));
      if (!model_.empty()) {
        auto* note = new QCPItemText(plot_);
        note->position->setType(QCPItemPosition::ptAxisRectRatio);
        note->position->setAxisRect(panel.rect);
        note->position->setCoords(0.5, 0.45);
        note->setClipAxisRect(panel.rect);
        note->setColor(Qt::gray);
        note->setText(panel.metric == Metric::PctPeak ? tr("no data: the device's peak is unknown")
                      : panel.metric == Metric::PeakMemory ? tr("no data: memory was not measured")
                                                           : tr("no successful points"));
      }
    }
    panel.rect->setRangeZoomAxes(x, y);
    panel.rect->setRangeDragAxes(x, y);
    firstPanel = false;
  }
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

QString PlotView::hoverTextAt(const QPointF& pos) const {
  // A legend entry explains its series; a series with no measured point says why.
  if (plot_->legend && plot_->legend->visible()) {
    for (int i = 0; i < plot_->legend->itemCount(); ++i) {
      auto* item = qobject_cast<QCPPlottableLegendItem*>(plot_->legend->item(i));
      if (!item || !item->rect().contains(pos.toPoint())) continue;
      const int si = item->plottable()->property("series").toInt();
      const PlotSeries& s = model_.series[std::size_t(si)];
      for (const PlotPoint& p : s.points)
        if (p.ok()) return QStringLiteral("<b>%1</b>").arg(s.name.toHtmlEscaped());
      return s.points.empty() ? s.name : s.points.front().hoverText(s.name);
    }
  }
  const double tolerance = std::max(8.0, plot_->selectionTolerance() * 1.0);
  double best = tolerance;
  QString text;
  for (const Scene::Line& line : scene_->lines) {
    if (!line.graph->visible() || !line.graph->keyAxis()->axisRect()->rect().contains(pos.toPoint())) continue;
    const auto data = line.graph->data();
    for (int i = 0; i < data->size(); ++i) {
      const auto it = data->at(i);
      if (std::isnan(it->value)) continue;
      const QPointF px(line.graph->keyAxis()->coordToPixel(it->key), line.graph->valueAxis()->coordToPixel(it->value));
      const double d = std::hypot(px.x() - pos.x(), px.y() - pos.y());
      if (d < best) {
        best = d;
        const PlotSeries& s = model_.series[std::size_t(line.series)];
        text = s.points[std::size_t(line.pointOfData[std::size_t(i)])].hoverText(s.name);
      }
    }
  }
  for (const Scene::Gap& gap : scene_->gaps) {
    if (!gap.item->visible()) continue;
    const QPointF px = gap.item->position->pixelPosition();
    const double d = std::hypot(px.x() - pos.x(), px.y() - pos.y());
    if (d < best) {
      best = d;
      const PlotSeries& s = model_.series[std::size_t(gap.series)];
      text = s.points[std::size_t(gap.point)].hoverText(s.name);
    }
  }
  return text;
}

std::optional<QPointF> PlotView::pixelOf(int series, int point, Metric m) const {
  for (const Scene::Line& line : scene_->lines) {
    if (line.series != series || line.metric != m) continue;
    if (point < 0 || point >= line.graph->dataCount()) return std::nullopt;
    const auto it = line.graph->data()->at(point);
    if (std::isnan(it->value)) break;  // a gap: its marker is below
    return QPointF(line.graph->keyAxis()->coordToPixel(it->key), line.graph->valueAxis()->coordToPixel(it->value));
  }
  for (const Scene::Gap& gap : scene_->gaps)
    if (gap.series == series && gap.point == point) return gap.item->position->pixelPosition();
  return std::nullopt;
}

int PlotView::plottedPointCount(Metric m) const {
  int n = 0;
  for (const Scene::Line& line : scene_->lines) {
    if (line.metric != m) continue;
    for (int i = 0; i < line.graph->dataCount(); ++i)
      if (!std::isnan(line.graph->data()->at(i)->value)) ++n;
  }
  return n;
}

int PlotView::gapMarkerCount() const { return int(scene_->gaps.size()); }

void PlotView::onMouseMove(QMouseEvent* event) {
  const QString text = hoverTextAt(event->position());
  if (text.isEmpty()) QToolTip::hideText();
  else QToolTip::showText(event->globalPosition().toPoint(), text, plot_);
}

QString PlotView::exportTo(const QString& path, int width, int height, double scale) const {
  const QString suffix = QFileInfo(path).suffix().toLower();
  bool ok = false;
  if (suffix == QLatin1String("png")) {
    ok = plot_->savePng(path, width, height, scale);
  } else if (suffix == QLatin1String("pdf")) {
    ok = plot_->savePdf(path, width, height, QCP::epNoCosmetic, QStringLiteral("AttnScope"), model_.title);
  } else if (suffix == QLatin1String("svg")) {
    // QCustomPlot has no SVG writer: paint it into a QSvgGenerator.
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(QSize(width, height));
    svg.setViewBox(QRect(0, 0, width, height));
    svg.setTitle(QStringLiteral("AttnScope"));
    svg.setDescription(model_.title);
    QCPPainter painter;
    if (painter.begin(&svg)) {
      plot_->toPainter(&painter, width, height);
      ok = painter.end();
    }
  } else {
    return tr("%1: choose a .png, .pdf or .svg file name for a chart").arg(path);
  }
  return ok ? QString() : tr("Could not write %1").arg(path);
}

}  // namespace attnscope::gui
