// The run controller supervising a worker that misbehaves (the 2026-12-06 reliability review, F4/F10):
// restarts are bounded and backed off, a stalled or hung worker is killed by the watchdog and recorded
// on its item, item numbers and line lengths from the worker are checked.
#include <gtest/gtest.h>

#include <QSignalSpy>
#include <QTemporaryDir>

#include "RunController.h"
#include "gui_test_util.h"

using namespace attnscope;
using namespace attnscope::gui;
using gui_test::dataPath;

namespace {

struct Supervised {
  QTemporaryDir tmp;
  RunController run;
  QSignalSpy finished{&run, &RunController::finished};
  QSignalSpy restarted{&run, &RunController::workerRestarted};

  explicit Supervised(int watchdogMs = 60000) {
    run.setWorkerPath(dataPath("misbehaving-worker.sh"));
    run.setWatchdogMs(watchdogMs);
    run.setRestartBackoffMs(20);
  }
  bool runToEnd(int timeoutMs = 30000) {
    return run.start({"cpu", {"--seq", "64,128"}, {"cpu-reference", "cpu-math"}, {}}) && finished.wait(timeoutMs);
  }
  RunController::Outcome outcome() const { return finished[0][0].value<RunController::Outcome>(); }
  QString message() const { return finished[0][1].toString(); }
};

}  // namespace

TEST(GuiSupervision, AWorkerThatDiesAfterItsStartLineIsRestartedABoundedNumberOfTimes) {
  gui_test::ScopedEnv mode("MISBEHAVE", "die_after_start");
  Supervised s;
  ASSERT_TRUE(s.runToEnd());
  EXPECT_EQ(s.outcome(), RunController::Outcome::Failed);
  EXPECT_TRUE(s.message().contains("keeps failing")) << s.message().toStdString();
  // Per item: the first launch and kMaxRestartsPerItem restarts; the run stops after
  // kMaxFailedItemsInARow items failed with nothing measured.
  const int launches = s.restarted.size() + 1;
  EXPECT_EQ(launches, (RunController::kMaxRestartsPerItem + 1) * RunController::kMaxFailedItemsInARow);
  ASSERT_EQ(s.run.records().size(), std::size_t(RunController::kMaxFailedItemsInARow));
  for (const Record& r : s.run.records()) {
    EXPECT_EQ(r.status, Status::Error);
    EXPECT_NE(r.message.find("recorded the item as failed"), std::string::npos) << r.message;
  }
  EXPECT_EQ(s.run.records()[1].backend, "cpu-math");  // item 1 of the plan, named from the start line
}

TEST(GuiSupervision, ADropThatRecoversCostsNoItem) {
  gui_test::ScopedEnv mode("MISBEHAVE", "die_after_start");
  QTemporaryDir marks;
  gui_test::ScopedEnv once("MISBEHAVE_ONCE", marks.filePath("once").toLocal8Bit());
  Supervised s;
  ASSERT_TRUE(s.runToEnd());
  EXPECT_EQ(s.outcome(), RunController::Outcome::Completed) << s.message().toStdString();
  EXPECT_EQ(s.restarted.size(), 1);
  ASSERT_EQ(s.run.records().size(), 4u);
  for (const Record& r : s.run.records()) EXPECT_EQ(r.status, Status::Ok);
}

TEST(GuiSupervision, AStalledWorkerIsKilledByTheWatchdog) {
  gui_test::ScopedEnv mode("MISBEHAVE", "stall_after_start");
  Supervised s(300);
  ASSERT_TRUE(s.runToEnd());
  EXPECT_EQ(s.outcome(), RunController::Outcome::Failed);
  ASSERT_FALSE(s.run.records().empty());
  EXPECT_NE(s.run.records()[0].message.find("watchdog"), std::string::npos) << s.run.records()[0].message;
}

TEST(GuiSupervision, AHungItemIsRecordedOnItsPointAndTheSweepGoesOn) {
  gui_test::ScopedEnv mode("MISBEHAVE", "hang_in_item_1");
  QTemporaryDir marks;
  gui_test::ScopedEnv once("MISBEHAVE_ONCE", marks.filePath("once").toLocal8Bit());
  Supervised s(500);
  ASSERT_TRUE(s.runToEnd());
  EXPECT_EQ(s.outcome(), RunController::Outcome::Completed) << s.message().toStdString();
  ASSERT_EQ(s.run.records().size(), 4u);
  EXPECT_EQ(s.run.records()[0].status, Status::Ok);
  EXPECT_EQ(s.run.records()[1].status, Status::Error);
  EXPECT_EQ(s.run.records()[1].backend, "cpu-math");
  EXPECT_NE(s.run.records()[1].message.find("watchdog"), std::string::npos) << s.run.records()[1].message;
  EXPECT_EQ(s.run.records()[2].status, Status::Ok);
  EXPECT_EQ(s.run.records()[3].status, Status::Ok);
}

TEST(GuiSupervision, ALineWithoutEndIsNotBufferedWithoutBound) {
  gui_test::ScopedEnv mode("MISBEHAVE", "huge_line");
  QTemporaryDir marks;
  gui_test::ScopedEnv once("MISBEHAVE_ONCE", marks.filePath("once").toLocal8Bit());
  Supervised s;
  ASSERT_TRUE(s.runToEnd(60000));
  EXPECT_EQ(s.outcome(), RunController::Outcome::Completed) << s.message().toStdString();
  EXPECT_EQ(s.restarted.size(), 1);
  ASSERT_EQ(s.run.records().size(), 4u);
}

TEST(GuiSupervision, ItemNumbersOutsideThePlanAreRejected) {
  {
    gui_test::ScopedEnv mode("MISBEHAVE", "bad_item");
    QTemporaryDir marks;
    gui_test::ScopedEnv once("MISBEHAVE_ONCE", marks.filePath("once").toLocal8Bit());
    Supervised s;
    ASSERT_TRUE(s.runToEnd());
    EXPECT_EQ(s.outcome(), RunController::Outcome::Completed) << s.message().toStdString();
    ASSERT_EQ(s.run.records().size(), 4u);  // the bogus record was not kept
    EXPECT_TRUE(s.run.lastArguments().join(' ').indexOf("--start-at") < 0) << s.run.lastArguments().join(' ').toStdString();
  }
  {
    gui_test::ScopedEnv mode("MISBEHAVE", "negative_total");
    Supervised s;
    ASSERT_TRUE(s.runToEnd());
    EXPECT_EQ(s.outcome(), RunController::Outcome::Failed);
    EXPECT_TRUE(s.message().contains("invalid worker line")) << s.message().toStdString();
  }
}
