// Charts of the project's own H100 result files: the benchmark grid as facets with one series per
// backend, fixed colours across files and into exports, and a double-column PDF whose text is ≥ 7 pt.
#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <qcustomplot.h>

#include "../full_disk.hpp"
#include "BackendColors.h"
#include "PlotData.h"
#include "PlotView.h"
#include "ResultSet.h"

using namespace attnscope::gui;

namespace {

PlotSource h100(const char* name) {
  const QString path = QStringLiteral(ATTNSCOPE_H100_RESULTS "/") + QLatin1String(name);
  LoadOutcome loaded = loadResultFile(path);
  EXPECT_TRUE(loaded.set) << path.toStdString() << ": " << loaded.error.toStdString();
  if (!loaded.set) return {};
  return {loaded.set->label, loaded.set->doc.device, loaded.set->doc.records};
}

// The issue-15 H100 files: call 9 holds bfloat16 only, call 8 both dtypes (float16 only up to d=128).
PlotSource issue15(const char* call) {
  const QString path = QStringLiteral(ATTNSCOPE_H100_RESULTS "/../issue15-h100-2026-12-07e/") + QLatin1String(call) + QStringLiteral("/grid_cells.jsonl");
  LoadOutcome loaded = loadResultFile(path);
  EXPECT_TRUE(loaded.set) << path.toStdString() << ": " << loaded.error.toStdString();
  if (!loaded.set) return {};
  return {loaded.set->label, loaded.set->doc.device, loaded.set->doc.records};
}

// A chart on the (offscreen) screen at this size, showing these files, laid out and painted once.
std::unique_ptr<PlotView> shownChart(QSize size, std::vector<PlotSource> sources, PlotView::Panels panels = PlotView::Panels::All) {
  auto view = std::make_unique<PlotView>();
  view->resize(size);
  view->show();
  EXPECT_TRUE(QTest::qWaitForWindowExposed(view.get()));
  view->setPanels(panels);
  view->setSources(std::move(sources));
  view->plot()->replot();
  return view;
}

// Every legend entry as wide and as high as its icon and name need, inside the chart; returns how many there are.
int wholeLegendEntries(const PlotView& view, const std::string& when) {
  const QCPLegend* legend = view.plot()->legend;
  EXPECT_NE(legend, nullptr) << when;
  int entries = 0;
  for (int i = 0; legend && i < legend->itemCount(); ++i) {
    QCPAbstractLegendItem* item = legend->item(i);
    if (!item) continue;  // an empty cell of the last row
    ++entries;
    const QRect r = item->outerRect();
    const QSize needed = item->minimumOuterSizeHint();
    EXPECT_TRUE(view.plot()->viewport().contains(r)) << when << ": entry " << i << " at " << r.top() << "–" << r.bottom() << " px";
    EXPECT_GE(r.width() + 1, needed.width()) << when << ": entry " << i << " cut short";
    EXPECT_GE(r.height() + 1, needed.height()) << when << ": entry " << i << " squeezed to " << r.height() << " px";
  }
  return entries;
}

// Series per (backend, facet) — never two series for one backend in one panel.
void expectOneSeriesPerBackendPerFacet(const PlotModel& m, std::size_t backends) {
  EXPECT_EQ(m.series.size(), backends * m.facets.size());
  std::set<std::pair<QString, int>> seen;
  for (const PlotSeries& s : m.series) EXPECT_TRUE(seen.insert({s.key, s.facet}).second) << s.name.toStdString();
}

// The smallest font size in a PDF, from poppler's word boxes: a box is as high as the font's ascent
// plus descent, 1.164 em for DejaVu Sans (the font exports use).
double smallestTextPt(const QString& pdf) {
  QProcess p;
  p.start(QStringLiteral("pdftotext"), {QStringLiteral("-bbox"), pdf, QStringLiteral("-")});
  if (!p.waitForFinished(20000) || p.exitCode() != 0) return -1;
  const QString html = QString::fromUtf8(p.readAllStandardOutput());
  static const QRegularExpression word(QStringLiteral("yMin=\"([0-9.]+)\" xMax=\"[0-9.]+\" yMax=\"([0-9.]+)\""));
  double smallest = 1e9;
  for (auto it = word.globalMatch(html); it.hasNext();) {
    const auto m = it.next();
    smallest = std::min(smallest, (m.captured(2).toDouble() - m.captured(1).toDouble()) / 1.164);
  }
  return smallest;
}

}  // namespace

TEST(GuiCharts, TheStandardGridIsOnePanelPerHeadDimAndCausalWithOneSeriesPerBackend) {
  const PlotModel m = buildPlotModel({h100("bench_full.jsonl"), h100("bench_causal.jsonl")});
  EXPECT_EQ(m.axis, SweepAxis::SeqLength);
  EXPECT_FALSE(m.overlay);  // the two files are halves of one grid, not two measurements of it
  ASSERT_EQ(m.facets.size(), 4u);
  EXPECT_EQ(m.facets[0], "d=64 · non-causal");
  EXPECT_EQ(m.facets[3], "d=128 · causal");
  EXPECT_EQ(m.facetColumns, 2);
  expectOneSeriesPerBackendPerFacet(m, 5);
  for (const PlotSeries& s : m.series) EXPECT_EQ(s.points.size(), 6u) << s.name.toStdString();  // N = 512 … 16384
  // Batch follows N (--tokens 16384) and heads follow d (--hidden 2048): named in the title, not split.
  ASSERT_NE(m.field(SweepAxis::Batch), nullptr);
  EXPECT_TRUE(m.field(SweepAxis::Batch)->derived);
  EXPECT_TRUE(m.field(SweepAxis::QHeads)->derived);
  EXPECT_TRUE(m.title.contains("NVIDIA H100")) << m.title.toStdString();
  EXPECT_TRUE(m.title.contains("B·N=16384")) << m.title.toStdString();
  EXPECT_TRUE(m.title.contains("Hq·d=2048")) << m.title.toStdString();
  EXPECT_FALSE(m.title.contains("Hkv")) << m.title.toStdString();  // Hkv = Hq: nothing to add
  EXPECT_TRUE(m.title.contains("float16")) << m.title.toStdString();  // dtype is a filter: one shown

  // Two dtypes chosen: dtype becomes a facet too; the x axis can be any varying field.
  PlotOptions o;
  o.only[SweepAxis::DType] = {"float16", "bfloat16"};
  const PlotModel two = buildPlotModel({h100("bench_full.jsonl")}, o);
  EXPECT_EQ(two.facets.size(), 4u);  // d × dtype
  expectOneSeriesPerBackendPerFacet(two, 5);
  o = {};
  o.x = SweepAxis::HeadDim;
  const PlotModel byD = buildPlotModel({h100("bench_full.jsonl")}, o);
  EXPECT_EQ(byD.axis, SweepAxis::HeadDim);
  EXPECT_EQ(byD.facets.size(), 6u);  // one per N
  expectOneSeriesPerBackendPerFacet(byD, 5);
}

TEST(GuiCharts, DecodeIsOnePanelPerBatchWithGigabytesPerSecond) {
  const PlotModel m = buildPlotModel({h100("decode.jsonl")});
  EXPECT_EQ(m.axis, SweepAxis::KeyLength);
  ASSERT_EQ(m.facets.size(), 4u);
  EXPECT_EQ(m.facets[0], "B=1");
  expectOneSeriesPerBackendPerFacet(m, 3);
  bool measured = false;
  for (const PlotSeries& s : m.series)
    for (const PlotPoint& p : s.points)
      if (auto gbs = p.value(Metric::Bandwidth)) {
        measured = true;
        EXPECT_GT(*gbs, 10.0);
        EXPECT_LT(*p.value(Metric::PctBandwidth), 110.0);
      }
  EXPECT_TRUE(measured);
  // Speed-up against the chosen baseline: the baseline itself is exactly 1.
  PlotOptions o;
  o.baseline = "flash2";
  const PlotModel sp = buildPlotModel({h100("decode.jsonl")}, o);
  EXPECT_EQ(sp.baseline, "flash2");
  int ones = 0;
  for (const PlotSeries& s : sp.series)
    for (const PlotPoint& p : s.points)
      if (s.backend == "flash2" && p.value(Metric::Speedup)) {
        EXPECT_DOUBLE_EQ(*p.value(Metric::Speedup), 1.0);
        ++ones;
      }
  EXPECT_GT(ones, 0);
}

TEST(GuiCharts, ABackendHasOneColourInEveryFileInTheWindowAndInTheExport) {
  QTemporaryDir dir;
  std::map<QString, QColor> seen;
  for (const char* file : {"bench_full.jsonl", "decode.jsonl"}) {
    PlotView view;
    view.resize(1200, 800);
    view.setPanels(PlotView::Panels::Tflops);
    view.setSources({h100(file)});
    ASSERT_FALSE(view.model().empty());
    const QString svg = dir.filePath(QStringLiteral("%1.svg").arg(file));
    ASSERT_EQ(view.exportTo(svg, *ExportSpec::preset("double")), QString());
    QFile f(svg);
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    const QString drawn = QString::fromUtf8(f.readAll()).toLower();
    for (int i = 0; i < int(view.model().series.size()); ++i) {
      const QString id = view.model().series[std::size_t(i)].backend;
      const QColor c = view.seriesColor(i);
      EXPECT_EQ(c, backendColor(id)) << id.toStdString();
      EXPECT_NE(c, unavailableColor());
      auto [it, fresh] = seen.emplace(id, c);
      EXPECT_EQ(it->second, c) << id.toStdString() << " changed colour in " << file;
      EXPECT_TRUE(drawn.contains(c.name())) << id.toStdString() << " " << c.name().toStdString() << " not in the export of " << file;
    }
  }
  EXPECT_TRUE(seen.count("flash2"));  // in both files: the check above compared it across them
  std::set<QRgb> distinct;
  for (const auto& [id, c] : seen) distinct.insert(c.rgb());
  EXPECT_EQ(distinct.size(), seen.size());  // no two backends share a colour
}

// Every backend the worker lists here (ours and the library rows, whatever imports on this machine) has a
// colour of its own: a chart of all of them never draws two in one colour.
TEST(GuiCharts, EveryBackendTheWorkerListsHasAColourOfItsOwn) {
  QProcess cli;
  cli.start(QString::fromLocal8Bit(qgetenv("ATTNSCOPE_CLI")),
            {"backends", "--device", "cpu", "--seq", "64", "--head-dim", "64", "--json"});
  ASSERT_TRUE(cli.waitForFinished(120000));
  const QJsonDocument doc = QJsonDocument::fromJson(cli.readAllStandardOutput());
  std::map<QRgb, QString> owner;
  int listed = 0;
  for (const QJsonValue probe : doc.object().value(QStringLiteral("probes")).toArray())
    for (const QJsonValue b : probe.toObject().value(QStringLiteral("backends")).toArray()) {
      const QString id = b.toObject().value(QStringLiteral("id")).toString();
      ASSERT_FALSE(id.isEmpty());
      const QColor c = backendColor(id);
      EXPECT_NE(c, unavailableColor()) << id.toStdString();
      auto [it, fresh] = owner.emplace(c.rgb(), id);
      EXPECT_TRUE(fresh || it->second == id) << id.toStdString() << " and " << it->second.toStdString() << " share "
                                             << c.name().toStdString();
      ++listed;
    }
  EXPECT_GE(owner.size(), 10u) << listed;  // ours alone are ten
}

// The 2026-11-26 files hold a backend id no build lists any more: it still reads as a name, not an id.
TEST(GuiCharts, ARetiredBackendIdOfOlderFilesStillHasItsName) {
  EXPECT_EQ(backendShortName(QStringLiteral("mem-efficient-3xtf32")).toStdString(),
            "Memory-efficient tiled with fp32 via 3×TF32 tensor cores");
  EXPECT_EQ(backendDisplayName(QStringLiteral("some-future-backend")).toStdString(), "some-future-backend");
}

TEST(GuiCharts, HiddenSeriesAndFiltersSurviveViewSwitchesAndReachTheData) {
  PlotView view;
  view.resize(1200, 800);
  view.setSources({h100("bench_full.jsonl")});
  view.setHidden({"naive"});
  view.setKind(PlotView::Kind::Bars);
  view.setPanels(PlotView::Panels::Latency);
  view.setPanels(PlotView::Panels::Tflops);
  EXPECT_TRUE(view.hidden().contains("naive"));
  QTemporaryDir dir;
  ASSERT_EQ(view.exportTo(dir.filePath("grid.csv"), *ExportSpec::preset("double")), QString());
  QFile f(dir.filePath("grid.csv"));
  ASSERT_TRUE(f.open(QIODevice::ReadOnly));
  const QString csv = QString::fromUtf8(f.readAll());
  EXPECT_FALSE(csv.contains(",naive,")) << "a hidden series is not in the chart's data";
  EXPECT_TRUE(csv.contains(",flash2,"));
  EXPECT_FALSE(csv.contains("float32")) << "the dtype filter (float16) applies to the data too";
  EXPECT_EQ(csv.count(QLatin1Char('\n')), 2 + 4 * 2 * 6);  // comment, header, 4 backends × 2 panels × 6 N
  // The figure leaves it out of its legend too (the window keeps a grey entry to click it back).
  ASSERT_EQ(view.exportTo(dir.filePath("grid.svg"), *ExportSpec::preset("double")), QString());
  QFile svg(dir.filePath("grid.svg"));
  ASSERT_TRUE(svg.open(QIODevice::ReadOnly));
  const QString drawn = QString::fromUtf8(svg.readAll());
  EXPECT_FALSE(drawn.contains(backendShortName("naive") + "<")) << "hidden naive is in the exported legend";
  EXPECT_TRUE(drawn.contains(backendShortName("flash2") + "<"));
  bool greyEntry = false;
  for (int i = 0; i < view.plot()->legend->itemCount(); ++i)
    if (auto* item = qobject_cast<QCPPlottableLegendItem*>(view.plot()->legend->item(i)))
      greyEntry = greyEntry || item->plottable()->property("key").toString() == "naive";
  EXPECT_TRUE(greyEntry) << "the window still lists the hidden series";
}

TEST(GuiCharts, ADoubleColumnPdfOfTheGridIsSevenInchesWideWithNoTextUnderSevenPoints) {
  if (QStandardPaths::findExecutable(QStringLiteral("pdftotext")).isEmpty())
    GTEST_FAIL() << "pdftotext (poppler-utils) is needed: scripts/install-deps.sh installs it";
  PlotView view;
  view.resize(1400, 900);
  view.setKind(PlotView::Kind::Bars);
  view.setPanels(PlotView::Panels::Tflops);
  view.setSources({h100("bench_full.jsonl"), h100("bench_causal.jsonl")});
  QTemporaryDir dir;
  const QString pdf = dir.filePath("grid.pdf");
  ASSERT_EQ(view.exportTo(pdf, *ExportSpec::preset("double")), QString());
  QProcess info;
  info.start(QStringLiteral("pdfinfo"), {pdf});
  ASSERT_TRUE(info.waitForFinished(20000));
  const QString pages = QString::fromUtf8(info.readAllStandardOutput());
  EXPECT_TRUE(pages.contains(QRegularExpression(QStringLiteral("Page size:\\s+504 x 302")))) << pages.toStdString();
  const double smallest = smallestTextPt(pdf);
  EXPECT_GE(smallest, 6.95) << "smallest text in the 7-inch figure, pt";
  EXPECT_LT(smallest, 9.0);
  // The measurement can fail: 5-point type is seen as such.
  ExportSpec tiny = *ExportSpec::preset("double");
  tiny.fontPt = 5;
  ASSERT_EQ(view.exportTo(dir.filePath("tiny.pdf"), tiny), QString());
  EXPECT_LT(smallestTextPt(dir.filePath("tiny.pdf")), 6.0);
}

// A full disk while exporting (RLIMIT_FSIZE makes writes past the limit fail like ENOSPC): each chart
// format reports the error, the previous export stays whole and no temporary file is left beside it.
TEST(GuiCharts, AnExportOnAFullDiskIsAnErrorAndKeepsThePreviousFile) {
  PlotView view;
  view.resize(1400, 900);
  view.setSources({h100("bench_full.jsonl")});
  QTemporaryDir dir;
  for (const char* name : {"grid.pdf", "grid.svg", "grid.png"}) {
    SCOPED_TRACE(name);
    const QString path = dir.filePath(QString::fromLatin1(name));
    ASSERT_EQ(view.exportTo(path, *ExportSpec::preset("double")), QString());
    QFile before(path);
    ASSERT_TRUE(before.open(QIODevice::ReadOnly));
    const QByteArray previous = before.readAll();
    before.close();
    ASSERT_GT(previous.size(), 4096);
    QString error;
    {
      attnscope::testing_support::FullDisk full(2048);
      ASSERT_TRUE(full.active());
      error = view.exportTo(path, *ExportSpec::preset("double"));
    }
    EXPECT_TRUE(error.startsWith(QStringLiteral("Could not write"))) << error.toStdString();
    QFile after(path);
    ASSERT_TRUE(after.open(QIODevice::ReadOnly));
    EXPECT_EQ(after.readAll(), previous);
  }
  EXPECT_EQ(QDir(dir.path()).entryList(QDir::Files).size(), 3) << "a temporary file was left behind";
}

// Decode against the copy bandwidth measured on the same GPU (bandwidth.json beside the result file):
// the percentages use it and the chart says where it came from; a file without one, or another GPU's,
// gets no percentages. The memory chart draws each backend's prediction beside the measured peak.
TEST(GuiCharts, DecodeAsPercentOfTheMeasuredCopyBandwidthBesideTheFile) {
  const QString path = QStringLiteral(ATTNSCOPE_H100_RESULTS "/decode.jsonl");
  PlotSource decode = h100("decode.jsonl");
  decode.copy = copyBandwidthBeside(path, decode.device);
  ASSERT_TRUE(decode.copy);
  EXPECT_NEAR(decode.copy->gbs, 2990.12, 0.01);
  EXPECT_TRUE(decode.copy->source.startsWith("measured 2990 GB/s")) << decode.copy->source.toStdString();
  PlotView view;
  view.resize(1200, 800);
  view.setSources({decode});
  view.setPanels(PlotView::Panels::PctCopy);
  EXPECT_TRUE(view.model().copyNote.contains("bandwidth.json"));
  int checked = 0;
  for (const PlotSeries& s : view.model().series)
    for (const PlotPoint& p : s.points)
      if (p.ok() && p.record.gbs > 0) {
        ASSERT_TRUE(p.value(Metric::PctCopy));
        EXPECT_NEAR(*p.value(Metric::PctCopy), 100 * p.record.gbs / 2990.124790959311, 1e-9);
        ++checked;
      }
  EXPECT_GT(checked, 10);
  EXPECT_EQ(view.plottedPointCount(Metric::PctCopy), checked) << "every measured point is drawn (no series hidden)";

  QTemporaryDir dir;
  ASSERT_TRUE(QFile::copy(path, dir.filePath("decode.jsonl")));
  EXPECT_FALSE(copyBandwidthBeside(dir.filePath("decode.jsonl"), decode.device)) << "no bandwidth.json here";
  QFile other(dir.filePath("bandwidth.json"));
  ASSERT_TRUE(other.open(QIODevice::WriteOnly));
  other.write(R"({"gbs": 1500, "name": "NVIDIA A100-SXM4-80GB", "method": "cudaMemcpyAsync"})");
  other.close();
  EXPECT_FALSE(copyBandwidthBeside(dir.filePath("decode.jsonl"), decode.device)) << "another GPU's copy bandwidth";
  decode.copy.reset();
  view.setSources({decode});
  EXPECT_EQ(view.plottedPointCount(Metric::PctCopy), 0);

  view.setPanels(PlotView::Panels::Memory);
  bool explained = false;
  for (int i = 0; i < view.plot()->legend->itemCount(); ++i)
    if (auto* item = qobject_cast<QCPPlottableLegendItem*>(view.plot()->legend->item(i)))
      explained = explained || item->plottable()->name().startsWith("dotted: predicted");
  EXPECT_TRUE(explained) << "the measured memory chart draws and explains the predicted twins";
}

// Every legend entry gets the width its name needs, at any window width (the columns follow the widest
// name; QCPLegend::setWrap alone left entries in too many columns, cutting names such as "Memory-efficient
// tiled" short).
TEST(GuiCharts, LegendEntriesAreNeverCutShort) {
  PlotView view;
  view.resize(1400, 800);
  view.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
  view.setSources({h100("bench_full.jsonl"), h100("bench_causal.jsonl")});
  for (int width : {1400, 700, 1100, 500}) {
    view.resize(width, 700);
    ASSERT_TRUE(QTest::qWaitFor([&] { return view.plot()->viewport().width() <= width && view.plot()->viewport().width() > width - 40; }, 5000));
    view.plot()->replot();
    EXPECT_GE(wholeLegendEntries(view, "at width " + std::to_string(width)), 4);
  }
}

// A figure the size of a double-column export (7 × 4.2 in at 72 pt/in) of the standard grid's four charts and
// five backends: every legend entry gets the whole line its name needs and lies inside the chart. The panels'
// own minimum heights did not fit there, QCustomPlot squeezed every row, the legend's too, and entries such as
// "Naive CUDA" were cut off at the bottom of the figure.
TEST(GuiCharts, LegendRowsGetTheirHeightInAFigureTooShortForThePanels) {
  const auto chart = shownChart({504, 302}, {h100("bench_full.jsonl"), h100("bench_causal.jsonl")});
  PlotView& view = *chart;
  view.resize(504, 302 + (view.height() - view.plot()->height()));  // the plot itself 504 × 302
  QTest::qWait(50);
  view.plot()->replot();
  ASSERT_EQ(view.plot()->viewport().size(), QSize(504, 302));
  EXPECT_GE(wholeLegendEntries(view, "504 × 302"), 5);
}

// A y title is never taller than its panel (on a 1280×720 screen the decode chart's "memory throughput
// [GB/s]" ran into the next row's): where it does not fit, only its unit is written.
TEST(GuiCharts, YTitlesFitTheirPanels) {
  for (QSize size : {QSize(1400, 900), QSize(850, 380)}) {
    PlotView view;
    view.resize(size);
    view.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
    view.setPanels(PlotView::Panels::Bandwidth);
    view.setSources({h100("decode.jsonl")});
    view.plot()->replot();
    int labelled = 0;
    for (QCPAxisRect* rect : view.plot()->axisRects()) {
      const QCPAxis* y = rect->axis(QCPAxis::atLeft);
      if (y->label().isEmpty()) continue;
      ++labelled;
      EXPECT_LE(QFontMetrics(y->labelFont()).horizontalAdvance(y->label()), rect->outerRect().height() + 4)
          << y->label().toStdString() << " in a " << rect->outerRect().height() << " px panel";
    }
    EXPECT_EQ(labelled, 2) << "one per row";
  }
}

// A y title with no unit is shortened too: in the four charts of two files, wrapped into eight short rows, "% of
// compute peak" (the only title with no unit to fall back on) was left whole and ran into the next row's title.
// Now every y title lies within its panel's height (its facet's name included); the percentage's says what it is of in
// a word.
TEST(GuiCharts, YTitlesWithNoUnitAreShortenedInShortPanelsToo) {
  const auto chart = shownChart({1600, 900}, {issue15("call9"), issue15("call8")});
  PlotView& view = *chart;
  for (QSize size : {QSize(760, 720), QSize(760, 640)}) {
    view.resize(size);
    QTest::qWait(50);
    view.plot()->replot();
    QStringList titles;
    for (QCPAxisRect* rect : view.plot()->axisRects()) {
      const QCPAxis* y = rect->axis(QCPAxis::atLeft);
      if (y->label().isEmpty()) continue;
      titles << y->label();
      // The title is centred on the axis; the panel is the axis rect with its facet's name above it.
      const auto* box = qobject_cast<QCPLayoutGrid*>(rect->layout());
      const QRect panel = box ? box->outerRect() : rect->outerRect();
      const int half = QFontMetrics(y->labelFont()).horizontalAdvance(y->label()) / 2;
      EXPECT_GE(rect->center().y() - half, panel.top()) << y->label().toStdString() << " above its panel at " << size.width() << "×" << size.height();
      EXPECT_LE(rect->center().y() + half, panel.bottom()) << y->label().toStdString() << " below its panel at " << size.width() << "×" << size.height();
    }
    EXPECT_EQ(titles.size(), 8) << "one per row: two rows of facets per metric";
    EXPECT_TRUE(titles.contains(QStringLiteral("% peak"))) << titles.join(QStringLiteral(" | ")).toStdString();
  }
}

// A short panel's y labels never run into each other: neighbouring labels stand at least one label height apart,
// on linear axes (0–80 % labelled every 10 or 20 in a panel ~20 px high) and log ones (0.1 0.2 0.5 1 2 5 ms) alike,
// and a linear axis with room for one and a half labels still labels two values. Tall panels keep QCustomPlot's own
// steps.
TEST(GuiCharts, YLabelsThinOutInShortPanelsAndNeverOverlap) {
  const auto chart = shownChart({1600, 900}, {issue15("call9"), issue15("call8")});
  PlotView& view = *chart;
  // Per y axis, the labels inside its range; every pair of neighbours checked for room.
  auto labelsPerAxis = [&](const std::string& when) {
    view.plot()->replot();
    std::vector<int> counts;
    for (QCPAxisRect* rect : view.plot()->axisRects()) {
      QCPAxis* y = rect->axis(QCPAxis::atLeft);
      const int height = QFontMetrics(y->tickLabelFont()).height();
      std::vector<double> pixels;
      for (double t : y->tickVector())
        if (y->range().contains(t)) pixels.push_back(y->coordToPixel(t));
      std::sort(pixels.begin(), pixels.end());
      for (std::size_t i = 1; i < pixels.size(); ++i)
        EXPECT_GE(pixels[i] - pixels[i - 1], height) << when << ": labels " << pixels[i] - pixels[i - 1] << " px apart in a " << rect->height() << " px panel";
      if (y->scaleType() == QCPAxis::stLinear && rect->height() >= 1.5 * height)
        EXPECT_GE(pixels.size(), 2u) << when << ": a " << rect->height() << " px panel";
      counts.push_back(int(pixels.size()));
    }
    return counts;
  };
  const std::vector<int> tall = labelsPerAxis("1600 × 900");
  for (QCPAxisRect* rect : view.plot()->axisRects()) {
    const QCPAxis* y = rect->axis(QCPAxis::atLeft);
    if (y->scaleType() != QCPAxis::stLinear) continue;
    QVector<double> own;
    QCPAxisTicker().generate(y->range(), QLocale(), QLatin1Char('g'), 6, own, nullptr, nullptr);
    EXPECT_EQ(y->tickVector(), own) << "a tall panel keeps QCustomPlot's own steps";
  }
  for (QSize size : {QSize(760, 720), QSize(760, 640)}) {
    view.resize(size);
    QTest::qWait(50);
    labelsPerAxis(std::to_string(size.width()) + " × " + std::to_string(size.height()));
  }
  view.resize(1600, 900);
  QTest::qWait(50);
  EXPECT_EQ(labelsPerAxis("1600 × 900 again"), tall);
}

// The y titles follow the window, not only a rebuild: made short, the panels' titles drop to their unit
// at once (they overflowed into the next row until something rebuilt the chart); made tall again, the
// whole title comes back.
TEST(GuiCharts, YTitlesAreFittedAgainWhenTheWindowIsResized) {
  const auto chart = shownChart({1400, 900}, {h100("decode.jsonl")}, PlotView::Panels::Bandwidth);
  PlotView& view = *chart;
  auto titles = [&] {
    QStringList out;
    for (QCPAxisRect* rect : view.plot()->axisRects()) {
      const QCPAxis* y = rect->axis(QCPAxis::atLeft);
      if (y->label().isEmpty()) continue;
      out << y->label();
      EXPECT_LE(QFontMetrics(y->labelFont()).horizontalAdvance(y->label()), rect->outerRect().height())
          << y->label().toStdString() << " in a " << rect->outerRect().height() << " px panel at "
          << view.width() << "×" << view.height();
    }
    return out;
  };
  const QStringList tall = titles();
  ASSERT_EQ(tall.size(), 2);
  EXPECT_TRUE(tall.front().contains(QStringLiteral("throughput"))) << tall.front().toStdString();
  // Narrower and shorter: the legend wraps onto more rows and the panels lose height. No rebuild asked.
  view.resize(620, 330);
  QTest::qWait(50);
  const QStringList shortTitles = titles();
  ASSERT_EQ(shortTitles.size(), 2);
  EXPECT_TRUE(shortTitles.front().startsWith(QLatin1Char('['))) << shortTitles.front().toStdString();
  view.resize(1400, 900);
  QTest::qWait(50);
  EXPECT_EQ(titles(), tall);
}

// A sweep's x labels (1k 2k 4k …) never run into each other: in narrow panels only every second (or fifth) power of
// two is labelled, and a wide window labels them all again — with no rebuild in between.
TEST(GuiCharts, SweepLabelsThinOutInNarrowPanelsAndNeverOverlap) {
  const auto chart = shownChart({1600, 900}, {h100("bench_full.jsonl")});
  PlotView& view = *chart;
  auto mostLabels = [&](const char* when) {
    int most = 0;
    for (QCPAxisRect* rect : view.plot()->axisRects()) {
      QCPAxis* x = rect->axis(QCPAxis::atBottom);
      const QFontMetrics metrics(x->tickLabelFont());
      const QVector<double> ticks = x->tickVector();
      const QVector<QString> labels = x->tickVectorLabels();
      std::vector<std::pair<double, double>> shown;  // pixel centre and width of each label inside the range
      for (int i = 0; i < ticks.size() && i < labels.size(); ++i)
        if (x->range().contains(ticks[i])) shown.push_back({x->coordToPixel(ticks[i]), double(metrics.horizontalAdvance(labels[i]))});
      for (std::size_t i = 1; i < shown.size(); ++i)
        EXPECT_GE(shown[i].first - shown[i - 1].first, (shown[i].second + shown[i - 1].second) / 2) << when << ": labels overlap";
      most = std::max(most, int(shown.size()));
    }
    return most;
  };
  const int wide = mostLabels("wide");
  EXPECT_GE(wide, 4);
  view.resize(420, 700);
  QTest::qWait(50);
  view.plot()->replot();
  const int narrow = mostLabels("narrow");
  EXPECT_GE(narrow, 1);
  EXPECT_LT(narrow, wide);
  view.resize(1600, 900);
  QTest::qWait(50);
  view.plot()->replot();
  EXPECT_EQ(mostLabels("wide again"), wide);
}

// The chart's title follows the window too: wider than the plot it breaks after the device name, and a
// wide window puts it back on one line — with no rebuild in between (the same title element throughout),
// each line fitting the plot, and nothing drawn over: the panels start below the title's lines.
TEST(GuiCharts, TheTitleIsFittedAgainWhenTheWindowIsResized) {
  const auto chart = shownChart({1600, 900}, {h100("bench_full.jsonl")});
  PlotView& view = *chart;
  QCPTextElement* title = nullptr;
  for (QCPLayoutElement* e : view.plot()->plotLayout()->elements(true))
    if (auto* t = qobject_cast<QCPTextElement*>(e); t && t->text().contains(QStringLiteral("NVIDIA H100"))) title = t;
  ASSERT_NE(title, nullptr);
  const QString whole = view.model().title;
  ASSERT_TRUE(whole.contains(QStringLiteral(" — "))) << whole.toStdString();
  auto expectFitted = [&](const char* when) {
    const QFontMetrics metrics(title->font());
    for (const QString& line : title->text().split(QLatin1Char('\n')))
      EXPECT_LE(metrics.horizontalAdvance(line), view.plot()->viewport().width()) << when << ": " << line.toStdString();
    EXPECT_GE(title->outerRect().height(), metrics.lineSpacing() * int(title->text().count(QLatin1Char('\n')) + 1)) << when;
    for (QCPAxisRect* rect : view.plot()->axisRects())
      EXPECT_GE(rect->outerRect().top(), title->outerRect().bottom()) << when << ": a panel under the title";
  };
  EXPECT_EQ(title->text().toStdString(), whole.toStdString());
  expectFitted("wide");
  view.resize(400, 700);
  QTest::qWait(50);
  ASSERT_GT(QFontMetrics(title->font()).horizontalAdvance(whole), view.plot()->viewport().width()) << "a window too narrow for it";
  EXPECT_EQ(title->text().toStdString(), QString(whole).replace(QStringLiteral(" — "), QStringLiteral("\n")).toStdString());
  expectFitted("narrow");
  view.resize(1600, 900);
  QTest::qWait(50);
  EXPECT_EQ(title->text().toStdString(), whole.toStdString());
  expectFitted("wide again");
}

// Facets wrap onto more rows where side by side they would be too narrow to read (two files in the four charts
// gave eight facet columns of ~40 px, one x label each): every panel then has room for its y axis and four sweep
// labels, keeps its facet's name, lies inside the chart and overlaps no other; the facets keep their order.
// A window wide enough keeps them in one row per metric, as before — and a resize wraps them, with no rebuild asked.
TEST(GuiCharts, FacetsWrapIntoRowsWhereSideBySideTheyWouldBeTooNarrow) {
  const auto chart = shownChart({1600, 900}, {issue15("call9"), issue15("call8")});
  PlotView& view = *chart;
  const std::vector<QString>& facets = view.model().facets;
  ASSERT_EQ(facets.size(), 8u);  // d = 64, 96, 128, 256 × causal
  struct Panel {
    QRect outer;
    QString name;  // the facet title right above it, if any
  };
  auto panels = [&] {
    view.plot()->replot();
    std::vector<Panel> out;
    for (QCPAxisRect* rect : view.plot()->axisRects()) {
      Panel p{rect->outerRect(), {}};
      if (auto* box = qobject_cast<QCPLayoutGrid*>(rect->layout()); box && box->elementCount() == 2)
        if (auto* name = qobject_cast<QCPTextElement*>(box->elementAt(0))) p.name = name->text();
      out.push_back(p);
    }
    // In reading order: left to right, then the next row down.
    std::sort(out.begin(), out.end(), [](const Panel& a, const Panel& b) {
      return std::pair(a.outer.top(), a.outer.left()) < std::pair(b.outer.top(), b.outer.left());
    });
    return out;
  };
  auto rows = [](const std::vector<Panel>& ps) {
    std::set<int> tops;
    for (const Panel& p : ps) tops.insert(p.outer.top());
    return tops.size();
  };
  const std::vector<Panel> wide = panels();
  ASSERT_EQ(wide.size(), 32u);
  EXPECT_EQ(rows(wide), 4u) << "wide enough: one row per metric, as before";
  EXPECT_EQ(std::count_if(wide.begin(), wide.end(), [](const Panel& p) { return !p.name.isEmpty(); }), 8) << "named once, over the columns";

  view.resize(760, 720);  // the chart's share of a 1920 × 1080 window beside the problem and the guide
  QTest::qWait(50);
  const std::vector<Panel> wrapped = panels();
  ASSERT_EQ(wrapped.size(), 32u);
  EXPECT_EQ(rows(wrapped), 8u) << "two rows of four facets per metric";
  const QRect viewport = view.plot()->viewport();
  for (QCPAxisRect* rect : view.plot()->axisRects()) {
    const QFontMetrics tick(rect->axis(QCPAxis::atBottom)->tickLabelFont());
    EXPECT_GE(rect->width(), 4 * tick.horizontalAdvance(QStringLiteral("16k "))) << "a panel too narrow for four sweep labels";
  }
  for (std::size_t i = 0; i < wrapped.size(); ++i) {
    EXPECT_TRUE(viewport.contains(wrapped[i].outer)) << "panel " << i << " outside the chart";
    for (std::size_t j = 0; j < i; ++j)
      EXPECT_FALSE(wrapped[i].outer.intersects(wrapped[j].outer)) << "panels " << j << " and " << i << " overlap";
    // The metrics' blocks one under the other, each with the facets in reading order, every one named.
    EXPECT_EQ(wrapped[i].name.toStdString(), facets[i % facets.size()].toStdString()) << "panel " << i;
  }
  view.resize(1600, 900);
  QTest::qWait(50);
  EXPECT_EQ(rows(panels()), 4u) << "wide again";
}

// Files holding two dtypes: the chart shows one until more are ticked — the one with the most measured points, so a
// bfloat16 file opened beside one with both dtypes is on the chart (float16 first hid all of it, and left its
// bfloat16-only head dims as empty panels under a "float16" title) — and the title names exactly the dtype drawn.
// Both ticked: the panels name the dtypes and the title names neither.
TEST(GuiCharts, TheTitleNamesTheDtypeDrawnAndTheDefaultDtypeShowsMostOfTheFiles) {
  const std::vector<PlotSource> files{issue15("call9"), issue15("call8")};
  const PlotModel m = buildPlotModel(files);
  std::set<std::string> drawn;
  std::set<int> sources;
  std::vector<int> measuredPerFacet(m.facets.size());
  for (const PlotSeries& s : m.series)
    for (const PlotPoint& p : s.points)
      if (p.ok()) drawn.insert(std::string(to_string(p.record.problem.dtype))), sources.insert(s.source), ++measuredPerFacet[std::size_t(s.facet)];
  ASSERT_EQ(drawn.size(), 1u) << "one dtype until more are ticked";
  EXPECT_EQ(*drawn.begin(), "bfloat16") << "most measured points are bfloat16";
  const QRegularExpression float16(QStringLiteral("(^|[^b])float16"));
  EXPECT_TRUE(m.title.contains(QStringLiteral("bfloat16")) && !m.title.contains(float16)) << m.title.toStdString();
  EXPECT_TRUE(m.overlay);
  EXPECT_EQ(sources.size(), 2u) << "both files are on the chart";
  for (std::size_t f = 0; f < m.facets.size(); ++f) EXPECT_GT(measuredPerFacet[f], 0) << m.facets[f].toStdString() << " is empty";

  PlotOptions both;
  both.only[SweepAxis::DType] = {"float16", "bfloat16"};
  const PlotModel two = buildPlotModel(files, both);
  EXPECT_FALSE(two.title.contains(QStringLiteral("float16"))) << two.title.toStdString();
  EXPECT_TRUE(std::any_of(two.facets.begin(), two.facets.end(), [&](const QString& f) { return f.contains(float16); }));
  EXPECT_TRUE(std::any_of(two.facets.begin(), two.facets.end(), [](const QString& f) { return f.contains(QStringLiteral("bfloat16")); }));
}
