// The details pane's "Run" tab (RunFacts.h): how a result set was measured, and with a second file
// overlaid, what differs between the two machines.
#include <gtest/gtest.h>

#include <QTextBrowser>

#include "BackendListView.h"
#include "MainWindow.h"
#include "RunFacts.h"
#include "gui_test_util.h"

using namespace attnscope;
using namespace attnscope::gui;

namespace {
ResultSet machine(const char* label, const char* driver, int powerW, int others) {
  ResultSet s{label, QString(), {}};
  s.doc.device.id = "cuda:0";
  s.doc.device.name = "NVIDIA H100";
  s.doc.environment.driver_version = driver;
  GpuState g;
  g.device = "cuda:0";
  g.sm_clock_mhz = 1980;
  g.max_sm_clock_mhz = 1980;
  g.power_limit_w = powerW;
  g.persistence_mode = true;
  g.other_processes = others;
  s.doc.environment.gpus_at_start = {g};
  s.doc.environment.flop_formula = Problem::flops_formula();
  Record r;
  r.status = Status::Ok;
  r.sm_clock_mhz = 1755;
  r.memory_clock_mhz = 2619;
  r.other_processes = others;
  s.doc.records = {r, r};
  return s;
}
}  // namespace

TEST(GuiRunFacts, TwoMachinesSideBySideWithTheDifferencesMarked) {
  const ResultSet a = machine("lab.json", "580.95.05", 700, 0), b = machine("cloud.json", "575.51.03", 350, 2);
  QTextBrowser view;
  view.setHtml(runFactsHtml(a, &b));
  const QString text = view.toPlainText();
  EXPECT_TRUE(text.contains("580.95.05") && text.contains("575.51.03")) << text.toStdString();
  EXPECT_TRUE(text.contains("Driver ≠")) << text.toStdString();
  EXPECT_TRUE(text.contains("power limit 700 W") && text.contains("power limit 350 W")) << text.toStdString();
  EXPECT_TRUE(text.contains("2 of 2 measured records had other processes on the GPU")) << text.toStdString();
  EXPECT_TRUE(text.contains("FLOP = 4·B·Hq·d")) << text.toStdString();
  EXPECT_FALSE(text.contains("FLOP formula ≠")) << text.toStdString();  // the same formula both sides
  EXPECT_TRUE(text.contains("Memory clock during the run")) << text.toStdString();
  // One file alone: nothing to mark; an older file says what it did not record.
  ResultSet old{"old.json", QString(), {}};
  view.setHtml(runFactsHtml(old, nullptr));
  EXPECT_FALSE(view.toPlainText().contains("≠"));
  EXPECT_TRUE(view.toPlainText().contains("not recorded"));
}

TEST(GuiRunFacts, AnOpenedFileFillsTheRunTab) {
  MainWindow w;
  ASSERT_TRUE(w.openResultFile(gui_test::dataPath("cpu_run.json")));
  const QString text = w.backendView()->runFacts()->toPlainText();
  EXPECT_TRUE(text.contains("Host")) << text.toStdString();
  EXPECT_TRUE(text.contains("FLOP formula")) << text.toStdString();
}
