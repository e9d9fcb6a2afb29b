// Opening a result file sets the problem form from the file's run: its recorded command line (read by
// attnscope-cli's own option parser) or its records, the devices it was measured on (every GPU of a sharded
// run) — marked as not here when this machine has no such device — and the backends it ran, naming those
// this build does not have. Two files with different problems: the form keeps the first one's and says how
// the second differs.
#include <gtest/gtest.h>

#include <QAction>
#include <QComboBox>
#include <QLabel>
#include <QMimeData>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>
#include <set>

#include "BackendListModel.h"
#include "BackendListView.h"
#include "DeviceListService.h"
#include "EligibilityService.h"
#include "FileProblem.h"
#include "MainWindow.h"
#include "PlotView.h"
#include "ProblemPanel.h"
#include "ResultSet.h"
#include "gui_test_util.h"

using namespace attnscope;
using namespace attnscope::gui;
using gui_test::dataPath;

namespace {

QString h100File(const char* name) { return QStringLiteral(ATTNSCOPE_H100_RESULTS "/") + QLatin1String(name); }

// A window whose device list has arrived, showing the CPU problem a first start shows.
std::unique_ptr<MainWindow> cpuWindow() {
  auto w = std::make_unique<MainWindow>();
  QSignalSpy devices(w->deviceService(), &DeviceListService::updated);
  EXPECT_TRUE(devices.wait(30000));
  w->problemPanel()->setSpec(ProblemSpec{});
  return w;
}

QComboBox* deviceBox(MainWindow& w) { return w.problemPanel()->findChild<QComboBox*>(QStringLiteral("problemDevice")); }

bool hasDeviceNamed(MainWindow& w, const QString& name) {
  QComboBox* box = deviceBox(w);
  for (int i = 0; i < box->count(); ++i)
    if (box->itemText(i).startsWith(name) && box->itemData(i).toString() != ProblemPanel::kFileDeviceEntry) return true;
  return false;
}

}  // namespace

TEST(GuiFileProblem, AnH100FileSetsTheFormFromItsCommandLineAndSaysItsGpuIsNotHere) {
  auto w = cpuWindow();
  ASSERT_TRUE(w->openResultFile(h100File("../lead-2026-12-06c/call2-h100/interactive_app.jsonl")));
  const ProblemSpec s = w->problemPanel()->spec();
  // run --batch 1 --heads 16 --kv-heads 16 --seq 512:16384:x2 --head-dim 128 --dtype bfloat16
  EXPECT_EQ(s.batch, 1);
  EXPECT_EQ(s.qHeads, 16);
  EXPECT_EQ(s.kvHeads, 16);
  EXPECT_EQ(s.qLen, "512:16384:x2");  // the sweep as it was typed
  EXPECT_TRUE(s.kvLen.isEmpty());
  EXPECT_EQ(s.headDim, "128");
  EXPECT_EQ(s.dtypes, QStringList{"bfloat16"});
  EXPECT_FALSE(s.causal);
  EXPECT_EQ(s.tokens, 0);
  const QString note = w->problemPanel()->sourceNote();
  EXPECT_TRUE(note.contains("interactive_app.jsonl's run (its command line)")) << note.toStdString();
  if (hasDeviceNamed(*w, QStringLiteral("NVIDIA H100 80GB HBM3")))
    GTEST_SKIP() << "this machine has the file's GPU: it is selected like any device";
  // Not on this machine: the device selector says which device it was and that it is not here, the field is
  // an error naming the what-if profile of that GPU, and Run is off — never another device in its place.
  EXPECT_EQ(s.device, ProblemPanel::kFileDeviceEntry);
  EXPECT_TRUE(deviceBox(*w)->currentText().contains("NVIDIA H100 80GB HBM3")) << deviceBox(*w)->currentText().toStdString();
  EXPECT_TRUE(deviceBox(*w)->currentText().contains("not on this machine"));
  EXPECT_FALSE(w->problemPanel()->valid());
  const QString why = w->problemPanel()->fieldError(QStringLiteral("device"));
  EXPECT_TRUE(why.contains("NVIDIA H100 80GB HBM3") && why.contains("not on this machine") && why.contains("What-if: NVIDIA H100"))
      << why.toStdString();
  EXPECT_FALSE(w->runAction()->isEnabled());
  EXPECT_TRUE(w->runAction()->toolTip().contains("not on this machine")) << w->runAction()->toolTip().toStdString();
  // The backend list is judged on the what-if profile of that GPU (not left empty), and says so.
  QSignalSpy judged(w->eligibility(), &EligibilityService::updated);
  while (w->backendModel()->rowCount() == 0 || w->eligibility()->busy()) ASSERT_TRUE(judged.wait(30000));
  EXPECT_TRUE(w->backendView()->statusText().contains("judged on What-if: NVIDIA H100")) << w->backendView()->statusText().toStdString();

  // The backends it ran (every one of that build) are the checked ones; here the CPU ones run.
  QSignalSpy answered(w->eligibility(), &EligibilityService::updated);
  deviceBox(*w)->setCurrentIndex(deviceBox(*w)->findData(QStringLiteral("cpu")));
  ASSERT_TRUE(answered.wait(30000));
  while (w->eligibility()->busy()) ASSERT_TRUE(answered.wait(30000));
  EXPECT_TRUE(w->problemPanel()->valid());
  EXPECT_EQ(w->backendModel()->selectedIds(), (QStringList{"cpu-reference", "cpu-math"}));
}

// decode.jsonl holds four runs, one per batch: the last command line (batch 64) is a quarter of it. The
// form is made from the records then, and says what it cannot show.
TEST(GuiFileProblem, AFileOfSeveralRunsIsReadFromItsRecords) {
  auto w = cpuWindow();
  ASSERT_TRUE(w->openResultFile(h100File("decode.jsonl")));
  const ProblemSpec s = w->problemPanel()->spec();
  EXPECT_EQ(s.qHeads, 32);
  EXPECT_EQ(s.kvHeads, 8);
  EXPECT_EQ(s.qLen, "1");
  EXPECT_EQ(s.kvLen, "8192:131072:x2");
  EXPECT_EQ(s.headDim, "128");
  EXPECT_EQ(s.dtypes, QStringList{"bfloat16"});
  EXPECT_EQ(s.batch, 1);
  const QString note = w->problemPanel()->sourceNote();
  EXPECT_TRUE(note.contains("several runs") && note.contains("Batch varies (1,4,16,64); the form shows 1")) << note.toStdString();
  // Its backends: split-kv-decode, flash2, mem-efficient; none of the CPU ones.
  const QModelIndex cpuRef = w->backendModel()->index(w->backendModel()->rowOf(QStringLiteral("cpu-reference")));
  if (cpuRef.isValid()) EXPECT_FALSE(cpuRef.data(BackendListModel::WantedRole).toBool());
}

TEST(GuiFileProblem, TheBenchmarkGridKeepsItsTokensAndWidthSoRunMeasuresTheSamePoints) {
  auto w = cpuWindow();
  ASSERT_TRUE(w->openResultFile(h100File("bench_full.jsonl")));
  ProblemSpec s = w->problemPanel()->spec();
  // run --tokens 16384 --hidden 2048 --seq 512:16384:x2 --head-dim 64,128 --dtype float16,bfloat16,float32
  EXPECT_EQ(s.tokens, 16384);
  EXPECT_EQ(s.hidden, 2048);
  EXPECT_EQ(s.qLen, "512:16384:x2");
  EXPECT_TRUE(s.kvLen.isEmpty());
  EXPECT_EQ(s.headDim, "64,128");
  EXPECT_EQ(s.dtypes, (QStringList{"float32", "float16", "bfloat16"}));  // the form's boxes, in their order
  EXPECT_TRUE(w->problemPanel()->sourceNote().contains("bench_full.jsonl's run")) << w->problemPanel()->sourceNote().toStdString();
  s.device = QStringLiteral("cpu");
  const SpecCheck check = checkSpec(s);
  ASSERT_TRUE(check.ok()) << check.issues.value(0).message.toStdString();
  ASSERT_EQ(check.points.size(), 36u);  // 3 dtypes × 2 head dims × 6 lengths, as in the file's plan
  EXPECT_EQ(check.points.front().batch, 32);    // 16384 / 512
  EXPECT_EQ(check.points.front().q_heads, 32);  // 2048 / 64
  EXPECT_TRUE(s.problemArgs().join(' ').contains("--tokens 16384 --hidden 2048")) << s.problemArgs().join(' ').toStdString();
  // The form's batch field means nothing under tokens: it is greyed.
  EXPECT_FALSE(w->problemPanel()->fieldWidget(QStringLiteral("batch"))->isEnabled());
}

TEST(GuiFileProblem, ACpuFileSelectsTheCpuAndItsBackends) {
  auto w = cpuWindow();
  ProblemSpec other;
  other.device = QStringLiteral("profile:h100");
  other.qLen = QStringLiteral("4096");
  w->problemPanel()->setSpec(other);
  ASSERT_TRUE(w->openResultFile(dataPath("cpu_run.json")));
  const ProblemSpec s = w->problemPanel()->spec();
  EXPECT_EQ(s.device, "cpu");  // the file's device, here too
  EXPECT_EQ(s.qHeads, 2);
  EXPECT_EQ(s.qLen, "64,128");
  EXPECT_EQ(s.headDim, "32");
  EXPECT_TRUE(w->problemPanel()->valid()) << w->problemPanel()->check().issues.value(0).message.toStdString();
  QSignalSpy answered(w->eligibility(), &EligibilityService::updated);
  while (w->backendModel()->rowCount() == 0 || w->eligibility()->busy()) ASSERT_TRUE(answered.wait(30000));
  EXPECT_EQ(w->backendModel()->selectedIds(), (QStringList{"cpu-reference", "cpu-math"}));
  EXPECT_TRUE(w->runAction()->isEnabled()) << w->runAction()->toolTip().toStdString();
  // An edit of the form ends the note: it no longer shows the file's problem.
  EXPECT_FALSE(w->problemPanel()->sourceNote().isEmpty());
  ProblemSpec edited = w->problemPanel()->spec();
  edited.headDim = QStringLiteral("64");
  w->problemPanel()->setSpec(edited);
  EXPECT_TRUE(w->problemPanel()->sourceNote().isEmpty()) << w->problemPanel()->sourceNote().toStdString();
}

TEST(GuiFileProblem, AFileWithoutACommandLineGivesTheFormItsRecordsProblems) {
  QTemporaryDir dir;
  LoadOutcome loaded = loadResultFile(dataPath("cpu_run.json"));
  ASSERT_TRUE(loaded.set);
  loaded.set->doc.settings.argv.clear();  // written by something else than attnscope-cli run
  const QString path = dir.filePath(QStringLiteral("no_argv.json"));
  ASSERT_TRUE(saveResultFile(loaded.set->doc, path).isEmpty());
  auto w = cpuWindow();
  ASSERT_TRUE(w->openResultFile(path));
  const ProblemSpec s = w->problemPanel()->spec();
  EXPECT_EQ(s.qLen, "64,128");
  EXPECT_EQ(s.headDim, "32");
  EXPECT_EQ(s.qHeads, 2);
  EXPECT_EQ(s.dtypes, QStringList{"float32"});
  EXPECT_TRUE(w->problemPanel()->sourceNote().contains("records")) << w->problemPanel()->sourceNote().toStdString();
}

TEST(GuiFileProblem, TwoFilesWithDifferentProblemsKeepTheFirstsAndSaySo) {
  auto w = cpuWindow();
  // The two halves of the grid, dropped together: the first opens, the second is overlaid.
  QMimeData mime;
  mime.setUrls({QUrl::fromLocalFile(h100File("bench_full.jsonl")), QUrl::fromLocalFile(h100File("bench_causal.jsonl"))});
  QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(w.get(), &enter);
  QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(w.get(), &drop);
  const ProblemSpec s = w->problemPanel()->spec();
  EXPECT_FALSE(s.causal);  // bench_full's
  EXPECT_EQ(s.tokens, 16384);
  const QString note = w->problemPanel()->sourceNote();
  EXPECT_TRUE(note.contains("bench_full.jsonl") && note.contains("bench_causal.jsonl differs in causal")) << note.toStdString();
  w->clearOverlay();
  EXPECT_FALSE(w->problemPanel()->sourceNote().contains("bench_causal")) << w->problemPanel()->sourceNote().toStdString();
}

namespace {

DeviceInfo gpu(int index, const char* name = "NVIDIA H100 80GB HBM3") {
  DeviceInfo d;
  d.id = "cuda:" + std::to_string(index);
  d.kind = DeviceKind::Cuda;
  d.name = name;
  return d;
}

// A machine with the CPU and `gpus` H100s.
DeviceList machineWith(int gpus) {
  DeviceList list;
  DeviceInfo cpu;
  cpu.id = "cpu";
  cpu.name = "CPU";
  list.devices.push_back(cpu);
  for (int i = 0; i < gpus; ++i) list.devices.push_back(gpu(i));
  return list;
}

QComboBox* deviceBox(ProblemPanel& p) { return p.findChild<QComboBox*>(QStringLiteral("problemDevice")); }

}  // namespace

// A sharded run (run --device cuda:0,cuda:1) was measured on every GPU it names, not on its first only: the
// form selects them all where the list can say so, and otherwise says which of them are here and which not.
TEST(GuiFileProblem, AShardedRunsGpusAreSelectedTogetherOrSaidWhichAreHere) {
  const std::vector<DeviceInfo> sharded{gpu(0), gpu(1)};
  {  // Two H100s here: the two of them are every GPU, "All 2 GPUs".
    ProblemPanel p;
    p.setDevices(machineWith(2));
    p.showFileDevices(sharded, QStringLiteral("f.jsonl"));
    EXPECT_EQ(p.spec().device, QStringLiteral("all"));
    EXPECT_TRUE(p.valid()) << p.fieldError(QStringLiteral("device")).toStdString();
  }
  {  // Four here: just the file's two, as one entry; judged on its first. Shown before the list arrives too.
    ProblemPanel p;
    p.showFileDevices({gpu(1), gpu(3)}, QStringLiteral("f.jsonl"));
    p.setDevices(machineWith(4));
    EXPECT_EQ(p.spec().device, QStringLiteral("cuda:1,cuda:3"));
    EXPECT_TRUE(deviceBox(p)->currentText().contains("f.jsonl's 2 GPUs: cuda:1, cuda:3")) << deviceBox(p)->currentText().toStdString();
    EXPECT_EQ(p.currentDevice().id, "cuda:1");
    EXPECT_TRUE(p.valid()) << p.fieldError(QStringLiteral("device")).toStdString();
  }
  {  // One of them here: never the one in place of the two. The problem names each, here or not.
    ProblemPanel p;
    p.setDevices(machineWith(1));
    p.showFileDevices(sharded, QStringLiteral("f.jsonl"));
    EXPECT_EQ(p.spec().device, ProblemPanel::kFileDeviceEntry);
    EXPECT_FALSE(p.valid());
    EXPECT_TRUE(deviceBox(p)->currentText().contains("2× NVIDIA H100 80GB HBM3 — f.jsonl's devices, 1 of them not on this machine"))
        << deviceBox(p)->currentText().toStdString();
    const QString why = p.fieldError(QStringLiteral("device"));
    EXPECT_TRUE(why.contains("measured on 2 GPUs, one worker each: cuda:0 (NVIDIA H100 80GB HBM3) is here as cuda:0; "
                             "cuda:1 (NVIDIA H100 80GB HBM3) is not on this machine"))
        << why.toStdString();
  }
  {  // None here (the CPU only); on a remote host with both, they are selected there.
    ProblemPanel p;
    p.setDevices(machineWith(0));
    p.showFileDevices(sharded, QStringLiteral("f.jsonl"));
    EXPECT_TRUE(deviceBox(p)->currentText().contains("2× NVIDIA H100 80GB HBM3 — f.jsonl's devices, not on this machine"))
        << deviceBox(p)->currentText().toStdString();
    const QString why = p.fieldError(QStringLiteral("device"));
    EXPECT_TRUE(why.contains("cuda:0 (NVIDIA H100 80GB HBM3) is not on this machine; cuda:1 (NVIDIA H100 80GB HBM3) is not on this machine"))
        << why.toStdString();
    p.setRemoteDevices(QStringLiteral("gpu-box"), machineWith(2));
    EXPECT_EQ(p.spec().device, QStringLiteral("remote:all"));
    EXPECT_TRUE(p.valid()) << p.fieldError(QStringLiteral("device")).toStdString();
  }
}

// The same from a file: a copy of a real H100 run made into a two-GPU one (its records split between
// cuda:0 and cuda:1, the start line naming both) opens with both GPUs named, here not on this machine.
TEST(GuiFileProblem, AShardedFileNamesEveryGpuItRanOn) {
  LoadOutcome loaded = loadResultFile(h100File("bench_full.jsonl"));
  ASSERT_TRUE(loaded.set);
  ResultDocument& doc = loaded.set->doc;
  DeviceInfo second = doc.device;
  second.id = "cuda:1";
  doc.devices = {doc.device, second};
  for (std::size_t i = 0; i < doc.records.size(); ++i) doc.records[i].device = doc.devices[i % 2].id;
  QTemporaryDir dir;
  const QString path = dir.filePath(QStringLiteral("sharded.json"));
  ASSERT_TRUE(saveResultFile(doc, path).isEmpty());
  const FileProblem file = fileProblem(loadResultFile(path).set->doc, ProblemSpec{});
  ASSERT_EQ(file.devices.size(), 2u);
  EXPECT_EQ(file.devices[1].id, "cuda:1");
  auto w = cpuWindow();
  ASSERT_TRUE(w->openResultFile(path));
  if (hasDeviceNamed(*w, QStringLiteral("NVIDIA H100 80GB HBM3")))
    GTEST_SKIP() << "this machine has the file's GPU model: the ProblemPanel test above covers the choices";
  EXPECT_TRUE(deviceBox(*w)->currentText().contains("2× NVIDIA H100 80GB HBM3 — sharded.json's devices, not on this machine"))
      << deviceBox(*w)->currentText().toStdString();
  const QString why = w->problemPanel()->fieldError(QStringLiteral("device"));
  EXPECT_TRUE(why.contains("cuda:0 (NVIDIA H100 80GB HBM3) is not on this machine; cuda:1 (NVIDIA H100 80GB HBM3) is not on this machine"))
      << why.toStdString();
  EXPECT_TRUE(w->backendView()->statusText().contains("The file's 2 GPUs are not all on this machine: the backends are "
                                                      "judged on What-if: NVIDIA H100"))
      << w->backendView()->statusText().toStdString();
  EXPECT_FALSE(w->runAction()->isEnabled());
}

// A file from a GPU build whose library backends ran (torch-flash, torch-efficient, torch-cudnn,
// triton-flash), opened where Python is off so this build registers none of them: the backend list has no
// row to check for them — and none is made up — so the note over it names each id and why; the file's
// records of them still plot.
TEST(GuiFileProblem, AFilesBackendsThisBuildLacksAreNamedWithWhyAndStillPlot) {
  gui_test::ScopedEnv noPython("ATTNSCOPE_PYTHON", "none");
  auto w = cpuWindow();
  QSignalSpy judged(w->eligibility(), &EligibilityService::updated);
  ASSERT_TRUE(w->openResultFile(h100File("../issue13-h100-2026-12-06/grid_full.jsonl")));
  while (w->backendModel()->rowCount() == 0 || w->eligibility()->busy()) ASSERT_TRUE(judged.wait(30000));
  for (const char* id : {"torch-flash", "torch-efficient", "torch-cudnn", "triton-flash"})
    EXPECT_EQ(w->backendModel()->rowOf(QString::fromLatin1(id)), -1) << id;
  const QString note = w->backendView()->missingNote();
  EXPECT_TRUE(note.startsWith("Not registered here: torch-flash, torch-efficient, torch-cudnn, triton-flash (grid_full.jsonl ran them)."))
      << note.toStdString();
  EXPECT_TRUE(note.contains("their records still plot")) << note.toStdString();
  EXPECT_TRUE(note.contains("Python is turned off")) << note.toStdString();  // the why, from the worker's own rule
  EXPECT_TRUE(w->backendView()->findChild<QLabel*>(QStringLiteral("backendsMissing"))->isVisibleTo(w->backendView()));
  std::set<QString> plotted;
  for (const PlotSeries& s : w->plotView()->model().series) plotted.insert(s.key);
  EXPECT_TRUE(plotted.count(QStringLiteral("torch-cudnn")) && plotted.count(QStringLiteral("triton-flash")));
  // A file of this build's backends only: no note.
  ASSERT_TRUE(w->openResultFile(dataPath("cpu_run.json")));
  EXPECT_TRUE(w->backendView()->missingNote().isEmpty()) << w->backendView()->missingNote().toStdString();
}

// Without the stand-in row for the library backends (Python found), a missing id is simply not in this
// build; nothing is said before the worker has listed the build's backends.
TEST(GuiFileProblem, TheMissingBackendsNoteNamesOnlyWhatTheBuildDoesNotList) {
  BackendStatus flash2;
  flash2.info.id = "flash2";
  EXPECT_TRUE(missingBackendsNote({"flash2", "flash9"}, {}, QStringLiteral("f.jsonl")).isEmpty());
  const QString note = missingBackendsNote({"flash2", "flash9"}, {flash2}, QStringLiteral("f.jsonl"));
  EXPECT_EQ(note.toStdString(), "Not in this build: flash9 (f.jsonl ran them). They cannot be checked to run again; their records still plot.");
  EXPECT_FALSE(note.contains("Python")) << note.toStdString();
  EXPECT_TRUE(missingBackendsNote({"flash2"}, {flash2}, QStringLiteral("f.jsonl")).isEmpty());
}
