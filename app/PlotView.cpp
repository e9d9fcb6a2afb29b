#include "PlotView.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QBuffer>
#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QMenu>
#include <QPdfWriter>
#include <QResizeEvent>
#include <QSaveFile>
#include <QSettings>
#include <QSvgGenerator>
#include <QToolButton>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "BackendColors.h"
#include "attnscope/rules.hpp"

namespace attnscope::gui {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const Qt::PenStyle kSourcePens[] = {Qt::SolidLine, Qt::DashLine, Qt::DotLine, Qt::DashDotLine};
const QCPScatterStyle::ScatterShape kSourceShapes[] = {QCPScatterStyle::ssCircle, QCPScatterStyle::ssSquare,
                                                       QCPScatterStyle::ssTriangle, QCPScatterStyle::ssDiamond};

// A y axis's labels stand one above the other: in a short panel (wrapped rows, a double-column figure) they
// ran into each other. fitTitles tells the ticker how many label heights the panel is tall (0: no limit), and
// the ticker keeps neighbouring labels at least one label height apart.
class SpacedTicker {
 public:
  virtual ~SpacedTicker() = default;
  double room() const { return room_; }
  void setRoom(double labelHeights) { room_ = labelHeights; }

 protected:
  double room_ = 0;
};

// Log axes: a label at every decade (plain numbers, 10ⁿ beyond them), 2…9 as minor ticks; under about
// one decade of range, 2 and 5 are labelled too so there are always values to read off. Where the labels
// would stand closer than their height, only decades are labelled, and if need be every second (or more).
class DecadeTicker : public QCPAxisTicker, public SpacedTicker {
 protected:
  QVector<double> createTickVector(double, const QCPRange& range) override {
    QVector<double> ticks;
    const int lo = int(std::floor(std::log10(range.lower))), hi = int(std::ceil(std::log10(range.upper)));
    const double decades = std::log10(range.upper / range.lower);
    // 1 → 2 and 5 → 10 are the closest pairs: 0.3 of a decade apart.
    bool fine = range.upper / range.lower < 150;  // up to about two decades: 1, 2, 5, 10, 20, 50 …
    int every = 1;
    if (room_ > 0) {
      fine = fine && decades / std::log10(2.0) <= room_;
      every = std::max(1, int(std::ceil(decades / room_ - 1e-9)));
    }
    const std::vector<double> mantissas = fine ? std::vector<double>{1, 2, 5} : std::vector<double>{1};
    for (int e = lo; e <= hi; ++e)
      if (e % every == 0)
        for (double m : mantissas) ticks << m * std::pow(10.0, e);
    return ticks;
  }
  QVector<double> createSubTickVector(int, const QVector<double>& ticks) override {
    QVector<double> subs;
    if (ticks.isEmpty()) return subs;
    const int lo = int(std::floor(std::log10(ticks.front()))) - 1, hi = int(std::ceil(std::log10(ticks.back())));
    for (int e = lo; e <= hi; ++e)
      for (int m = 2; m <= 9; ++m) subs << m * std::pow(10.0, e);
    return subs;
  }
  QString getTickLabel(double tick, const QLocale&, QChar, int) override {
    const int e = int(std::lround(std::log10(tick)));
    if (std::abs(tick - std::pow(10.0, e)) < 1e-9 * tick && (e >= 6 || e <= -4)) {
      static const QString sup = QStringLiteral("⁰¹²³⁴⁵⁶⁷⁸⁹");
      QString digits;
      for (QChar c : QString::number(std::abs(e))) digits += sup[c.digitValue()];
      return QStringLiteral("10") + (e < 0 ? QStringLiteral("⁻") : QString()) + digits;
    }
    return QString::number(tick, 'g', 6);
  }
};

// Linear axes: QCustomPlot's readable steps, unless they put the labels closer than their height (0–80 % in
// steps of 10 in a 60 px panel): then the cleanest step (1, 2, 2.5 or 5 × 10ⁿ) that leaves room for them, or
// where that labels only one value (0 of 0–92 in a panel 1.7 labels high), a plainer one that labels two (0, 60).
class LinearTicker : public QCPAxisTicker, public SpacedTicker {
 protected:
  double getTickStep(const QCPRange& range) override {
    const double step = QCPAxisTicker::getTickStep(range);
    if (room_ <= 0 || range.size() / step <= room_) return step;
    const double least = range.size() / room_;
    const double decade = std::pow(10.0, std::floor(std::log10(least)));
    auto labelled = [&](double s) { return std::floor(range.upper / s) - std::ceil(range.lower / s) + 1; };
    double clean = 10 * decade;
    for (double m : {5.0, 2.5, 2.0, 1.0})
      if (m * decade >= least) clean = m * decade;
    if (labelled(clean) >= 2) return clean;
    for (double m : {1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0})
      if (m * decade >= least && labelled(m * decade) >= 2) return m * decade;
    return clean;
  }
};

// Powers of two as programmers say them: 512, 1k, 16k, 128k — short enough for a narrow panel.
QString binaryLabel(double v) {
  const auto n = static_cast<long long>(std::llround(v));
  if (n >= 1024 && n % 1024 == 0) return n % (1024 * 1024) == 0 ? QStringLiteral("%1M").arg(n / (1024 * 1024)) : QStringLiteral("%1k").arg(n / 1024);
  return QString::number(v, 'g', 7);
}

constexpr int kPanelSpacing = 4;  // pixels between neighbouring panels

// A sweep axis asks for this many labels when its panel is wide enough (fitTitles lowers it for narrow panels).
constexpr int kSweepTicks = 5;

class BinaryLogTicker : public QCPAxisTickerLog {
 public:
  BinaryLogTicker() { setTickCount(kSweepTicks); }

 protected:
  QString getTickLabel(double tick, const QLocale&, QChar, int) override { return binaryLabel(tick); }
};

void setLogAxis(QCPAxis* axis, int base) {
  axis->setScaleType(QCPAxis::stLogarithmic);
  if (base == 2) {
    QSharedPointer<QCPAxisTickerLog> ticker(new BinaryLogTicker);
    ticker->setLogBase(2);
    ticker->setSubTickCount(0);
    axis->setTicker(ticker);
    axis->setNumberFormat("g");
    axis->setNumberPrecision(7);
    axis->grid()->setSubGridVisible(false);
  } else {
    axis->setTicker(QSharedPointer<QCPAxisTicker>(new DecadeTicker));
    axis->grid()->setSubGridVisible(false);  // minor ticks on the axis are enough; a grid per tick is noise
  }
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

Metric metricOf(PlotView::Panels p) {
  switch (p) {
    case PlotView::Panels::Memory: return Metric::PeakMemory;
    case PlotView::Panels::Tflops: return Metric::Tflops;
    case PlotView::Panels::PctPeak: return Metric::PctPeak;
    case PlotView::Panels::Bandwidth: return Metric::Bandwidth;
    case PlotView::Panels::PctBandwidth: return Metric::PctBandwidth;
    case PlotView::Panels::Speedup: return Metric::Speedup;
    case PlotView::Panels::PctCopy: return Metric::PctCopy;
    default: return Metric::Latency;
  }
}

// Latency labels stay short: µs under a millisecond, s from a thousand milliseconds.
struct TimeUnit {
  double perMs;
  const char* name;
};
TimeUnit timeUnitFor(double maxMs) {
  if (maxMs < 1) return {1000.0, "µs"};
  if (maxMs >= 1000) return {0.001, "s"};
  return {1.0, "ms"};
}

QString axisLabel(Metric m, const TimeUnit& unit) {
  if (m == Metric::Latency) return QCoreApplication::translate("Plot", "latency [%1] (median, p10–p90)").arg(QString::fromUtf8(unit.name));
  return metricTitle(m);
}

bool logScaleFor(Metric m, PlotView::Kind k) {
  if (k == PlotView::Kind::Bars) return false;  // bar lengths only mean something from zero
  return m != Metric::PctPeak && m != Metric::PctBandwidth && m != Metric::PctCopy;
}

}  // namespace

std::optional<ExportSpec> ExportSpec::preset(const QString& name) {
  // Widths of a journal's single and double column; 16:9 slide at 13.33 × 7.5 in (PowerPoint's default).
  if (name == QLatin1String("single")) return ExportSpec{{3.5 * 72, 4.0 * 72}, 300, 7};  // tall enough for 2 × 2 panels
  if (name == QLatin1String("double")) return ExportSpec{{7 * 72, 4.2 * 72}, 300, 8};
  if (name == QLatin1String("slide")) return ExportSpec{{13.333 * 72, 7.5 * 72}, 150, 16};
  return std::nullopt;
}

QStringList ExportSpec::presetNames() { return {QStringLiteral("single"), QStringLiteral("double"), QStringLiteral("slide")}; }

// Fonts and strokes: the window's (application font) or an export's (pixel sizes = points on paper).
struct PlotView::Style {
  QFont tick, label, title, legend, facet;
  double line = 2, marker = 6;
  bool forPrint = false;  // an export: hidden series leave the legend (the window greys them, a click shows them)
  static Style screen() {
    Style s;
    s.tick = s.label = s.legend = s.facet = QApplication::font();
    s.title = QApplication::font();
    s.title.setBold(true);
    s.title.setPointSizeF(s.title.pointSizeF() + 1);
    s.facet.setBold(true);
    return s;
  }
  static Style print(int pt) {
    Style s;
    QFont base(QStringLiteral("DejaVu Sans"));
    base.setPixelSize(pt);
    s.tick = s.label = s.legend = s.facet = base;
    s.title = base;
    s.title.setPixelSize(pt + 1);
    s.title.setBold(true);
    s.facet.setBold(true);
    s.forPrint = true;
    s.line = std::max(1.0, pt / 6.0);
    s.marker = pt * 0.7;
    return s;
  }
};

// Everything needed to answer "what is under the mouse" after a rebuild.
struct PlotView::Scene {
  struct Panel {
    Metric metric;
    int facet = 0;
    QCPAxisRect* rect = nullptr;
    QString yTitle;  // the whole y title (left column only); fitTitles() may show only its unit
    int row = 0, column = 0;  // its cell in the panel grid
  };
  int columns = 0;  // panels side by side in this layout (a resize that changes it lays the chart out again)
  QCPTextElement* title = nullptr;  // the chart's title; fitTitles() may break it after the device name
  QString titleText;                // its whole text, on one line
  struct Line {
    int series = 0;
    Metric metric;
    QCPAbstractPlottable* plottable = nullptr;
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
  std::map<QCPAbstractPlottable*, QString> legendKey;  // legend entry → series key
};

std::vector<std::pair<QString, PlotView::Kind>> PlotView::kindChoices() {
  return {{tr("Lines"), Kind::Lines}, {tr("Grouped bars"), Kind::Bars}, {tr("Roofline"), Kind::Roofline}};
}

std::vector<std::pair<QString, PlotView::Panels>> PlotView::panelChoices() {
  return {{tr("All four charts"), Panels::All},         {tr("Latency"), Panels::Latency},
          {tr("Peak memory"), Panels::Memory},          {tr("TFLOP/s"), Panels::Tflops},
          {tr("% of compute peak"), Panels::PctPeak},   {tr("GB/s (decode)"), Panels::Bandwidth},
          {tr("% of DRAM bandwidth"), Panels::PctBandwidth}, {tr("Speed-up vs baseline"), Panels::Speedup},
          {tr("% of copy bandwidth (decode)"), Panels::PctCopy}};
}

PlotView::PlotView(QWidget* parent)
    : QWidget(parent),
      plot_(new QCustomPlot(this)),
      kindBox_(new QComboBox(this)),
      panelBox_(new QComboBox(this)),
      xBox_(new QComboBox(this)),
      baselineBox_(new QComboBox(this)),
      baselineLabel_(new QLabel(tr("baseline:"), this)),
      filterButton_(new QToolButton(this)),
      style_(std::make_unique<Style>(Style::screen())),
      scene_(std::make_unique<Scene>()) {
  for (const auto& [label, kind] : kindChoices()) kindBox_->addItem(label, int(kind));
  kindBox_->setObjectName(QStringLiteral("plotKind"));
  for (const auto& [label, panels] : panelChoices()) panelBox_->addItem(label, int(panels));
  panelBox_->setObjectName(QStringLiteral("plotPanels"));
  xBox_->setObjectName(QStringLiteral("plotX"));
  xBox_->setToolTip(tr("The field on the x axis; every other field that varies becomes a panel or a filter"));
  baselineBox_->setObjectName(QStringLiteral("plotBaseline"));
  baselineBox_->setToolTip(tr("Speed-up is this backend's median latency divided by each backend's, at the same point"));
  filterButton_->setText(tr("Filter"));
  filterButton_->setPopupMode(QToolButton::InstantPopup);
  filterButton_->setMenu(new QMenu(filterButton_));
  filterButton_->setObjectName(QStringLiteral("plotFilter"));
  auto* help = new QLabel(tr("Wheel: zoom · drag: pan · double-click: reset · legend click: hide/show"), this);
  help->setStyleSheet(QStringLiteral("color:palette(mid)"));
  // The bar must not make the window wider than a small screen: the hint is clipped (its text is also the
  // tooltip) and the combos may shrink below their longest entry (their lists still show it whole).
  help->setToolTip(help->text());
  help->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  for (QComboBox* box : {kindBox_, panelBox_, xBox_, baselineBox_}) box->setMinimumWidth(box == panelBox_ ? 90 : 60);
  auto* bar = new QHBoxLayout;
  bar->addWidget(kindBox_);
  bar->addWidget(panelBox_);
  bar->addWidget(new QLabel(tr("x:"), this));
  bar->addWidget(xBox_);
  bar->addWidget(baselineLabel_);
  bar->addWidget(baselineBox_);
  bar->addWidget(filterButton_);
  bar->addWidget(help, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(bar);
  layout->addWidget(plot_, 1);
  plot_->setObjectName(QStringLiteral("plot"));
  plot_->setMinimumSize(300, 240);  // with the problem column, the window still fits an 800 px wide screen
  plot_->setMouseTracking(true);
  plot_->setNoAntialiasingOnDrag(true);
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom | QCP::iSelectLegend);

  connect(panelBox_, &QComboBox::currentIndexChanged, this, [this](int i) {
    if (!updatingControls_) setPanels(Panels(panelBox_->itemData(i).toInt()));
  });
  connect(kindBox_, &QComboBox::currentIndexChanged, this, [this](int i) {
    if (!updatingControls_) setKind(Kind(kindBox_->itemData(i).toInt()));
  });
  connect(xBox_, &QComboBox::currentIndexChanged, this, [this](int i) {
    if (updatingControls_ || i < 0) return;
    PlotOptions o = options_;
    o.x = SweepAxis(xBox_->itemData(i).toInt());
    setOptions(o);
  });
  connect(baselineBox_, &QComboBox::currentIndexChanged, this, [this](int i) {
    if (updatingControls_ || i < 0) return;
    PlotOptions o = options_;
    o.baseline = baselineBox_->itemData(i).toString();
    setOptions(o);
  });
  connect(plot_, &QCustomPlot::afterLayout, this, &PlotView::fitTitles);
  connect(plot_, &QCustomPlot::mouseMove, this, &PlotView::onMouseMove);
  connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) { rebuild(); });
  connect(plot_, &QCustomPlot::legendClick, this, [this](QCPLegend*, QCPAbstractLegendItem* item, QMouseEvent*) {
    // Hide or show at once, without a rebuild (the legend entry being clicked must stay alive).
    auto* entry = qobject_cast<QCPPlottableLegendItem*>(item);
    if (!entry) return;
    const auto found = scene_->legendKey.find(entry->plottable());
    if (found == scene_->legendKey.end()) return;
    const QString key = found->second;
    const bool show = hidden_.remove(key);
    if (!show) hidden_.insert(key);
    for (int i = 0; i < plot_->plottableCount(); ++i)
      if (plot_->plottable(i)->property("key").toString() == key) plot_->plottable(i)->setVisible(show);
    for (const Scene::Gap& g : scene_->gaps)
      if (model_.series[std::size_t(g.series)].key == key) g.item->setVisible(show);
    entry->setTextColor(show && !entry->plottable()->property("unavailable").toBool() ? Qt::black : Qt::gray);
    plot_->replot(QCustomPlot::rpQueuedReplot);
    QTimer::singleShot(0, this, [this] { refreshControls(); });
    emit viewChanged();
  });
  rebuild();
}

PlotView::~PlotView() = default;

void PlotView::setSources(std::vector<PlotSource> sources) {
  sources_ = std::move(sources);
  rebuildModel();
}

void PlotView::refreshNames() {
  if (namesVersion_ != backendNamesVersion()) rebuildModel();
}

// As many legend columns as the entries allow (names such as "Memory-efficient tiled, fp32 on CUDA cores (n/a)"
// must not run into the next column), at most six. The legend fills rows first, so entry i is in column
// i % columns, and a column is as wide as its widest entry: one long name widens one column, not all.
int PlotView::legendColumns() const {
  std::vector<int> widths;  // each entry's icon, paddings and name
  if (plot_->legend)
    for (int i = 0; i < plot_->legend->itemCount(); ++i)
      if (const QCPLayoutElement* item = qobject_cast<QCPPlottableLegendItem*>(plot_->legend->item(i)))
        widths.push_back(item->minimumOuterSizeHint().width());
  const int room = plot_->viewport().width();
  if (widths.empty()) return std::max(1, std::min(6, room / (style_->legend.pixelSize() > 0 ? style_->legend.pixelSize() * 15 : 170)));
  const QMargins m = plot_->legend->margins();
  for (int columns = std::min<int>(6, int(widths.size())); columns > 1; --columns) {
    int total = m.left() + m.right() + (columns - 1) * plot_->legend->columnSpacing();
    for (int c = 0; c < columns; ++c) {
      int widest = 0;
      for (std::size_t i = std::size_t(c); i < widths.size(); i += std::size_t(columns)) widest = std::max(widest, widths[i]);
      total += widest;
    }
    if (total <= room) return columns;
  }
  return 1;
}

// Facets side by side: four metrics put every facet in one row, one metric its grid (PlotModel::facetColumns).
// Panels narrower than a readable minimum wrap onto more rows instead, in balanced rows (8 facets that fit 5
// across: 4 + 4, not 5 + 3), as ggplot's facet_wrap does. The minimum is what a panel must show to be
// read: its y axis (tick labels as wide as "1000"; the margins are shared, so every column also takes the
// y title's line and the paddings) and four sweep labels ("16k" and a gap each; fitTitles thins labels
// beyond that). At the window's 9 pt about 160 px, at a double-column export's 8 pt about 115 pt: its four
// panels of the standard grid still fit side by side there, as before.
int PlotView::panelColumns() const {
  const int facets = std::max<int>(1, int(model_.facets.size()));
  const bool fourMetrics = metrics().size() > 1;
  if (fourMetrics && facets == 1) return 2;  // the four metrics in a 2 × 2 grid
  const int wanted = std::max(1, fourMetrics ? facets : model_.facetColumns);
  const QFontMetrics tick(style_->tick), label(style_->label);
  const int yAxis = tick.horizontalAdvance(QStringLiteral("1000")) + label.height() + 10;  // + tick label and title paddings
  const int sweep = 4 * tick.horizontalAdvance(QStringLiteral("16k "));
  const int fit = std::max(1, (plot_->viewport().width() + kPanelSpacing) / (yAxis + sweep + kPanelSpacing));
  if (fit >= wanted) return wanted;
  // Rows cost height: no more than leave each panel the lines for its facet's name, two y labels and the x
  // labels (the title, the x title and the legend take about four more). Where even that does not fit (four
  // metrics of eight facets in a double-column figure), the panels stay side by side, as before.
  const int line = label.height();
  const int blocks = fourMetrics ? int(metrics().size()) : 1;
  const int maxRows = std::max(1, (plot_->viewport().height() - 4 * line) / (4 * line) / blocks);
  const int rows = std::min(maxRows, (facets + fit - 1) / fit);
  return std::min(wanted, (facets + rows - 1) / rows);
}

void PlotView::rewrapLegend() {
  plot_->legend->setWrap(legendColumns());
  plot_->legend->setFillOrder(plot_->legend->fillOrder(), true);  // setWrap alone leaves the entries where they were
}

// The titles follow the space they are laid out in, so they are fitted after every layout — a rebuild, a
// resize of the window, a legend that wraps onto more rows, an export at its own size — never only when the
// chart is rebuilt.
// * The chart's title, wider than the plot, breaks after the device name. That changes its height, so the
//   layout is run again at once (the frame being drawn then has the new height; nothing loops: the width
//   it is fitted to does not depend on it).
// * A y title longer than its panel is tall would run into the next row's (or be cut at the window's edge):
//   then only its unit ("[GB/s]"), or for a percentage, which has none, what it is of ("% peak"). Both
//   forms take the same margin (one line of the label font), so changing the text leaves the layout as it is.
void PlotView::fitTitles() {
  bool relayout = false;
  if (QCPTextElement* title = scene_->title) {
    QString shown = scene_->titleText;
    if (QFontMetrics(title->font()).horizontalAdvance(shown) > plot_->viewport().width() * 0.95)
      shown.replace(QStringLiteral(" — "), QStringLiteral("\n"));
    if (shown != title->text()) {
      title->setText(shown);
      relayout = true;
    }
  }
  // The y labels get as many steps as the panel's height has label heights (the height does not depend on them).
  for (const Scene::Panel& p : scene_->panels) {
    QCPAxis* y = p.rect->axis(QCPAxis::atLeft);
    auto* spaced = dynamic_cast<SpacedTicker*>(y->ticker().data());
    const double room = double(std::max(1, p.rect->height())) / QFontMetrics(y->tickLabelFont()).height();
    if (spaced && spaced->room() != room) {
      spaced->setRoom(room);
      relayout = true;
    }
  }
  // A sweep's x axis labels every power of two (1k 2k 4k 8k 16k); in a narrow panel (many facets side by side) the
  // labels ran into each other, so there only every second (or fifth) power is labelled: the densest that fits. The
  // log ticker steps by a "clean" number of powers (1, 2, 5), chosen from the range it covers divided by its tick count.
  for (const Scene::Panel& p : scene_->panels) {
    QCPAxis* x = p.rect->axis(QCPAxis::atBottom);
    const auto ticker = x->ticker().dynamicCast<BinaryLogTicker>();
    const QCPRange r = x->range();
    if (!ticker || r.lower <= 0 || r.upper <= r.lower) continue;
    const double powers = std::log2(r.upper / r.lower);
    const QFontMetrics fm(x->tickLabelFont());
    // Neighbouring labels are centred on their ticks: they need half of each one's width apart, and a little gap.
    const int labelWidth = (fm.horizontalAdvance(binaryLabel(std::exp2(std::ceil(std::log2(r.lower))))) +
                            fm.horizontalAdvance(binaryLabel(std::exp2(std::floor(std::log2(r.upper))))) +
                            fm.horizontalAdvance(QLatin1Char(' '))) / 2;
    const double perPower = p.rect->width() / powers;  // pixels between neighbouring powers of two
    int step = 1;
    for (int clean : {2, 5})
      if (step * perPower < labelWidth) step = clean;
    const int count = step == 1 ? kSweepTicks : std::max(1, int(powers / step));
    if (ticker->tickCount() != count) {
      ticker->setTickCount(count);
      relayout = true;
    }
  }
  if (relayout)
    for (auto phase : {QCPLayoutElement::upPreparation, QCPLayoutElement::upMargins, QCPLayoutElement::upLayout})
      plot_->plotLayout()->update(phase);
  for (const Scene::Panel& p : scene_->panels) {
    if (p.yTitle.isEmpty()) continue;
    QCPAxis* y = p.rect->axis(QCPAxis::atLeft);
    // The title is centred on the axis: it may use the shorter of the margins above and below it twice.
    const QMargins m = p.rect->margins();
    const int room = p.rect->height() + 2 * std::min(m.top(), m.bottom());
    const bool fits = QFontMetrics(y->labelFont()).horizontalAdvance(p.yTitle) <= room;
    // The unit as this chart writes it (latency's is rescaled, a speed-up names its baseline before it).
    const QString unit = QLatin1Char('[') + p.yTitle.section(QLatin1Char('['), -1).section(QLatin1Char(']'), 0, 0) + QLatin1Char(']');
    y->setLabel(fits ? p.yTitle : p.yTitle.contains(QLatin1Char('[')) ? unit : metricShortTitle(p.metric));
  }
}

void PlotView::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  if (scene_->columns > 0 && panelColumns() != scene_->columns) {
    rebuild();  // the facets wrap onto more rows (or fewer): a new layout
    return;
  }
  if (plot_->legend && plot_->legend->wrap() != legendColumns()) {
    rewrapLegend();
    plot_->replot(QCustomPlot::rpQueuedReplot);
  }
}

void PlotView::rebuildModel() {
  namesVersion_ = backendNamesVersion();
  PlotOptions o = options_;
  o.singlePanel = kind_ == Kind::Roofline;  // a roofline puts every run on one chart: that is its point
  model_ = buildPlotModel(sources_, o);
  refreshControls();
  rebuild();
}

void PlotView::setOptions(const PlotOptions& o) {
  options_ = o;
  rebuildModel();
  emit viewChanged();
}

void PlotView::setHidden(const QSet<QString>& keys) {
  hidden_ = keys;
  refreshControls();
  rebuild();
  emit viewChanged();
}

void PlotView::setChoices(const Choices& c) {
  const bool panelsChange = c.panels != panels_;
  kind_ = c.kind;
  panels_ = c.panels;
  options_ = c.options;
  hidden_ = c.hidden;
  rebuildModel();
  if (panelsChange) emit panelsChanged(panels_);
  emit viewChanged();
}

void PlotView::setPanels(Panels p) {
  if (p == panels_) return;
  panels_ = p;
  refreshControls();
  rebuild();
  emit panelsChanged(p);
}

void PlotView::setKind(Kind k) {
  if (k == kind_) return;
  kind_ = k;
  rebuildModel();
  emit viewChanged();
}

std::vector<Metric> PlotView::metrics() const {
  if (model_.predictedOnly) return {Metric::PredictedMemory};  // a what-if profile: nothing else exists
  if (kind_ == Kind::Roofline) return {Metric::Tflops};
  if (panels_ == Panels::All) return {Metric::Latency, Metric::PeakMemory, Metric::Tflops, Metric::PctPeak};
  return {metricOf(panels_)};
}

void PlotView::saveChoices(QSettings& s) const {
  s.remove(QStringLiteral("plot"));
  s.beginGroup(QStringLiteral("plot"));
  s.setValue(QStringLiteral("kind"), int(kind_));
  s.setValue(QStringLiteral("panels"), int(panels_));
  if (options_.x) s.setValue(QStringLiteral("x"), fieldKey(*options_.x));
  s.setValue(QStringLiteral("baseline"), options_.baseline);
  s.setValue(QStringLiteral("hidden"), QStringList(hidden_.begin(), hidden_.end()));
  for (const auto& [field, values] : options_.only) s.setValue(QStringLiteral("only/") + fieldKey(field), values);
  s.endGroup();
}

void PlotView::restoreChoices(QSettings& s) {
  s.beginGroup(QStringLiteral("plot"));
  const int kind = s.value(QStringLiteral("kind"), int(Kind::Lines)).toInt();
  const int panels = s.value(QStringLiteral("panels"), int(Panels::All)).toInt();
  kind_ = kind >= int(Kind::Lines) && kind <= int(Kind::Roofline) ? Kind(kind) : Kind::Lines;
  panels_ = panels >= int(Panels::All) && panels <= int(Panels::PctCopy) ? Panels(panels) : Panels::All;
  options_ = PlotOptions{};
  options_.x = parseFieldKey(s.value(QStringLiteral("x")).toString());
  options_.baseline = s.value(QStringLiteral("baseline")).toString();
  const QStringList hidden = s.value(QStringLiteral("hidden")).toStringList();
  hidden_ = QSet<QString>(hidden.begin(), hidden.end());
  s.beginGroup(QStringLiteral("only"));
  for (const QString& key : s.childKeys())
    if (const auto field = parseFieldKey(key)) options_.only[*field] = s.value(key).toStringList();
  s.endGroup();
  s.endGroup();
  rebuildModel();
  emit panelsChanged(panels_);
}

int PlotView::panelCount() const { return int(scene_->panels.size()); }

QColor PlotView::seriesColor(int series) const {
  for (const Scene::Line& line : scene_->lines)
    if (line.series == series) return line.plottable->pen().color();
  return backendColor(model_.series[std::size_t(series)].backend);
}

// The combo boxes and the filter menu mirror the model and the choices (no signals while doing so).
void PlotView::refreshControls() {
  updatingControls_ = true;
  kindBox_->setCurrentIndex(kindBox_->findData(int(kind_)));
  panelBox_->setCurrentIndex(panelBox_->findData(int(panels_)));
  // On a what-if profile the chart is the memory prediction and nothing else: the metric choice does not
  // apply (the box keeps the choice for when something measured is shown again).
  panelBox_->setEnabled(kind_ != Kind::Roofline && !model_.predictedOnly);
  panelBox_->setToolTip(model_.predictedOnly
                            ? tr("Nothing is measured on a what-if profile: the chart is each backend's predicted memory")
                            : QString());
  xBox_->clear();
  for (SweepAxis a : model_.axisChoices()) xBox_->addItem(axisTitle(a), int(a));
  if (xBox_->count() == 0) xBox_->addItem(axisTitle(model_.axis), int(model_.axis));
  xBox_->setCurrentIndex(xBox_->findData(int(model_.axis)));
  xBox_->setEnabled(kind_ != Kind::Roofline);  // a roofline's x is the arithmetic intensity
  baselineBox_->clear();
  for (const QString& id : model_.backends) baselineBox_->addItem(backendShortName(id), id);
  baselineBox_->setCurrentIndex(baselineBox_->findData(model_.baseline));
  const bool speedup = panels_ == Panels::Speedup && kind_ != Kind::Roofline && !model_.predictedOnly;
  baselineBox_->setVisible(speedup);
  baselineLabel_->setVisible(speedup);

  QMenu* menu = filterButton_->menu();
  menu->clear();
  for (const PlotField& f : model_.fields) {
    if (f.derived || f.field == model_.axis) continue;
    menu->addSection(axisTitle(f.field));
    for (const QString& v : f.values) {
      QAction* a = menu->addAction(v);
      a->setCheckable(true);
      a->setChecked(f.selected.contains(v));
      connect(a, &QAction::toggled, this, [this, field = f.field, v](bool on) {
        PlotOptions o = options_;
        QStringList sel = model_.field(field) ? model_.field(field)->selected : QStringList{};
        if (on) sel << v;
        else sel.removeAll(v);
        if (sel.isEmpty()) return;  // at least one value stays shown
        o.only[field] = sel;
        QTimer::singleShot(0, this, [this, o] { setOptions(o); });
      });
    }
  }
  QStringList keys;
  for (const PlotSeries& s : model_.series)
    if (!keys.contains(s.key)) keys << s.key;
  if (!keys.isEmpty()) menu->addSection(tr("Backends"));
  for (const QString& key : keys) {
    const auto s = std::find_if(model_.series.begin(), model_.series.end(), [&](const PlotSeries& x) { return x.key == key; });
    QAction* a = menu->addAction(s->name);
    a->setCheckable(true);
    a->setChecked(!hidden_.contains(key));
    connect(a, &QAction::toggled, this, [this, key](bool on) {
      QSet<QString> h = hidden_;
      if (on) h.remove(key);
      else h.insert(key);
      QTimer::singleShot(0, this, [this, h] { setHidden(h); });
    });
  }
  filterButton_->setEnabled(!menu->isEmpty());
  updatingControls_ = false;
}

void PlotView::rebuild() {
  *scene_ = Scene{};
  plot_->clearItems();
  plot_->clearPlottables();
  plot_->plotLayout()->clear();  // also deletes the legend: plot_->legend is null now
  plot_->legend = nullptr;
  const Style& st = *style_;

  const bool anyRecord = std::any_of(sources_.begin(), sources_.end(), [](const PlotSource& p) { return !p.records.empty(); });
  const QString title = !model_.empty() ? model_.title
                        : anyRecord     ? tr("Nothing to show: the filters leave no point")
                                        : tr("No results yet — choose a problem and press Run, or open a result file");
  // On one line here; a title wider than the plot breaks after the device name once it is laid out (fitTitles).
  auto* titleElement = new QCPTextElement(plot_, title, st.title);
  scene_->title = titleElement;
  scene_->titleText = title;
  const std::vector<Metric> shown = metrics();
  if (!model_.copyNote.isEmpty() && std::find(shown.begin(), shown.end(), Metric::PctCopy) != shown.end()) {
    // Which copy bandwidth the percentages are of, once under the title (measured, with its file and method).
    auto* head = new QCPLayoutGrid;
    head->setRowSpacing(0);
    head->addElement(0, 0, titleElement);
    QFont small = st.tick;
    head->addElement(1, 0, new QCPTextElement(plot_, tr("copy bandwidth: %1").arg(model_.copyNote), small));
    plot_->plotLayout()->addElement(0, 0, head);
  } else {
    plot_->plotLayout()->addElement(0, 0, titleElement);
  }
  if (model_.empty()) {
    // Nothing to draw: the sentence, centred, says what to do; empty axes with made-up 1–10 ranges would
    // only mislead (and took half the first screen).
    plot_->replot(QCustomPlot::rpQueuedReplot);
    return;
  }
  auto* grid = new QCPLayoutGrid;
  grid->setRowSpacing(2);
  grid->setColumnSpacing(kPanelSpacing);
  // Where the panels' own minimum heights do not fit (four metrics in a double-column figure), QCustomPlot
  // squeezes every row of the chart, the legend's too, and its entries were cut off at the bottom. Only the
  // panels give way: the title and the legend keep the height their lines need.
  grid->setMinimumSize(1, 1);
  plot_->plotLayout()->addElement(1, 0, grid);
  auto* margins = new QCPMarginGroup(plot_);
  const std::vector<Metric> metrics = this->metrics();
  const int facets = std::max<int>(1, int(model_.facets.size()));
  const bool facetLabels = facets > 1;
  // Four metrics: a block of rows each, the facets across (wrapped onto more rows of the block when they
  // would be too narrow). One metric: the facets in their own grid. Facets keep their order either way.
  const int columns = panelColumns();
  scene_->columns = columns;
  const bool metricBlocks = metrics.size() > 1 && facets > 1;
  const int blockRows = (facets + columns - 1) / columns;
  // Unwrapped, four metrics' facets are named once, over their columns; wrapped, a column holds several
  // facets, so every panel carries its facet's name (as facet_wrap does).
  const bool namesOverColumns = metricBlocks && blockRows == 1;
  int cell = 0;
  for (std::size_t mi = 0; mi < metrics.size(); ++mi)
    for (int f = 0; f < facets; ++f, ++cell) {
      const int row = metricBlocks ? int(mi) * blockRows + f / columns : cell / columns;
      const int col = metricBlocks ? f % columns : cell % columns;
      auto* box = new QCPLayoutGrid;
      box->setRowSpacing(0);
      grid->addElement(row, col, box);
      auto* rect = new QCPAxisRect(plot_);
      if (facetLabels && (!namesOverColumns || mi == 0)) {
        box->addElement(0, 0, new QCPTextElement(plot_, model_.facets[std::size_t(f)], st.facet));
        box->addElement(1, 0, rect);
        box->setRowStretchFactor(0, 0.001);
      } else {
        box->addElement(0, 0, rect);
      }
      // Columns line up; rows keep their own bottom margin (only the last row carries the x title).
      rect->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
      scene_->panels.push_back({metrics[mi], f, rect, QString(), row, col});
    }

  plot_->legend = new QCPLegend;
  plot_->plotLayout()->addElement(2, 0, plot_->legend);
  plot_->legend->setVisible(!model_.empty());
  plot_->legend->setFillOrder(QCPLegend::foColumnsFirst);
  plot_->legend->setWrap(legendColumns());
  plot_->legend->setBorderPen(Qt::NoPen);
  plot_->legend->setFont(st.legend);
  plot_->legend->setSelectableParts(QCPLegend::spNone);
  plot_->legend->setIconSize(int(st.marker * 3), int(st.marker * 1.6));
  plot_->plotLayout()->setRowStretchFactor(0, 0.001);
  plot_->plotLayout()->setRowStretchFactor(2, 0.001);

  // x positions: sweep values (log₂), categories, or for bars one slot per distinct value.
  std::vector<double> xSlots;
  for (const PlotSeries& s : model_.series)
    for (const PlotPoint& p : s.points)
      if (std::find(xSlots.begin(), xSlots.end(), p.x) == xSlots.end()) xSlots.push_back(p.x);
  std::sort(xSlots.begin(), xSlots.end());
  const bool bars = kind_ == Kind::Bars;
  const bool roofline = kind_ == Kind::Roofline && !model_.predictedOnly;
  auto slotOf = [&](double x) { return double(std::find(xSlots.begin(), xSlots.end(), x) - xSlots.begin() + 1); };
  QStringList slotLabels;
  for (double x : xSlots) {
    QString text;
    for (const PlotSeries& s : model_.series)
      for (const PlotPoint& p : s.points)
        if (p.x == x && text.isEmpty()) text = p.xText;
    slotLabels << (model_.categorical ? text : binaryLabel(x));
  }
  const DeviceInfo device = model_.devices.empty() ? DeviceInfo{} : model_.devices.front();

  // Per metric: the y range over every facet (small multiples share their scale) and the time unit.
  std::map<Metric, std::pair<double, double>> yExtent;
  std::map<Metric, TimeUnit> units;
  for (Metric m : metrics) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const PlotSeries& s : model_.series) {
      if (hidden_.contains(s.key)) continue;
      for (const PlotPoint& p : s.points)
        if (auto v = p.value(m)) {
          lo = std::min(lo, *v), hi = std::max(hi, *v);
          if (m == Metric::PeakMemory && !bars)
            if (auto predicted = p.value(Metric::PredictedMemory)) lo = std::min(lo, *predicted), hi = std::max(hi, *predicted);
          if (m == Metric::Latency && !bars) {
            if (p.record.latency_us.p10 > 0) lo = std::min(lo, p.record.latency_us.p10 / 1000.0);
            hi = std::max(hi, p.record.latency_us.p90 / 1000.0);
          }
        }
    }
    units[m] = m == Metric::Latency && lo <= hi ? timeUnitFor(hi) : TimeUnit{1.0, "ms"};
    const double f = m == Metric::Latency ? units[m].perMs : 1.0;
    yExtent[m] = {lo * f, hi * f};
  }

  std::set<QString> inLegend, noPrediction;
  QCPGraph* predictedKey = nullptr;  // one legend entry explaining the dotted twins
  std::set<std::pair<int, int>> occupied;  // (row, column) of every panel: the x title goes where none is below
  for (const Scene::Panel& p : scene_->panels) occupied.insert({p.row, p.column});
  for (int pi = 0; pi < int(scene_->panels.size()); ++pi) {
    const Scene::Panel& panel = scene_->panels[std::size_t(pi)];
    QCPAxis* x = panel.rect->axis(QCPAxis::atBottom);
    QCPAxis* y = panel.rect->axis(QCPAxis::atLeft);
    for (QCPAxis* a : panel.rect->axes()) {
      a->setLayer(QStringLiteral("axes"));
      a->grid()->setLayer(QStringLiteral("grid"));
      a->setTickLabelFont(st.tick);
      a->setLabelFont(st.label);
    }
    const bool leftColumn = (metrics.size() > 1 && facets == 1) || panel.column == 0;
    const bool bottomRow = (metrics.size() > 1 && facets == 1) || !occupied.count({panel.row + 1, panel.column});
    const TimeUnit unit = units[panel.metric];
    const double scaleY = panel.metric == Metric::Latency ? unit.perMs : 1.0;
    if (bottomRow) x->setLabel(roofline ? tr("arithmetic intensity [FLOP/byte]") : axisTitle(model_.axis));
    // Four short rows: the label without its "(median, p10–p90)" detail, or it runs into the next row's.
    if (leftColumn) {
      scene_->panels[std::size_t(pi)].yTitle =
          metrics.size() > 1 ? axisLabel(panel.metric, unit).section(QStringLiteral(" ("), 0, 0) : axisLabel(panel.metric, unit);
      y->setLabel(panel.yTitle);  // fitted to the panel's height once it is laid out (fitTitles)
    }
    if (roofline) {
      setLogAxis(x, 10);
    } else if (model_.categorical || bars) {
      QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
      const QStringList& labels = model_.categorical ? model_.categories : slotLabels;
      for (int c = 0; c < labels.size(); ++c) ticker->addTick(c + 1, labels[c]);
      x->setTicker(ticker);
      x->setRange(0.5, labels.size() + 0.5);
      x->grid()->setVisible(false);
      x->setTickLength(0, 0);  // a category needs its label, not a tick through the bars
    } else {
      setLogAxis(x, 2);
      x->setRange(padded(xSlots.empty() ? 1 : xSlots.front(), xSlots.empty() ? 1 : xSlots.back(), true, 1.3));
    }
    const bool logY = roofline || logScaleFor(panel.metric, kind_);
    if (logY) setLogAxis(y, 10);
    else y->setTicker(QSharedPointer<QCPAxisTicker>(new LinearTicker));

    auto* group = bars ? new QCPBarsGroup(plot_) : nullptr;
    int visibleInPanel = 0;
    for (const PlotSeries& s : model_.series)
      if (s.facet == panel.facet && !hidden_.contains(s.key)) ++visibleInPanel;
    double xLo = std::numeric_limits<double>::infinity(), xHi = -xLo;
    for (int si = 0; si < int(model_.series.size()); ++si) {
      const PlotSeries& s = model_.series[std::size_t(si)];
      if (s.facet != panel.facet) continue;
      const QColor colour = backendColor(s.backend);
      const bool hidden = hidden_.contains(s.key);
      const bool unavailable = std::none_of(s.points.begin(), s.points.end(), [&](const PlotPoint& p) {
        return (p.ok() && !p.predicted) || p.value(panel.metric).has_value();
      });
      QVector<double> keys, values, errKeys, errValues, errMinus, errPlus;
      Scene::Line line{si, panel.metric, nullptr, {}};
      for (int pt = 0; pt < int(s.points.size()); ++pt) {
        const PlotPoint& p = s.points[std::size_t(pt)];
        std::optional<double> v = p.value(panel.metric);
        if (v) *v *= scaleY;
        double key = bars ? slotOf(p.x) : p.x;
        if (roofline) {
          const auto ai = p.intensity();
          if (!ai) v.reset();
          else key = *ai, xLo = std::min(xLo, key), xHi = std::max(xHi, key);
        }
        if (v || (!bars && !roofline)) {
          keys << key;
          values << (v ? *v : kNaN);  // NaN breaks the line: a failed point is a visible gap
          line.pointOfData.push_back(pt);
        }
        if (v && panel.metric == Metric::Latency && !bars && !roofline) {
          const double lo = p.record.latency_us.p10 / 1000.0 * scaleY, hi = p.record.latency_us.p90 / 1000.0 * scaleY;
          errKeys << key, errValues << *v, errMinus << std::max(0.0, *v - lo), errPlus << std::max(0.0, hi - *v);
        } else if (!v && !p.ok() && !roofline && !bars && !p.predicted && !unavailable) {
          // A gap in a series that ran elsewhere is crossed where it is. Bars, predictions and a backend that
          // ran nowhere: the legend's "(n/a)" says it (a GPU run greys a dozen library rows; crossed at every
          // N they covered the bottom of every chart).
          auto* mark = new QCPItemText(plot_);
          mark->setText(QStringLiteral("✕"));
          mark->setColor(colour);
          QFont f = st.tick;
          f.setBold(true);
          mark->setFont(f);
          mark->position->setTypeX(QCPItemPosition::ptPlotCoords);
          mark->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
          mark->position->setAxes(x, y);
          mark->position->setAxisRect(panel.rect);
          mark->position->setCoords(key, 0.95 - 0.045 * (si % 8));
          mark->setClipAxisRect(panel.rect);
          mark->setClipToAxisRect(true);
          mark->setVisible(!hidden);
          scene_->gaps.push_back({si, pt, mark});
        }
      }
      QCPAbstractPlottable* plottable = nullptr;
      if (bars) {
        auto* b = new QCPBars(x, y);
        b->setData(keys, values, true);
        b->setWidth(0.8 / std::max(1, visibleInPanel));
        b->setPen(Qt::NoPen);
        b->setBrush(colour);
        if (!keys.isEmpty() && !hidden) b->setBarsGroup(group);  // a hidden series gives up its slot
        plottable = b;
      } else {
        auto* g = plot_->addGraph(x, y);
        g->setPen(QPen(colour, st.line, kSourcePens[s.source % 4]));
        g->setScatterStyle(QCPScatterStyle(kSourceShapes[s.source % 4], colour, s.source ? Qt::white : colour, st.marker));
        if (model_.categorical || roofline) g->setLineStyle(QCPGraph::lsNone);  // categories and runs are not a trend
        g->setData(keys, values, true);
        plottable = g;
      }
      plottable->setName(s.name);
      plottable->setProperty("series", si);
      plottable->setProperty("key", s.key);
      plottable->setVisible(!hidden);
      line.plottable = plottable;
      // A what-if chart lists only what it predicts: the backends with no prediction on the profile are
      // counted under the legend instead (the Backends list says why), or they would crowd out the lesson.
      const bool unlisted = (hidden && st.forPrint) || (unavailable && model_.predictedOnly);
      if (unavailable && model_.predictedOnly) noPrediction.insert(s.key);
      if (!unlisted && inLegend.insert(s.key).second) {
        scene_->legendKey[plottable] = s.key;
        if (unavailable) {
          // Nothing measured: a greyed legend entry whose tooltip gives the reason (hoverTextAt).
          plottable->setName(s.name + tr(" (n/a)"));
          plottable->setProperty("unavailable", true);
        }
        if (auto* item = plot_->legend->itemWithPlottable(plottable); item && (unavailable || hidden)) item->setTextColor(Qt::gray);
      } else {
        plottable->removeFromLegend();
      }
      scene_->lines.push_back(std::move(line));
      if (panel.metric == Metric::PeakMemory && !bars && !hidden) {
        // Beside the measured peak, what the backend's memory model predicted for the same points.
        QVector<double> pk, pv;
        for (const PlotPoint& p : s.points)
          if (auto v = p.value(Metric::PredictedMemory)) pk << p.x, pv << *v;
        if (!pk.isEmpty()) {
          auto* twin = plot_->addGraph(x, y);
          twin->setPen(QPen(colour, std::max(1.0, st.line / 2), Qt::DotLine));
          twin->setData(pk, pv, true);
          twin->removeFromLegend();
          if (!predictedKey) {
            predictedKey = plot_->addGraph(x, y);
            predictedKey->setPen(QPen(Qt::gray, std::max(1.0, st.line / 2), Qt::DotLine));
            predictedKey->setName(tr("dotted: predicted"));
            predictedKey->setProperty("series", si);
          }
        }
      }
      if (!errKeys.isEmpty()) {
        // Error bars hang on a line-less twin holding only the measured points (no NaN in its data).
        auto* carrier = plot_->addGraph(x, y);
        carrier->setProperty("series", si);
        carrier->setProperty("key", s.key);
        carrier->setVisible(!hidden);
        carrier->setLineStyle(QCPGraph::lsNone);
        carrier->setScatterStyle(QCPScatterStyle::ssNone);
        carrier->setData(errKeys, errValues, true);
        carrier->removeFromLegend();
        auto* errors = new QCPErrorBars(x, y);
        errors->setProperty("series", si);
        errors->setProperty("key", s.key);
        errors->setVisible(!hidden);
        errors->removeFromLegend();
        errors->setDataPlottable(carrier);
        errors->setData(errMinus, errPlus);
        errors->setPen(QPen(colour.darker(115), std::max(1.0, st.line / 2)));
        errors->setWhiskerWidth(st.marker);
      }
    }
    if (group) group->setSpacing(0);

    auto [yLo, yHi] = yExtent[panel.metric];
    if (panel.metric == Metric::PredictedMemory && device.memory_total > 0) {
      // The device's memory: where a prediction above the line cannot run (the O(N²) lesson).
      const double capacity = double(device.memory_total) / (1024.0 * 1024.0);
      auto* line = new QCPItemStraightLine(plot_);
      for (QCPItemPosition* pos : {line->point1, line->point2}) pos->setAxes(x, y), pos->setAxisRect(panel.rect);
      line->point1->setCoords(x->range().lower, capacity), line->point2->setCoords(x->range().upper, capacity);
      line->setClipAxisRect(panel.rect);
      line->setPen(QPen(QColor(0xb0, 0x00, 0x20), std::max(1.0, st.line / 2), Qt::DashLine));
      auto* label = new QCPItemText(plot_);
      label->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
      label->position->setTypeY(QCPItemPosition::ptPlotCoords);
      label->position->setAxes(x, y);
      label->position->setAxisRect(panel.rect);
      label->position->setCoords(0.02, capacity);
      label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
      label->setFont(st.tick);
      label->setColor(QColor(0xb0, 0x00, 0x20));
      label->setClipAxisRect(panel.rect);
      label->setText(tr("device memory %1").arg(QString::fromStdString(format_bytes(device.memory_total))));
      yHi = std::max(yHi, capacity);
    }
    if (roofline && (device.peak_bandwidth_gbs > 0 || device.peak_tflops_fp32 > 0)) {
      // The roofs: DRAM bandwidth × intensity until the compute peak of each dtype shown.
      if (!(xLo <= xHi)) xLo = 0.1, xHi = 1000;
      const double left = xLo / 4, right = xHi * 4;
      QStringList dtypes = model_.field(SweepAxis::DType) ? model_.field(SweepAxis::DType)->selected : QStringList{};
      if (dtypes.isEmpty() && !model_.series.empty() && !model_.series.front().points.empty())
        dtypes << QString::fromStdString(std::string(to_string(model_.series.front().points.front().record.problem.dtype)));
      for (const QString& t : dtypes) {
        const auto dt = parse_dtype(t.toStdString());
        const double peak = dt ? device.peak_tflops(*dt) : 0;
        const double bw = device.peak_bandwidth_gbs / 1000.0;  // TFLOP/s per FLOP/byte
        if (peak <= 0 || bw <= 0) continue;
        const double ridge = peak / bw;
        auto* roof = plot_->addGraph(x, y);
        roof->setPen(QPen(QColor(0x44, 0x44, 0x44), std::max(1.0, st.line / 1.5)));
        roof->setData(QVector<double>{left, std::min(ridge, right), right}, QVector<double>{left * bw, std::min(peak, right * bw), std::min(peak, right * bw)});
        roof->removeFromLegend();
        auto* label = new QCPItemText(plot_);
        label->position->setAxes(x, y);
        label->position->setAxisRect(panel.rect);
        label->position->setCoords(right / 1.5, peak);
        label->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
        label->setFont(st.tick);
        label->setColor(QColor(0x44, 0x44, 0x44));
        label->setText(tr("%1 peak %2 TFLOP/s").arg(t).arg(peak, 0, 'f', 0));
        yHi = std::max(yHi, peak);
        yLo = std::min(yLo, left * bw);
      }
      auto* bwLabel = new QCPItemText(plot_);
      bwLabel->position->setAxes(x, y);
      bwLabel->position->setAxisRect(panel.rect);
      const double at = std::max(left * 1.5, xLo);
      bwLabel->position->setCoords(at, at * device.peak_bandwidth_gbs / 1000.0 * 1.8);  // just above its roof
      bwLabel->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
      bwLabel->setRotation(0);
      bwLabel->setFont(st.tick);
      bwLabel->setColor(QColor(0x44, 0x44, 0x44));
      bwLabel->setText(tr("DRAM %1 GB/s").arg(device.peak_bandwidth_gbs, 0, 'f', 0));
      x->setRange(left, right);
    } else if (roofline && xLo <= xHi) {
      x->setRange(padded(xLo, xHi, true, 2));
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
        note->setFont(st.tick);
        note->setText(panel.metric == Metric::PctCopy ? tr("no data: no copy bandwidth measured on this device\n(attnscope-cli bandwidth --json > bandwidth.json beside the result file)")
                      : panel.metric == Metric::PctPeak || panel.metric == Metric::PctBandwidth ? tr("no data: the device's peak is unknown")
                      : panel.metric == Metric::PeakMemory ? tr("no data: memory was not measured")
                      : panel.metric == Metric::Speedup    ? tr("no data: the baseline has no point here")
                                                           : tr("no successful points"));
      }
    }
    if (panel.metric == Metric::Speedup) {
      // 1.0 × is "as fast as the baseline": a reference line every reader looks for.
      auto* one = new QCPItemStraightLine(plot_);
      one->point1->setAxes(x, y), one->point2->setAxes(x, y);
      one->point1->setAxisRect(panel.rect), one->point2->setAxisRect(panel.rect);
      one->point1->setCoords(x->range().lower, 1), one->point2->setCoords(x->range().upper, 1);
      one->setClipAxisRect(panel.rect);
      one->setPen(QPen(Qt::black, std::max(1.0, st.line / 2), Qt::DashLine));
      if (!logY) y->setRange(0, std::max(y->range().upper, 1.2));
      if (leftColumn) y->setLabel(scene_->panels[std::size_t(pi)].yTitle = tr("speed-up vs %1 [×]").arg(backendShortName(model_.baseline)));
    }
    panel.rect->setRangeZoomAxes(x, y);
    panel.rect->setRangeDragAxes(x, y);
  }
  for (const QString& key : inLegend) noPrediction.erase(key);
  if (!noPrediction.empty()) {
    auto* note = new QCPTextElement(plot_, tr("+ %n backend(s) with no prediction on this profile (n/a: the Backends list says why)", "",
                                              int(noPrediction.size())), st.legend);
    note->setTextColor(Qt::gray);
    plot_->plotLayout()->addElement(3, 0, note);
    plot_->plotLayout()->setRowStretchFactor(3, 0.001);
  }
  if (plot_->legend) rewrapLegend();  // now that the entries' names are known
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
    const QCPPlottableInterface1D* data = line.plottable->interface1D();
    if (!line.plottable->visible() || !data || !line.plottable->keyAxis()->axisRect()->rect().contains(pos.toPoint())) continue;
    for (int i = 0; i < data->dataCount(); ++i) {
      if (std::isnan(data->dataMainValue(i))) continue;
      const QPointF px = data->dataPixelPosition(i);
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
    const QCPPlottableInterface1D* data = line.plottable->interface1D();
    for (int i = 0; data && i < data->dataCount(); ++i)
      if (line.pointOfData[std::size_t(i)] == point && !std::isnan(data->dataMainValue(i))) return data->dataPixelPosition(i);
  }
  for (const Scene::Gap& gap : scene_->gaps)
    if (gap.series == series && gap.point == point) return gap.item->position->pixelPosition();
  return std::nullopt;
}

int PlotView::plottedPointCount(Metric m) const {
  int n = 0;
  for (const Scene::Line& line : scene_->lines) {
    if (line.metric != m) continue;
    const QCPPlottableInterface1D* data = line.plottable->interface1D();
    for (int i = 0; data && i < data->dataCount(); ++i)
      if (!std::isnan(data->dataMainValue(i))) ++n;
  }
  return n;
}

int PlotView::gapMarkerCount() const { return int(scene_->gaps.size()); }

void PlotView::onMouseMove(QMouseEvent* event) {
  const QString text = hoverTextAt(event->position());
  if (text.isEmpty()) QToolTip::hideText();
  else QToolTip::showText(event->globalPosition().toPoint(), text, plot_);
}

QString PlotView::exportTo(const QString& path, int width, int height, double scale) {
  return exportTo(path, ExportSpec{QSizeF(width, height), 72.0 * scale, 9});
}

QString PlotView::exportTo(const QString& path, const ExportSpec& spec) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == QLatin1String("csv") || suffix == QLatin1String("json")) {
    // Exactly what the chart shows: every metric drawn, the visible series, the filters, the x field.
    const bool intensity = kind_ == Kind::Roofline && !model_.predictedOnly;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) return tr("Could not write %1: %2").arg(path, file.errorString());
    file.write((suffix == QLatin1String("csv") ? chartDataCsv(model_, metrics(), hidden_, intensity)
                                               : chartDataJson(model_, metrics(), hidden_, intensity)).toUtf8());
    return file.commit() ? QString() : tr("Could not write %1: %2").arg(path, file.errorString());
  }
  if (suffix != QLatin1String("png") && suffix != QLatin1String("pdf") && suffix != QLatin1String("svg"))
    return tr("%1: choose a .png, .pdf or .svg file name for a chart (or .csv / .json for its data)").arg(path);
  // Lay out in points with the print fonts, paint, then go back to the window's look.
  const int w = int(std::lround(spec.sizePt.width())), h = int(std::lround(spec.sizePt.height()));
  *style_ = Style::print(spec.fontPt);
  const QRect oldViewport = plot_->viewport();
  plot_->setViewport(QRect(0, 0, w, h));
  rebuild();
  // Painted into memory, then written to a temporary file beside the target and renamed over it only
  // when every byte was written: a full disk or a failed paint leaves the previous export whole and is
  // reported, never "wrote".
  QBuffer bytes;
  bytes.open(QIODevice::WriteOnly);
  bool ok = false;
  if (suffix == QLatin1String("png")) {
    QImage image = plot_->toPixmap(w, h, spec.dpi / 72.0).toImage();
    const int dotsPerMeter = int(std::lround(spec.dpi / 0.0254));
    image.setDotsPerMeterX(dotsPerMeter);
    image.setDotsPerMeterY(dotsPerMeter);
    ok = image.save(&bytes, "PNG");
  } else if (suffix == QLatin1String("pdf")) {
    QPdfWriter pdf(&bytes);
    pdf.setResolution(72);  // one layout unit = one point: the fonts' pixel sizes are their printed sizes
    pdf.setPageSize(QPageSize(QSizeF(spec.sizePt), QPageSize::Point, QString(), QPageSize::ExactMatch));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    pdf.setCreator(QStringLiteral("AttnScope"));
    pdf.setTitle(model_.title);
    QCPPainter painter;
    ok = painter.begin(&pdf);
    if (ok) {
      painter.setMode(QCPPainter::pmVectorized);
      painter.setMode(QCPPainter::pmNoCaching);
      plot_->toPainter(&painter, w, h);
      ok = painter.end();
    }
  } else {
    QSvgGenerator svg;  // QCustomPlot has no SVG writer: paint it into a QSvgGenerator
    svg.setOutputDevice(&bytes);
    svg.setSize(QSize(w, h));
    svg.setViewBox(QRect(0, 0, w, h));
    svg.setResolution(72);
    svg.setTitle(QStringLiteral("AttnScope"));
    svg.setDescription(model_.title);
    QCPPainter painter;
    ok = painter.begin(&svg);
    if (ok) {
      plot_->toPainter(&painter, w, h);
      ok = painter.end();
    }
  }
  QString why = ok ? QString() : tr("painting the chart failed");
  if (ok) {
    QSaveFile file(path);
    ok = file.open(QIODevice::WriteOnly) && file.write(bytes.data()) == bytes.data().size() && file.commit();
    if (!ok) why = file.errorString();
  }
  *style_ = Style::screen();
  plot_->setViewport(oldViewport);
  rebuild();
  return ok ? QString() : tr("Could not write %1: %2").arg(path, why);
}

}  // namespace attnscope::gui
