// attnscope: the desktop app.
//   attnscope [result.json [overlay.json]]           open the window (with files)
//   attnscope result.json --export chart.png|pdf|svg  render the chart without a window (also .csv/.json)
//             [--size single|double|slide] [--kind bars] [--panels tflops] [--only dtype=float16] ...
//   attnscope --run --screenshot shot.png             run the saved problem, save a picture of the window, quit
//             [--show-backend flash2]                 (with that backend's details and rules shown)
#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QListView>
#include <QProcess>
#include <QScreen>
#include <QTimer>
#include <cstdio>
#include <cstring>
#include <memory>

#include "BackendColors.h"
#include "BackendListModel.h"
#include "BackendListView.h"
#include "EligibilityService.h"
#include "MainWindow.h"
#include "PlotView.h"
#include "ResultSet.h"
#include "WorkerLocator.h"
#include "WorkerProtocol.h"
#include "attnscope/licence.hpp"

using namespace attnscope::gui;

namespace {

bool wantsHeadless(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--export") == 0 || std::strncmp(argv[i], "--export=", 9) == 0) return true;
  return false;
}

// Legends use display names, which the worker's backend list gives (the window learns them the same way).
void learnBackendNames() {
  QProcess worker;
  worker.start(workerPath(), {"backends", "--seq", "128", "--device", "cpu", "--json"});
  if (!worker.waitForFinished(5000) || worker.exitCode() != 0) return;  // legends show ids then
  const QByteArray out = worker.readAllStandardOutput();
  try {
    const attnscope::EligibilityReport report = parseEligibility(out);
    if (!report.probes.empty())
      for (const attnscope::Verdict& v : report.probes.front().verdicts)
        rememberBackendName(QString::fromStdString(v.info.id), QString::fromStdString(v.info.name));
  } catch (const std::exception&) {
  }
}

// The chart choices of the command line (the Export dialog offers the same): kind, metric, x field,
// filters, hidden backends, baseline. Returns an error sentence naming the option, or "".
using ChartChoices = PlotView::Choices;

QString parseChoices(const QCommandLineParser& cli, ChartChoices& c) {
  static const QHash<QString, PlotView::Kind> kinds{
      {"lines", PlotView::Kind::Lines}, {"bars", PlotView::Kind::Bars}, {"roofline", PlotView::Kind::Roofline}};
  static const QHash<QString, PlotView::Panels> panels{{"all", PlotView::Panels::All},         {"latency", PlotView::Panels::Latency},
                                                       {"memory", PlotView::Panels::Memory},   {"tflops", PlotView::Panels::Tflops},
                                                       {"peak", PlotView::Panels::PctPeak},    {"gbs", PlotView::Panels::Bandwidth},
                                                       {"dram", PlotView::Panels::PctBandwidth}, {"speedup", PlotView::Panels::Speedup},
                                                       {"copy", PlotView::Panels::PctCopy}};
  const QString kind = cli.value(QStringLiteral("kind")), metric = cli.value(QStringLiteral("panels"));
  if (!kinds.contains(kind)) return QStringLiteral("--kind is '%1'; choose lines, bars or roofline").arg(kind);
  if (!panels.contains(metric))
    return QStringLiteral("--panels is '%1'; choose all, latency, memory, tflops, peak, gbs, dram, copy or speedup").arg(metric);
  c.kind = kinds.value(kind);
  c.panels = panels.value(metric);
  if (cli.isSet(QStringLiteral("x"))) {
    const auto x = parseFieldKey(cli.value(QStringLiteral("x")));
    if (!x) return QStringLiteral("--x is '%1'; choose N, Nq, Nk, d, dtype, B, Hq or Hkv").arg(cli.value(QStringLiteral("x")));
    c.options.x = *x;
  }
  for (const QString& only : cli.values(QStringLiteral("only"))) {
    const auto field = parseFieldKey(only.section(QLatin1Char('='), 0, 0));
    const QStringList values = only.section(QLatin1Char('='), 1).split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (!field || values.isEmpty())
      return QStringLiteral("--only is '%1'; write FIELD=v1,v2 with FIELD one of N, Nq, Nk, d, dtype, causal, B, Hq, Hkv").arg(only);
    c.options.only[*field] = values;
  }
  for (const QString& id : cli.values(QStringLiteral("hide"))) c.hidden.insert(id);
  c.options.baseline = cli.value(QStringLiteral("baseline"));
  return {};
}

int exportHeadless(const QStringList& files, const QString& out, const QString& data, const ExportSpec& spec,
                   const ChartChoices& choices) {
  if (files.isEmpty()) {
    std::fprintf(stderr, "attnscope: --export needs a result file to read (attnscope results.json --export chart.png)\n");
    return 2;
  }
  learnBackendNames();
  std::vector<PlotSource> sources;
  attnscope::ResultDocument first;
  for (const QString& f : files.mid(0, 2)) {
    LoadOutcome loaded = loadResultFile(f);
    if (!loaded.set) {
      std::fprintf(stderr, "attnscope: %s\n", qPrintable(loaded.error));
      return 1;
    }
    if (sources.empty()) first = loaded.set->doc;
    sources.push_back({loaded.set->label, loaded.set->doc.device, loaded.set->doc.records,
                       copyBandwidthBeside(loaded.set->path, loaded.set->doc.device)});
  }
  const QString suffix = QFileInfo(out).suffix().toLower();
  QString error;
  if (suffix == QLatin1String("csv") || suffix == QLatin1String("json")) {
    error = saveResultFile(first, out);  // the whole result file; --chart-data writes what the chart shows
  } else {
    PlotView view;  // never shown: QCustomPlot lays out and paints at the export size
    view.resize(int(spec.sizePt.width() * 1.5), int(spec.sizePt.height() * 1.5));
    view.setChoices(choices);
    view.setSources(std::move(sources));
    error = view.exportTo(out, spec);
    if (error.isEmpty() && !data.isEmpty()) error = view.exportTo(data, spec);
  }
  if (!error.isEmpty()) {
    std::fprintf(stderr, "attnscope: %s\n", qPrintable(error));
    return 1;
  }
  std::printf("wrote %s\n", qPrintable(out));
  if (!data.isEmpty()) std::printf("wrote %s\n", qPrintable(data));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Chart export needs a QApplication (QCustomPlot is a widget) but no display: use offscreen.
  if (wantsHeadless(argc, argv) && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  QCoreApplication::setOrganizationName(QStringLiteral("AttnScope"));
  QCoreApplication::setApplicationName(QStringLiteral("attnscope"));
  // `attnscope --version` prints it with the licence, as the CLI does (help2man makes the man page's
  // COPYRIGHT section from it).
  QCoreApplication::setApplicationVersion(QStringLiteral(ATTNSCOPE_VERSION "\n") + QString::fromUtf8(attnscope::kLicenceNotice));

  QCommandLineParser cli;
  cli.setApplicationDescription(QStringLiteral("AttnScope: which attention backends can run your problem, why not, and what they cost."));
  cli.addHelpOption();
  cli.addVersionOption();
  cli.addPositionalArgument(QStringLiteral("files"), QStringLiteral("Result files (JSON or JSON lines) to open; a second one is overlaid."),
                            QStringLiteral("[result.json [overlay.json]]"));
  cli.addOption({QStringLiteral("export"), QStringLiteral("Write the chart (.png/.pdf/.svg) or the data (.csv/.json) and exit, without a window."), QStringLiteral("file")});
  cli.addOption({QStringLiteral("size"), QStringLiteral("Figure size: single (3.5 in column), double (7 in), slide (16:9). Fonts stay >= 7 pt at that width."), QStringLiteral("preset")});
  cli.addOption({QStringLiteral("width"), QStringLiteral("Export width in points (1/72 in; PNG pixels at --scale 1), instead of --size."), QStringLiteral("pt")});
  cli.addOption({QStringLiteral("height"), QStringLiteral("Export height in points, instead of --size."), QStringLiteral("pt")});
  cli.addOption({QStringLiteral("dpi"), QStringLiteral("PNG resolution (default 300 for --size, 72 x --scale otherwise)."), QStringLiteral("dpi")});
  cli.addOption({QStringLiteral("scale"), QStringLiteral("PNG pixel scale with --width/--height (2 for HiDPI)."), QStringLiteral("factor"), QStringLiteral("1")});
  cli.addOption({QStringLiteral("font-pt"), QStringLiteral("Text size in points (default: the preset's, 7-16)."), QStringLiteral("pt")});
  cli.addOption({QStringLiteral("kind"), QStringLiteral("Chart kind: lines, bars (grouped, one colour per backend), roofline."), QStringLiteral("kind"), QStringLiteral("lines")});
  cli.addOption({QStringLiteral("panels"), QStringLiteral("Metric: all, latency, memory, tflops, peak, gbs, dram, copy (% of the copy bandwidth in bandwidth.json beside the file), speedup."), QStringLiteral("which"), QStringLiteral("all")});
  cli.addOption({QStringLiteral("x"), QStringLiteral("Field on the x axis: N, Nq, Nk, d, dtype, B, Hq, Hkv (default: what the sweep varies)."), QStringLiteral("field")});
  cli.addOption({QStringLiteral("only"), QStringLiteral("Show only these values of a field, e.g. dtype=float16,bfloat16 or d=128 (repeatable); two or more values make panels."), QStringLiteral("field=values")});
  cli.addOption({QStringLiteral("hide"), QStringLiteral("Leave this backend id out of the chart (repeatable)."), QStringLiteral("id")});
  cli.addOption({QStringLiteral("baseline"), QStringLiteral("Backend id the speed-up chart divides by (default naive)."), QStringLiteral("id")});
  cli.addOption({QStringLiteral("chart-data"), QStringLiteral("Also write exactly what the chart shows (.csv or .json)."), QStringLiteral("file")});
  cli.addOption({QStringLiteral("run"), QStringLiteral("Start the saved problem's sweep as soon as the window opens.")});
  cli.addOption({QStringLiteral("show-backend"), QStringLiteral("Select this backend in the list, so its details and rules are shown."), QStringLiteral("id")});
  cli.addOption({QStringLiteral("screenshot"), QStringLiteral("Save a picture of the window once the run (or loading) is done, then quit."), QStringLiteral("file")});
  cli.process(app);

  if (cli.isSet(QStringLiteral("export"))) {
    ExportSpec spec{QSizeF(1600, 1000), 72, 9};
    bool ok = true;
    if (cli.isSet(QStringLiteral("size"))) {
      const auto preset = ExportSpec::preset(cli.value(QStringLiteral("size")));
      if (!preset) {
        std::fprintf(stderr, "attnscope: --size is '%s'; choose single, double or slide\n", qPrintable(cli.value(QStringLiteral("size"))));
        return 2;
      }
      spec = *preset;
    }
    if (cli.isSet(QStringLiteral("width")) || cli.isSet(QStringLiteral("height"))) {
      bool okW = true, okH = true, okS = true;
      const double w = cli.isSet(QStringLiteral("width")) ? cli.value(QStringLiteral("width")).toDouble(&okW) : spec.sizePt.width();
      const double h = cli.isSet(QStringLiteral("height")) ? cli.value(QStringLiteral("height")).toDouble(&okH) : spec.sizePt.height();
      const double s = cli.value(QStringLiteral("scale")).toDouble(&okS);
      ok = okW && okH && okS && w >= 100 && h >= 100 && w <= 20000 && h <= 20000 && s > 0 && s <= 8;
      spec.sizePt = QSizeF(w, h);
      if (!cli.isSet(QStringLiteral("size"))) spec.dpi = 72 * s;
    }
    if (!ok) {
      std::fprintf(stderr, "attnscope: --width/--height must be 100..20000 points and --scale 0..8\n");
      return 2;
    }
    if (cli.isSet(QStringLiteral("dpi"))) {
      spec.dpi = cli.value(QStringLiteral("dpi")).toDouble(&ok);
      if (!ok || spec.dpi < 36 || spec.dpi > 2400) {
        std::fprintf(stderr, "attnscope: --dpi must be 36..2400\n");
        return 2;
      }
    }
    if (cli.isSet(QStringLiteral("font-pt"))) {
      spec.fontPt = cli.value(QStringLiteral("font-pt")).toInt(&ok);
      if (!ok || spec.fontPt < 4 || spec.fontPt > 72) {
        std::fprintf(stderr, "attnscope: --font-pt must be 4..72\n");
        return 2;
      }
    }
    ChartChoices choices;
    if (const QString error = parseChoices(cli, choices); !error.isEmpty()) {
      std::fprintf(stderr, "attnscope: %s\n", qPrintable(error));
      return 2;
    }
    return exportHeadless(cli.positionalArguments(), cli.value(QStringLiteral("export")), cli.value(QStringLiteral("chart-data")),
                          spec, choices);
  }

  MainWindow window;
  const QStringList files = cli.positionalArguments();
  if (!files.isEmpty()) window.openResultFile(files[0]);
  if (files.size() > 1) window.overlayResultFile(files[1]);
  // The chart options work for the window too (what it opens showing, e.g. for a screenshot).
  ChartChoices choices;
  if (const QString error = parseChoices(cli, choices); !error.isEmpty()) {
    std::fprintf(stderr, "attnscope: %s\n", qPrintable(error));
    return 2;
  }
  for (const char* option : {"kind", "panels", "x", "only", "hide", "baseline"})
    if (cli.isSet(QLatin1String(option))) {
      window.plotView()->setChoices(choices);
      break;
    }
  window.show();

  if (const QString id = cli.value(QStringLiteral("show-backend")); !id.isEmpty()) {
    QObject::connect(window.eligibility(), &EligibilityService::updated, &window, [&window, id] {
      if (const int row = window.backendModel()->rowOf(id); row >= 0)
        window.backendView()->list()->setCurrentIndex(window.backendModel()->index(row));
    });
  }
  const QString shot = cli.value(QStringLiteral("screenshot"));
  auto takeShot = [&window, shot] {
    // Let the last chart rebuild and repaint land, then grab what the window system shows.
    QTimer::singleShot(600, &window, [&window, shot] {
      QPixmap picture = window.screen() ? window.screen()->grabWindow(window.winId()) : QPixmap();
      if (picture.isNull()) picture = window.grab();
      const bool ok = picture.save(shot);
      std::fprintf(ok ? stdout : stderr, ok ? "wrote %s\n" : "attnscope: could not write %s\n", qPrintable(shot));
      QApplication::exit(ok ? 0 : 1);
    });
  };
  if (cli.isSet(QStringLiteral("run"))) {
    // Eligibility is asked of the worker first; run once the backend list has arrived.
    auto started = std::make_shared<bool>(false);
    QObject::connect(window.eligibility(), &EligibilityService::updated, &window, [&window, started] {
      if (*started) return;
      QTimer::singleShot(0, &window, [&window, started] {
        if (!*started) *started = window.startRun();
      });
    });
    if (!shot.isEmpty()) QObject::connect(&window, &MainWindow::runFinished, &window, takeShot);
  } else if (!shot.isEmpty()) {
    QTimer::singleShot(1500, &window, takeShot);
  }
  return app.exec();
}
