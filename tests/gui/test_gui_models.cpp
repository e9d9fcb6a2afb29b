// Models, parsing and the run controller, without a main window.
#include <gtest/gtest.h>

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTemporaryDir>
#include <QTest>

#include "BackendListModel.h"
#include "EligibilityService.h"
#include "PlotData.h"
#include "ProblemSpec.h"
#include "ResultSet.h"
#include "ResultsModel.h"
#include "ResultsView.h"
#include "RunController.h"
#include "WorkerProtocol.h"
#include "attnscope/sweep.hpp"
#include "gui_test_util.h"

using namespace attnscope;
using namespace attnscope::gui;
using gui_test::dataPath;
using gui_test::readData;

namespace {

EligibilityReport reportFor(const char* dtype) {
  const QByteArray text = readData(QStringLiteral("backends_%1.json").arg(dtype).toLatin1().constData());
  return parseEligibility(text);
}

// One report with the probes of several: what the worker answers for a sweep over dtypes.
EligibilityReport combined(std::initializer_list<EligibilityReport> reports) {
  EligibilityReport out = *reports.begin();
  out.probes.clear();
  for (const EligibilityReport& r : reports) out.probes.insert(out.probes.end(), r.probes.begin(), r.probes.end());
  return out;
}

int rowOf(const BackendListModel& m, const char* id) { return m.rowOf(QString::fromLatin1(id)); }

}  // namespace

TEST(GuiProtocol, ParsesTheRecordedWorkerStream) {
  const QList<QByteArray> lines = readData("cpu_stream.jsonl").split('\n');
  int starts = 0, progress = 0, records = 0, ends = 0;
  for (const QByteArray& line : lines) {
    if (line.trimmed().isEmpty()) continue;
    const WorkerMessage m = parseWorkerLine(line);
    if (auto* s = std::get_if<StartMessage>(&m)) {
      ++starts;
      EXPECT_EQ(s->total, 4);
      EXPECT_EQ(s->header.device.id, "cpu");
    }
    if (std::holds_alternative<ProgressMessage>(m)) ++progress;
    if (auto* r = std::get_if<RecordMessage>(&m)) {
      ++records;
      EXPECT_EQ(r->record.status, Status::Ok);
      EXPECT_GT(r->record.latency_us.median, 0);
    }
    if (std::holds_alternative<EndMessage>(m)) ++ends;
  }
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(progress, 4);
  EXPECT_EQ(records, 4);
  EXPECT_EQ(ends, 1);
}

TEST(GuiProtocol, RejectsALineThatIsNotProtocolNamingWhatWasWrong) {
  try {
    parse_worker_line(R"({"type":"bogus"})");
    FAIL() << "no FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("bogus"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_worker_line("{not json"), FormatError);
  EXPECT_THROW(parse_worker_line(R"({"type":"record","item":0})"), FormatError);  // no record
}

TEST(GuiProtocol, EligibilityKeepsEveryRuleWithReasonAndHint) {
  const EligibilityReport r = reportFor("float32");
  ASSERT_EQ(r.probes.size(), 1u);
  ASSERT_EQ(r.probes[0].verdicts.size(), 2u);
  const Verdict& flash = r.probes[0].verdicts[1];
  EXPECT_EQ(flash.info.id, "flash2");
  EXPECT_FALSE(flash.eligible());
  EXPECT_EQ(flash.rules.size(), 3u);
  ASSERT_EQ(flash.unmet().size(), 1u);
  EXPECT_EQ(flash.unmet()[0].rule, "dtype");
  EXPECT_EQ(flash.unmet()[0].hint, "choose float16 or bfloat16");
}

TEST(GuiBackendList, Float32GreysTheFp16OnlyBackendWithItsReasonAndFloat16EnablesIt) {
  BackendListModel model;
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Warning);
  model.setStatuses(mergeReport(reportFor("float32")));
  const QModelIndex flash = model.index(rowOf(model, "flash2"));
  ASSERT_TRUE(flash.isValid());
  EXPECT_FALSE(flash.data(BackendListModel::EligibleRole).toBool());
  EXPECT_FALSE(model.flags(flash) & Qt::ItemIsUserCheckable);
  EXPECT_EQ(flash.data(Qt::CheckStateRole).value<Qt::CheckState>(), Qt::Unchecked);
  const QString tip = flash.data(Qt::ToolTipRole).toString();
  EXPECT_TRUE(tip.contains("dtype is float32; this backend supports float16, bfloat16")) << tip.toStdString();
  EXPECT_TRUE(tip.contains("choose float16 or bfloat16")) << tip.toStdString();
  EXPECT_FALSE(model.selectedIds().contains("flash2"));
  // An environment problem is reported apart from input problems.
  const QString cpuTip = model.index(rowOf(model, "cpu-reference")).data(Qt::ToolTipRole).toString();
  EXPECT_TRUE(cpuTip.contains("Environment")) << cpuTip.toStdString();

  model.setStatuses(mergeReport(reportFor("float16")));
  EXPECT_TRUE(flash.data(BackendListModel::EligibleRole).toBool());
  EXPECT_TRUE(model.flags(flash) & Qt::ItemIsUserCheckable);
  EXPECT_EQ(flash.data(Qt::CheckStateRole).value<Qt::CheckState>(), Qt::Checked);
  EXPECT_EQ(model.selectedIds(), QStringList{"flash2"});

  // What the user unchecked stays unchecked through an ineligible spell.
  ASSERT_TRUE(model.setData(flash, Qt::Unchecked, Qt::CheckStateRole));
  model.setStatuses(mergeReport(reportFor("float32")));
  model.setStatuses(mergeReport(reportFor("bfloat16")));
  EXPECT_EQ(flash.data(Qt::CheckStateRole).value<Qt::CheckState>(), Qt::Unchecked);
  EXPECT_TRUE(model.selectedIds().isEmpty());
}

TEST(GuiBackendList, ASweepOverDtypesSaysWhereTheBackendRunsAndWhereNot) {
  const QList<BackendStatus> merged = mergeReport(combined({reportFor("float32"), reportFor("float16")}));
  ASSERT_EQ(merged.size(), 2);
  const BackendStatus& flash = merged[1];
  EXPECT_TRUE(flash.eligibleAnywhere());
  EXPECT_FALSE(flash.eligibleEverywhere());
  const QString tip = flash.tooltipHtml();
  EXPECT_TRUE(tip.contains("Runs for float16")) << tip.toStdString();
  EXPECT_TRUE(tip.contains("Skipped for float32")) << tip.toStdString();
  const QString details = flash.detailsHtml();
  EXPECT_TRUE(details.contains("Tiled online softmax")) << details.toStdString();
  EXPECT_TRUE(details.contains("head_dim is 64; this backend supports 64, 128"));  // met rules are listed too
}

TEST(GuiProblemSpec, BadFieldsAreNamedAndGoodOnesExpandLikeTheCli) {
  ProblemSpec s;
  s.qLen = "512:abc";
  s.headDim = "0";
  SpecCheck c = checkSpec(s);
  EXPECT_FALSE(c.ok());
  EXPECT_FALSE(c.messageFor("q_len").isEmpty());
  EXPECT_FALSE(c.messageFor("head_dim").isEmpty());

  s = ProblemSpec{};
  s.qHeads = 4;
  s.kvHeads = 3;
  c = checkSpec(s);
  EXPECT_FALSE(c.messageFor("kv_heads").isEmpty()) << c.issues.value(0).field.toStdString();

  s = ProblemSpec{};
  s.qLen = "128:1024:x2";
  s.dtypes = {"float32", "float16"};
  c = checkSpec(s);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.points.size(), 8u);
  EXPECT_TRUE(s.problemArgs().join(' ').contains("--seq 128:1024:x2"));
  EXPECT_TRUE(s.problemArgs().join(' ').contains("--dtype float32,float16"));
  // Eligibility probes (the worker picks them): per dtype the smallest and the largest length.
  EXPECT_EQ(eligibility_probes(c.points).size(), 4u);
}

TEST(GuiProblemSpec, EachPlanAsksTheWorkerToMeasureEveryCudnnPlan) {
  ProblemSpec s;
  EXPECT_FALSE(s.measurementArgs().contains(QStringLiteral("--each-plan")));
  s.eachPlan = true;
  s.quick = true;
  EXPECT_TRUE(s.measurementArgs().contains(QStringLiteral("--each-plan")));
  EXPECT_TRUE(s.measurementArgs().contains(QStringLiteral("--min-samples")));
}

// On a GPU: the interactive rule by default; "sustained" hands the point to the worker's full rule (the
// numbers to publish); the CPU always keeps the worker's CPU defaults; quick look is its own rule.
TEST(GuiProblemSpec, SustainedRuleLeavesTheGpuPointToTheWorkersDefaults) {
  ProblemSpec s;
  s.device = QStringLiteral("cuda:0");
  const QStringList interactive = s.measurementArgs();
  EXPECT_EQ(interactive.join(' ').toStdString(), "--min-samples 10 --min-time 0 --max-time 1 --warmup-time 0.02");
  for (const char* gpu : {"remote:cuda:1", "all", "remote:all"}) {
    s.device = QString::fromLatin1(gpu);
    EXPECT_EQ(s.measurementArgs(), interactive) << gpu;
  }
  s.device = QStringLiteral("cuda:0");
  s.sustained = true;
  EXPECT_TRUE(s.measurementArgs().isEmpty());
  s.device = QStringLiteral("cpu");
  EXPECT_TRUE(s.measurementArgs().isEmpty());
  s.sustained = false;
  EXPECT_TRUE(s.measurementArgs().isEmpty());
  QTemporaryDir dir;
  QSettings settings(dir.filePath(QStringLiteral("s.ini")), QSettings::IniFormat);
  s.sustained = true;
  s.save(settings);
  EXPECT_TRUE(ProblemSpec::load(settings).sustained);
}

TEST(GuiBackendList, WithEachPlanTheDetailsListThePlansOfEveryProbe) {
  ProblemSpec s;
  EXPECT_FALSE(s.eligibilityArgs().contains(QStringLiteral("--plans")));  // listing builds a plan: only when asked
  s.eachPlan = true;
  EXPECT_TRUE(s.eligibilityArgs().contains(QStringLiteral("--plans")));
  EXPECT_FALSE(s.problemArgs().contains(QStringLiteral("--plans")));  // `run` does not take it

  EligibilityReport report = reportFor("float16");
  report.probes[0].verdicts[1].variants = {"eng9_k24=7", "eng2_k24=7"};
  const QString details = mergeReport(report)[1].detailsHtml();
  EXPECT_TRUE(details.contains("2 plans, each measured as its own series")) << details.toStdString();
  EXPECT_TRUE(details.contains("<code>eng9_k24=7</code>, <code>eng2_k24=7</code>")) << details.toStdString();
  EXPECT_FALSE(mergeReport(reportFor("float16"))[1].detailsHtml().contains("plans, each"));
}

TEST(GuiProtocol, DeviceListKeepsTheLibrariesOfTheBackends) {
  const DeviceList d = parseDeviceList(R"({"type": "devices", "protocol_version": 2, "devices": [], "why_no_gpu": "none",
                                         "libraries": {"cuDNN": "9.19.0", "cudnn-frontend": "1.32.0"}})");
  EXPECT_EQ(d.libraries.at("cuDNN"), "9.19.0");
  EXPECT_EQ(d.libraries.at("cudnn-frontend"), "1.32.0");
}

TEST(GuiResults, AMalformedFileGivesAnErrorSentenceNotACrash) {
  LoadOutcome bad = loadResultFile(dataPath("malformed_status.json"));
  EXPECT_FALSE(bad.set);
  EXPECT_TRUE(bad.error.contains("okk")) << bad.error.toStdString();
  EXPECT_TRUE(bad.error.contains("records[1].status")) << bad.error.toStdString();
  bad = loadResultFile(dataPath("not_json.json"));
  EXPECT_FALSE(bad.set);
  EXPECT_TRUE(bad.error.contains("JSON")) << bad.error.toStdString();
  bad = loadResultFile(dataPath("does_not_exist.json"));
  EXPECT_TRUE(bad.error.contains("no such file"));
}

TEST(GuiResults, TableSortsByValueAndCopiesAsMarkdown) {
  LoadOutcome loaded = loadResultFile(dataPath("cpu_run.json"));
  ASSERT_TRUE(loaded.set) << loaded.error.toStdString();
  ResultsModel model;
  QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Warning);
  model.appendRecords(model.addSource("cpu_run.json"), loaded.set->doc.records);
  ASSERT_EQ(model.rowCount(), 4);
  QSortFilterProxyModel proxy;
  proxy.setSourceModel(&model);
  proxy.setSortRole(ResultsModel::SortRole);
  proxy.sort(ResultsModel::ColMedian, Qt::AscendingOrder);
  double previous = 0;
  for (int r = 0; r < proxy.rowCount(); ++r) {
    const double v = proxy.index(r, ResultsModel::ColMedian).data(ResultsModel::SortRole).toDouble();
    EXPECT_GE(v, previous);
    previous = v;
  }
  const QString md = markdownTable(&proxy);
  const QStringList lines = md.trimmed().split('\n');
  EXPECT_EQ(lines.size(), 2 + 4);
  EXPECT_TRUE(lines[0].startsWith("| Run | Backend | Nq |")) << lines[0].toStdString();
  EXPECT_TRUE(lines[1].contains("---:"));
  EXPECT_TRUE(md.contains("cpu-math"));
}

TEST(GuiPlotData, TheXAxisIsWhatTheSweepVaries) {
  LoadOutcome loaded = loadResultFile(dataPath("cpu_run.json"));
  ASSERT_TRUE(loaded.set);
  std::vector<PlotSource> sources{{"a", loaded.set->doc.device, loaded.set->doc.records}};
  EXPECT_EQ(chooseAxis(sources), SweepAxis::SeqLength);
  PlotModel m = buildPlotModel(sources);
  EXPECT_EQ(m.series.size(), 2u);  // one per backend
  EXPECT_EQ(m.series[0].points.size(), 2u);

  auto& recs = sources[0].records;
  for (Record& r : recs) {  // the same length, two head dims
    r.problem.q_len = r.problem.kv_len = 512;
    r.problem.head_dim = r.point == 0 ? 64 : 128;
  }
  EXPECT_EQ(chooseAxis(sources), SweepAxis::HeadDim);
  for (Record& r : recs) {  // same head dim, two dtypes
    r.problem.head_dim = 64;
    r.problem.dtype = r.point == 0 ? DType::F16 : DType::BF16;
  }
  m = buildPlotModel(sources);
  EXPECT_EQ(m.axis, SweepAxis::DType);
  EXPECT_TRUE(m.categorical);
  EXPECT_EQ(m.categories, (QStringList{"float16", "bfloat16"}));
  for (Record& r : recs) {  // decoding: one query, growing KV cache
    r.problem.dtype = DType::F16;
    r.problem.q_len = 1;
    r.problem.kv_len = r.point == 0 ? 1024 : 4096;
  }
  EXPECT_EQ(chooseAxis(sources), SweepAxis::KeyLength);
  // A failed point is a gap that says why.
  recs[0].status = Status::OutOfMemory;
  recs[0].message = "needs 3 GiB, 1 GiB free";
  m = buildPlotModel(sources);
  const PlotPoint& gap = m.series[0].points[0];
  EXPECT_FALSE(gap.value(Metric::Latency));
  EXPECT_TRUE(gap.gapReason().contains("out of memory: needs 3 GiB")) << gap.gapReason().toStdString();
}

TEST(GuiRunController, AWorkerThatDiesMidSweepIsReportedRestartedAndTheSweepCompletes) {
  QTemporaryDir tmp;
  gui_test::ScopedEnv dieOnce("FAKE_WORKER_DIE_ONCE", tmp.filePath("died").toLocal8Bit());
  RunController run;
  run.setWorkerPath(dataPath("fake-worker.sh"));
  QSignalSpy finished(&run, &RunController::finished);
  QSignalSpy restarted(&run, &RunController::workerRestarted);
  ASSERT_TRUE(run.start({"cpu", {"--seq", "64,128"}, {"cpu-reference", "cpu-math"}, {}}));
  ASSERT_TRUE(finished.wait(20000));
  EXPECT_EQ(finished[0][0].value<RunController::Outcome>(), RunController::Outcome::Completed);
  ASSERT_EQ(restarted.size(), 1);
  EXPECT_EQ(restarted[0][0].toLongLong(), 2);
  EXPECT_TRUE(run.lastArguments().join(' ').contains("--start-at 2")) << run.lastArguments().join(' ').toStdString();
  ASSERT_EQ(run.records().size(), 4u);
  const Record& lost = run.records()[1];
  EXPECT_EQ(lost.status, Status::Error);
  EXPECT_EQ(lost.backend, "cpu-math");
  EXPECT_EQ(lost.problem.q_len, 64);
  EXPECT_NE(lost.message.find("signal 9"), std::string::npos) << lost.message;
  EXPECT_EQ(run.records()[2].status, Status::Ok);
  EXPECT_EQ(run.records()[3].status, Status::Ok);
  EXPECT_EQ(run.progress().done, 4);
}

TEST(GuiRunController, TheRealWorkerKilledMidRunIsSurvived) {
  // A wrapper around the real attnscope-cli that dies (SIGKILL) after the worker announced item 1.
  QTemporaryDir tmp;
  const QString script = tmp.filePath("dying-cli.sh");
  QFile f(script);
  ASSERT_TRUE(f.open(QIODevice::WriteOnly));
  f.write("#!/bin/sh\n"
          "if [ ! -e \"$MARK\" ]; then\n"
          "  : > \"$MARK\"\n"
          "  \"$REAL\" \"$@\" | { n=0; while IFS= read -r l; do printf '%s\\n' \"$l\"; n=$((n+1)); "
          "[ $n -eq 4 ] && kill -9 $$ && exit; done; }\n"
          "fi\n"
          "exec \"$REAL\" \"$@\"\n");
  f.close();
  f.setPermissions(f.permissions() | QFile::ExeOwner);
  gui_test::ScopedEnv mark("MARK", tmp.filePath("died").toLocal8Bit());
  gui_test::ScopedEnv real("REAL", ATTNSCOPE_CLI_PATH);
  RunController run;
  run.setWorkerPath(script);
  QSignalSpy finished(&run, &RunController::finished);
  ProblemSpec spec;
  spec.qHeads = spec.kvHeads = 1;
  spec.qLen = "32,64";
  spec.headDim = "16";
  spec.quick = true;
  ASSERT_TRUE(run.start({"cpu", spec.problemArgs(), {"cpu-reference", "cpu-math"}, spec.measurementArgs()}));
  ASSERT_TRUE(finished.wait(60000));
  EXPECT_EQ(finished[0][0].value<RunController::Outcome>(), RunController::Outcome::Completed) << finished[0][1].toString().toStdString();
  ASSERT_EQ(run.records().size(), 4u);
  EXPECT_EQ(run.records()[0].status, Status::Ok);
  EXPECT_EQ(run.records()[1].status, Status::Error);  // item 1 was running when it died
  EXPECT_EQ(run.records()[2].status, Status::Ok);
  EXPECT_EQ(run.records()[3].status, Status::Ok);
  EXPECT_EQ(run.progress().restarts, 1);
}

TEST(GuiRunController, CancelStopsWithinASecondAndKeepsFinishedRecords) {
  RunController run;
  QSignalSpy finished(&run, &RunController::finished);
  QSignalSpy records(&run, &RunController::recordReady);
  ProblemSpec spec;
  spec.qHeads = spec.kvHeads = 4;
  spec.qLen = "32,8192";  // the first point is quick, the second takes far longer than the test waits
  spec.headDim = "32";
  ASSERT_TRUE(run.start({"cpu", spec.problemArgs(), {"cpu-math"}, {}}));
  ASSERT_TRUE(QTest::qWaitFor([&] { return records.size() >= 1; }, 60000));
  QTest::qWait(200);  // now inside the long item
  QElapsedTimer t;
  t.start();
  run.cancel();
  ASSERT_TRUE(finished.wait(5000));
  EXPECT_LE(t.elapsed(), 1000);
  EXPECT_EQ(finished[0][0].value<RunController::Outcome>(), RunController::Outcome::Cancelled);
  EXPECT_GE(run.records().size(), 1u);
  EXPECT_EQ(run.records()[0].status, Status::Ok);
  EXPECT_FALSE(run.running());
  // The interrupted item is not "finished and kept" (the worker's cancelled record of it is kept, uncounted).
  EXPECT_EQ(run.progress().done, 1);
  EXPECT_TRUE(finished[0][1].toString().contains("1 of 2 items")) << finished[0][1].toString().toStdString();
}

TEST(GuiRunController, InputTheWorkerRejectsFailsTheRunWithItsReason) {
  RunController run;
  QSignalSpy finished(&run, &RunController::finished);
  ASSERT_TRUE(run.start({"cpu", {"--seq", "0"}, {"cpu-math"}, {}}));
  ASSERT_TRUE(finished.wait(30000));
  EXPECT_EQ(finished[0][0].value<RunController::Outcome>(), RunController::Outcome::Failed);
  const QString message = finished[0][1].toString();
  EXPECT_TRUE(message.contains("rejected the input")) << message.toStdString();
  EXPECT_TRUE(message.contains("seq")) << message.toStdString();
  EXPECT_TRUE(run.records().empty());
}

TEST(GuiRunController, AMissingWorkerIsExplainedNotStarted) {
  RunController run;
  run.setWorkerPath("/nonexistent/attnscope-cli");
  QSignalSpy finished(&run, &RunController::finished);
  EXPECT_FALSE(run.start({"cpu", {"--seq", "64"}, {}, {}}));
  ASSERT_EQ(finished.size(), 1);
  EXPECT_TRUE(finished[0][1].toString().contains("ATTNSCOPE_CLI"));
}

// A record that names the implementation that ran (cuDNN's plan, flash3's kernel) says so in the results table's
// tooltip and in the chart's hover text, and one without says nothing about it.
TEST(GuiResults, TheVariantThatRanIsShownWithTheRecord) {
  LoadOutcome loaded = loadResultFile(dataPath("cpu_run.json"));
  ASSERT_TRUE(loaded.set) << loaded.error.toStdString();
  std::vector<Record> records = loaded.set->doc.records;
  ASSERT_GE(records.size(), 2u);
  ASSERT_EQ(records[0].status, Status::Ok);
  records[0].backend = "flash3[serial]";
  records[0].variant = "128x176x2 serial, blocks";
  records[1].variant.clear();
  ResultsModel model;
  model.appendRecords(model.addSource("cpu_run.json"), records);
  const QString tip = model.index(0, ResultsModel::ColBackend).data(Qt::ToolTipRole).toString();
  EXPECT_TRUE(tip.contains("ran: 128x176x2 serial, blocks")) << tip.toStdString();
  EXPECT_FALSE(model.index(1, ResultsModel::ColBackend).data(Qt::ToolTipRole).toString().contains("ran: "));
  PlotPoint point;
  point.record = records[0];
  const QString hover = point.hoverText("flash3[serial]");
  EXPECT_TRUE(hover.contains("128x176x2 serial, blocks")) << hover.toStdString();
}
