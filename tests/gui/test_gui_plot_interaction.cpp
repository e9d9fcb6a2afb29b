// Zoom, pan, reset and legend toggling act on the real QCustomPlot (the one test file that includes it).
#include <gtest/gtest.h>
#include <qcustomplot.h>

#include <QTest>

#include "BackendColors.h"
#include "PlotView.h"
#include "ResultSet.h"
#include "gui_test_util.h"

using namespace attnscope::gui;

namespace {

struct ShownPlot {
  PlotView view;
  ShownPlot() {
    LoadOutcome loaded = loadResultFile(gui_test::dataPath("cpu_run.json"));
    EXPECT_TRUE(loaded.set);
    view.resize(1000, 700);
    view.show();
    EXPECT_TRUE(QTest::qWaitForWindowExposed(&view));
    view.setPanels(PlotView::Panels::Latency);
    view.setSources({{"a", loaded.set->doc.device, loaded.set->doc.records}});
    view.plot()->replot();
  }
  QCPAxisRect* rect() { return view.plot()->axisRect(0); }
  QCPAxis* x() { return rect()->axis(QCPAxis::atBottom); }
};

}  // namespace

TEST(GuiPlotInteraction, WheelZoomsTheLogAxesAndDoubleClickResets) {
  ShownPlot p;
  const QCPRange before = p.x()->range();
  const QPointF centre = p.rect()->rect().center();
  QWheelEvent wheel(centre, p.view.plot()->mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::NoModifier,
                    Qt::NoScrollPhase, false);
  QApplication::sendEvent(p.view.plot(), &wheel);
  const QCPRange zoomed = p.x()->range();
  EXPECT_LT(zoomed.upper / zoomed.lower, before.upper / before.lower);  // log axis: the ratio shrinks
  QTest::mouseDClick(p.view.plot(), Qt::LeftButton, {}, centre.toPoint());
  EXPECT_NEAR(p.x()->range().upper / p.x()->range().lower, before.upper / before.lower, 1e-6);
}

TEST(GuiPlotInteraction, DragPansAndALegendClickHidesASeries) {
  ShownPlot p;
  const QCPRange before = p.x()->range();
  const QPoint from = p.rect()->rect().center();
  QTest::mousePress(p.view.plot(), Qt::LeftButton, {}, from);
  QTest::mouseMove(p.view.plot(), from + QPoint(120, 0));
  QTest::mouseRelease(p.view.plot(), Qt::LeftButton, {}, from + QPoint(120, 0));
  EXPECT_LT(p.x()->range().lower, before.lower);  // dragged right ⇒ looking further left

  QCPLegend* legend = p.view.plot()->legend;
  ASSERT_NE(legend, nullptr);
  ASSERT_EQ(legend->itemCount(), 2);
  auto* entry = qobject_cast<QCPPlottableLegendItem*>(legend->item(0));
  ASSERT_NE(entry, nullptr);
  QTest::mouseClick(p.view.plot(), Qt::LeftButton, {}, entry->rect().center());
  EXPECT_FALSE(entry->plottable()->visible());
  EXPECT_EQ(p.view.plottedPointCount(Metric::Latency), 4);  // hidden, not deleted
  // Hidden stays hidden when the view changes, and in the other panels.
  const QString key = p.view.model().series[0].key;
  EXPECT_TRUE(p.view.hidden().contains(key));
  p.view.setPanels(PlotView::Panels::Tflops);
  p.view.setKind(PlotView::Kind::Bars);
  EXPECT_TRUE(p.view.hidden().contains(key));
  for (int i = 0; i < p.view.plot()->plottableCount(); ++i)
    if (p.view.plot()->plottable(i)->property("key").toString() == key) EXPECT_FALSE(p.view.plot()->plottable(i)->visible());
}

TEST(GuiPlotInteraction, ABackendWithNoMeasuredPointHasAGreyLegendEntryThatSaysWhy) {
  LoadOutcome loaded = loadResultFile(gui_test::dataPath("cpu_run.json"));
  ASSERT_TRUE(loaded.set);
  std::vector<attnscope::Record> records = loaded.set->doc.records;
  for (attnscope::Record& r : records)
    if (r.backend == "cpu-math") {
      r.status = attnscope::Status::Ineligible;
      r.unmet.push_back({"dtype", attnscope::RuleKind::Input, "dtype", "float32", "float16 or bfloat16", false,
                         "dtype is float32; this backend supports float16, bfloat16", "choose float16 or bfloat16"});
    }
  PlotView view;
  view.resize(1000, 700);
  view.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
  view.setSources({{"a", loaded.set->doc.device, records}});
  view.plot()->replot();
  EXPECT_EQ(view.gapMarkerCount(), 0) << "a backend that ran nowhere is greyed in the legend, not crossed at every N";
  QCPLegend* legend = view.plot()->legend;
  QCPPlottableLegendItem* grey = nullptr;
  for (int i = 0; i < legend->itemCount(); ++i) {
    auto* item = qobject_cast<QCPPlottableLegendItem*>(legend->item(i));
    if (item && item->plottable()->name().startsWith(backendShortName("cpu-math"))) grey = item;  // legends use the short name
  }
  ASSERT_NE(grey, nullptr);
  EXPECT_TRUE(grey->plottable()->name().endsWith("(n/a)"));
  EXPECT_EQ(grey->textColor(), QColor(Qt::gray));
  const QString why = view.hoverTextAt(grey->rect().center());
  EXPECT_TRUE(why.contains("dtype is float32; this backend supports float16, bfloat16 — choose float16 or bfloat16"))
      << why.toStdString();
}
