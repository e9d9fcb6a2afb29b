// A GPU on another host (issue 17): the app starts attnscope-cli through a command such as
// `ssh user@gpu-box attnscope-cli` and reads the same JSON lines over the channel. Here a stand-in for
// ssh (data/fake-ssh.sh) forwards to the local CLI, once cleanly and once dropping the connection in
// the middle of a sweep: the item it dropped on shows an error at once, the sweep resumes from the
// worker's journal, and the item's real record takes the error's place. Whatever way a run ends, what it
// left in the remote /tmp is removed through the same command.
#include <gtest/gtest.h>

#include <QComboBox>
#include <QFile>
#include <QSignalSpy>
#include <QSettings>
#include <QTemporaryDir>
#include <memory>
#include <set>

#include "DeviceListService.h"
#include "EligibilityService.h"
#include "MainWindow.h"
#include "ProblemPanel.h"
#include "RunController.h"
#include "gui_test_util.h"

using namespace attnscope;
using namespace attnscope::gui;
using gui_test::dataPath;

namespace {

// As a user types it: the stand-in for ssh, the host, the worker's path on that host.
QString remoteCommandLine() {
  return QStringLiteral("\"%1\" user@gpu-box %2").arg(dataPath("fake-ssh.sh"), QStringLiteral(ATTNSCOPE_CLI_PATH));
}

WorkerCommand remoteCommand() { return *WorkerCommand::remoteFrom(remoteCommandLine()); }

const QStringList kQuick = {"--min-samples", "2", "--min-time", "0", "--max-time", "0.05"};

std::set<std::pair<int64_t, std::string>> pointsAndBackends(const std::vector<Record>& records) {
  std::set<std::pair<int64_t, std::string>> out;
  for (const Record& r : records) out.insert({r.problem.q_len, r.backend});
  return out;
}

// The run's --json file on the remote host (the stand-in's host is this machine), from the worker's arguments.
QString remoteFileOf(const RunController& run) {
  const qsizetype json = run.lastArguments().indexOf("--json");
  return json >= 0 ? run.lastArguments().value(json + 1) : QString();
}

// After the run, `remove-run` through the remote command took the file and its journal off the host.
void expectNothingLeftOnTheHost(QSignalSpy& removed, const RunController& run) {
  ASSERT_TRUE(!removed.isEmpty() || removed.wait(30000)) << "no clean-up on the remote host";
  EXPECT_TRUE(removed[0][0].toBool()) << removed[0][1].toString().toStdString();
  const QString file = remoteFileOf(run);
  ASSERT_TRUE(file.startsWith("/tmp/attnscope-run-")) << file.toStdString();
  EXPECT_FALSE(QFile::exists(file)) << file.toStdString();
  EXPECT_FALSE(QFile::exists(file + ".journal.jsonl")) << file.toStdString();
}

}  // namespace

TEST(GuiRemote, ArgumentsReachTheRemoteWorkerAsOneWordEach) {
  const WorkerCommand c = *WorkerCommand::remoteFrom(QStringLiteral("ssh -p 2222 user@gpu-box attnscope-cli"));
  EXPECT_EQ(c.program, QStringLiteral("ssh"));
  EXPECT_EQ(c.host(), QStringLiteral("user@gpu-box"));
  EXPECT_EQ(c.arguments({"run", "--json", "/tmp/it's here.json"}),
            (QStringList{"-p", "2222", "user@gpu-box", "attnscope-cli", "'run'", "'--json'", "'/tmp/it'\\''s here.json'"}));
  QString error;
  EXPECT_FALSE(WorkerCommand::remoteFrom(QStringLiteral("  "), &error));
  EXPECT_TRUE(error.contains("ssh user@gpu-box")) << error.toStdString();
}

TEST(GuiRemote, TheRemoteHostsDevicesJoinTheListAndEligibilityComesBackOverTheChannel) {
  MainWindow w;
  ASSERT_TRUE(w.setRemoteCommand(remoteCommandLine()));
  QSignalSpy listed(w.remoteDeviceService(), &DeviceListService::updated);
  if (listed.isEmpty()) ASSERT_TRUE(listed.wait(30000));
  auto* combo = w.problemPanel()->findChild<QComboBox*>();
  ASSERT_NE(combo, nullptr);
  const int remoteCpu = combo->findData(QStringLiteral("remote:cpu"));
  ASSERT_GE(remoteCpu, 0);
  EXPECT_TRUE(combo->itemText(remoteCpu).startsWith("user@gpu-box: ")) << combo->itemText(remoteCpu).toStdString();
  EXPECT_EQ(combo->itemData(combo->count() - 1).toString(), ProblemPanel::kRemoteSetupEntry);
  // The command is remembered for the next start.
  EXPECT_EQ(QSettings().value("remote/command").toString(), remoteCommandLine());

  QSignalSpy judged(w.eligibility(), &EligibilityService::updated);
  combo->setCurrentIndex(remoteCpu);
  ASSERT_TRUE(judged.wait(30000));
  const auto statuses = judged.last()[0].value<QList<BackendStatus>>();
  EXPECT_TRUE(std::any_of(statuses.begin(), statuses.end(), [](const BackendStatus& s) { return s.eligibleAnywhere(); }));
  ASSERT_TRUE(w.setRemoteCommand(QString()));
  EXPECT_LT(combo->findData(QStringLiteral("remote:cpu")), 0);
}

TEST(GuiRemote, ASweepOnTheRemoteHostStreamsBackLikeALocalOne) {
  RunController run;
  run.setRemoteCommand(remoteCommand());
  QSignalSpy finished(&run, &RunController::finished);
  QSignalSpy arrived(&run, &RunController::recordReady);
  QSignalSpy removed(&run, &RunController::remoteFilesRemoved);
  ASSERT_TRUE(run.start({"remote:cpu", {"--seq", "64,128"}, {"cpu-reference", "cpu-math"}, kQuick}));
  ASSERT_TRUE(finished.wait(60000));
  EXPECT_EQ(finished[0][0].value<RunController::Outcome>(), RunController::Outcome::Completed)
      << finished[0][1].toString().toStdString();
  EXPECT_EQ(arrived.size(), 4);  // one by one, as they were measured
  ASSERT_EQ(run.records().size(), 4u);
  for (const Record& r : run.records()) EXPECT_EQ(r.status, Status::Ok) << r.message;
  EXPECT_TRUE(run.resumable());
  EXPECT_TRUE(run.lastArguments().contains("--json"));
  expectNothingLeftOnTheHost(removed, run);
}

TEST(GuiRemote, ACancelledRemoteRunLeavesNothingOnTheHost) {
  RunController run;
  run.setRemoteCommand(remoteCommand());
  QSignalSpy finished(&run, &RunController::finished);
  QSignalSpy removed(&run, &RunController::remoteFilesRemoved);
  QObject::connect(&run, &RunController::recordReady, &run, [&run] { run.cancel(); });
  ASSERT_TRUE(run.start({"remote:cpu", {"--seq", "64:512:+64"}, {"cpu-reference", "cpu-math"}, kQuick}));
  ASSERT_TRUE(finished.wait(60000));
  EXPECT_EQ(finished[0][0].value<RunController::Outcome>(), RunController::Outcome::Cancelled)
      << finished[0][1].toString().toStdString();
  EXPECT_LT(run.records().size(), 16u);
  expectNothingLeftOnTheHost(removed, run);
}

TEST(GuiRemote, ClosingTheAppMidRunLeavesNothingOnTheHost) {
  auto run = std::make_unique<RunController>();
  run->setRemoteCommand(remoteCommand());
  QSignalSpy arrived(run.get(), &RunController::recordReady);
  ASSERT_TRUE(run->start({"remote:cpu", {"--seq", "64:512:+64"}, {"cpu-reference", "cpu-math"}, kQuick}));
  ASSERT_TRUE(arrived.wait(60000));
  const QString file = remoteFileOf(*run);
  ASSERT_TRUE(file.startsWith("/tmp/attnscope-run-")) << file.toStdString();
  ASSERT_TRUE(QFile::exists(file + ".journal.jsonl"));  // the run is under way there
  run.reset();  // the window closes: the worker is killed, the clean-up runs before the app goes
  EXPECT_FALSE(QFile::exists(file + ".journal.jsonl")) << file.toStdString();
  EXPECT_FALSE(QFile::exists(file)) << file.toStdString();
}

TEST(GuiRemote, ADroppedConnectionIsAnErrorOnTheItemAndTheSweepResumesAndCompletes) {
  QTemporaryDir marks;
  // start, progress 0, record 0, progress 1: the connection drops while item 1 runs.
  gui_test::ScopedEnv drop("FAKE_SSH_DROP_AFTER", "4");
  gui_test::ScopedEnv mark("FAKE_SSH_DROP_MARK", marks.filePath("dropped").toLocal8Bit());
  RunController run;
  run.setRemoteCommand(remoteCommand());
  run.setRestartBackoffMs(20);
  QSignalSpy finished(&run, &RunController::finished);
  QSignalSpy restarted(&run, &RunController::workerRestarted);
  QSignalSpy replaced(&run, &RunController::recordReplaced);
  QSignalSpy removed(&run, &RunController::remoteFilesRemoved);
  std::vector<Record> seen;
  QObject::connect(&run, &RunController::recordReady, [&](const Record& r) { seen.push_back(r); });
  ASSERT_TRUE(run.start({"remote:cpu", {"--seq", "64,128"}, {"cpu-reference", "cpu-math"}, kQuick}));
  ASSERT_TRUE(finished.wait(60000));
  EXPECT_EQ(finished[0][0].value<RunController::Outcome>(), RunController::Outcome::Completed)
      << finished[0][1].toString().toStdString();
  ASSERT_EQ(restarted.size(), 1);
  EXPECT_TRUE(run.lastArguments().contains("--resume")) << run.lastArguments().join(' ').toStdString();
  // The drop was shown on item 1 at once: an error naming how the connection ended.
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen[1].status, Status::Error);
  EXPECT_NE(seen[1].message.find("exited with code 255"), std::string::npos) << seen[1].message;
  // Resumed: item 1's real record (the worker journaled it as the channel closed) replaced the error,
  // and every item is there once.
  ASSERT_EQ(replaced.size(), 1);
  EXPECT_EQ(replaced[0][0].value<qsizetype>(), 1);
  ASSERT_EQ(run.records().size(), 4u);
  for (const Record& r : run.records()) EXPECT_EQ(r.status, Status::Ok) << r.message;
  EXPECT_EQ(pointsAndBackends(run.records()).size(), 4u);
  expectNothingLeftOnTheHost(removed, run);  // also the journal the dropped worker began
}

TEST(GuiRemote, AllGpusIsOfferedWhenAHostHasSeveral) {
  ProblemPanel panel;
  DeviceList list;
  DeviceInfo cpu;
  cpu.id = "cpu";
  list.devices.push_back(cpu);
  for (int i = 0; i < 2; ++i) {
    DeviceInfo g;
    g.id = "cuda:" + std::to_string(i);
    g.kind = DeviceKind::Cuda;
    g.name = "NVIDIA H100";
    list.devices.push_back(g);
  }
  panel.setDevices(list);
  auto* combo = panel.findChild<QComboBox*>();
  const int all = combo->findData(QStringLiteral("all"));
  ASSERT_GE(all, 0);
  EXPECT_TRUE(combo->itemText(all).contains("All 2 GPUs")) << combo->itemText(all).toStdString();
  combo->setCurrentIndex(all);
  EXPECT_EQ(panel.spec().device, QStringLiteral("all"));
  EXPECT_EQ(panel.currentDevice().id, "cuda:0");  // a sharded sweep is judged on its first GPU
  panel.setRemoteDevices("gpu-box", list);
  EXPECT_GE(combo->findData(QStringLiteral("remote:all")), 0);
  EXPECT_GE(combo->findData(QStringLiteral("remote:cuda:1")), 0);
  // "Remote host…" asks for the command and leaves the device as it was.
  QSignalSpy asked(&panel, &ProblemPanel::remoteHostRequested);
  combo->setCurrentIndex(combo->findData(ProblemPanel::kRemoteSetupEntry));
  EXPECT_EQ(asked.size(), 1);
  EXPECT_EQ(panel.spec().device, QStringLiteral("all"));
}

TEST(GuiShardedRun, ASweepOverTwoWorkersArrivesWholeAndLeavesNoTemporaryFile) {
  // "cpu,cpu" stands in for "all" on a machine with several GPUs: the same coordinator and journal.
  RunController run;
  QSignalSpy finished(&run, &RunController::finished);
  ASSERT_TRUE(run.start({"cpu,cpu", {"--seq", "64,128,192"}, {"cpu-reference", "cpu-math"}, kQuick}));
  EXPECT_TRUE(run.resumable());
  ASSERT_TRUE(finished.wait(60000));
  EXPECT_EQ(finished[0][0].value<RunController::Outcome>(), RunController::Outcome::Completed)
      << finished[0][1].toString().toStdString();
  ASSERT_EQ(run.records().size(), 6u);
  EXPECT_EQ(pointsAndBackends(run.records()).size(), 6u);
  ASSERT_EQ(run.document().devices.size(), 2u);  // the coordinator's start line names both workers
  const qsizetype json = run.lastArguments().indexOf("--json");
  ASSERT_GE(json, 0);
  const QString file = run.lastArguments().value(json + 1);
  EXPECT_FALSE(QFile::exists(file)) << file.toStdString();
  EXPECT_FALSE(QFile::exists(file + ".journal.jsonl"));
}
