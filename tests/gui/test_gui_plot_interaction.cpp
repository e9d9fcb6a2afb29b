// Zoom, pan, reset and legend toggling act on the real QCustomPlot (the one test file that includes it).
#include <gtest/gtest.h>
#include <qcustomplot.h>

#include <QTest>

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
}
