// attnscope: the desktop app.
//   attnscope [result.json [overlay.json]]           open the window (with files)
//   attnscope result.json --export chart.png|pdf|svg  render the chart without a window (also .csv/.json)
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

using namespace attnscope::gui;

namespace {

bool wantsHeadless(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--export") == 0 || std::strncmp(argv[i], "--export=", 9) == 0) return true;
  return false;
}

// Colours follow the registry's order in the window (from the worker's backend list); ask the worker for
// that order here too, so an exported chart uses the same colour per backend as the window does.
void assignColoursLikeTheWindow() {
  QProcess worker;
  worker.start(workerPath(), {"backends", "--seq", "128", "--device", "cpu", "--json"});
  if (!worker.waitForFinished(5000) || worker.exitCode() != 0) return;  // first-seen order then
  const QByteArray out = worker.readAllStandardOutput();
  try {
    QStringList ids;
    for (const BackendVerdict& v : parse_eligibility(std::string_view(out.constData(), std::size_t(out.size()))).backends)
      ids << QString::fromStdString(v.info.id);
    backendColors().preassign(ids);
  } catch (const std::exception&) {
  }
}

int exportHeadless(const QStringList& files, const QString& out, int width, int height, double scale,
                   const QString& panels) {
  if (files.isEmpty()) {
    std::fprintf(stderr, "attnscope: --export needs a result file to read (attnscope results.json --export chart.png)\n");
    return 2;
  }
  assignColoursLikeTheWindow();
  std::vector<PlotSource> sources;
  attnscope::ResultDocument first;
  for (const QString& f : files.mid(0, 2)) {
    LoadOutcome loaded = loadResultFile(f);
    if (!loaded.set) {
      std::fprintf(stderr, "attnscope: %s\n", qPrintable(loaded.error));
      return 1;
    }
    if (sources.empty()) first = loaded.set->doc;
    sources.push_back({loaded.set->label, loaded.set->doc.device, loaded.set->doc.records});
  }
  const QString suffix = QFileInfo(out).suffix().toLower();
  QString error;
  if (suffix == QLatin1String("csv") || suffix == QLatin1String("json")) {
    error = saveResultFile(first, out);
  } else {
    PlotView view;  // never shown: QCustomPlot lays out and paints at the export size
    static const QHash<QString, PlotView::Panels> names{{"all", PlotView::Panels::All},
                                                        {"latency", PlotView::Panels::Latency},
                                                        {"memory", PlotView::Panels::Memory},
                                                        {"tflops", PlotView::Panels::Tflops},
                                                        {"peak", PlotView::Panels::PctPeak}};
    if (!names.contains(panels)) {
      std::fprintf(stderr, "attnscope: --panels is '%s'; choose all, latency, memory, tflops or peak\n", qPrintable(panels));
      return 2;
    }
    view.setPanels(names.value(panels));
    view.setSources(std::move(sources));
    error = view.exportTo(out, width, height, scale);
  }
  if (!error.isEmpty()) {
    std::fprintf(stderr, "attnscope: %s\n", qPrintable(error));
    return 1;
  }
  std::printf("wrote %s\n", qPrintable(out));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Chart export needs a QApplication (QCustomPlot is a widget) but no display: use offscreen.
  if (wantsHeadless(argc, argv) && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  QCoreApplication::setOrganizationName(QStringLiteral("AttnScope"));
  QCoreApplication::setApplicationName(QStringLiteral("attnscope"));
  QCoreApplication::setApplicationVersion(QStringLiteral(ATTNSCOPE_VERSION));

  QCommandLineParser cli;
  cli.setApplicationDescription(QStringLiteral("AttnScope: which attention backends can run your problem, why not, and what they cost."));
  cli.addHelpOption();
  cli.addVersionOption();
  cli.addPositionalArgument(QStringLiteral("files"), QStringLiteral("Result files (JSON or JSON lines) to open; a second one is overlaid."),
                            QStringLiteral("[result.json [overlay.json]]"));
  cli.addOption({QStringLiteral("export"), QStringLiteral("Write the chart (.png/.pdf/.svg) or the data (.csv/.json) and exit, without a window."), QStringLiteral("file")});
  cli.addOption({QStringLiteral("width"), QStringLiteral("Export width in pixels (default 1600)."), QStringLiteral("px"), QStringLiteral("1600")});
  cli.addOption({QStringLiteral("height"), QStringLiteral("Export height in pixels (default 1000)."), QStringLiteral("px"), QStringLiteral("1000")});
  cli.addOption({QStringLiteral("scale"), QStringLiteral("PNG pixel scale (2 for HiDPI/print)."), QStringLiteral("factor"), QStringLiteral("1")});
  cli.addOption({QStringLiteral("panels"), QStringLiteral("Charts to export: all, latency, memory, tflops, peak."), QStringLiteral("which"), QStringLiteral("all")});
  cli.addOption({QStringLiteral("run"), QStringLiteral("Start the saved problem's sweep as soon as the window opens.")});
  cli.addOption({QStringLiteral("show-backend"), QStringLiteral("Select this backend in the list, so its details and rules are shown."), QStringLiteral("id")});
  cli.addOption({QStringLiteral("screenshot"), QStringLiteral("Save a picture of the window once the run (or loading) is done, then quit."), QStringLiteral("file")});
  cli.process(app);

  if (cli.isSet(QStringLiteral("export"))) {
    bool okW = false, okH = false, okS = false;
    const int w = cli.value(QStringLiteral("width")).toInt(&okW);
    const int h = cli.value(QStringLiteral("height")).toInt(&okH);
    const double s = cli.value(QStringLiteral("scale")).toDouble(&okS);
    if (!okW || !okH || !okS || w < 100 || h < 100 || w > 20000 || h > 20000 || s <= 0 || s > 8) {
      std::fprintf(stderr, "attnscope: --width/--height must be 100..20000 pixels and --scale 0..8\n");
      return 2;
    }
    return exportHeadless(cli.positionalArguments(), cli.value(QStringLiteral("export")), w, h, s,
                          cli.value(QStringLiteral("panels")));
  }

  MainWindow window;
  const QStringList files = cli.positionalArguments();
  if (!files.isEmpty()) window.openResultFile(files[0]);
  if (files.size() > 1) window.overlayResultFile(files[1]);
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
