#pragma once
// The main window: problem panel and backend list on the left, charts in the middle, results table at
// the bottom, run progress with Cancel in the status bar. It wires models to views and to the worker;
// it holds no measurement logic of its own.
#include <QMainWindow>
#include <QStringList>
#include <QTimer>
#include <optional>

#include "PlotData.h"
#include "ProblemSpec.h"
#include "ResultSet.h"
#include "RunController.h"

class QAction;
class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;

namespace attnscope::gui {

class BackendListModel;
class BackendListView;
class DeviceListService;
class EligibilityService;
class MessageBar;
class PlotView;
class ProblemPanel;
class ResultsModel;
class ResultsView;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  static constexpr int kStateVersion = 2;  // bump when docks change, so an old layout is ignored

  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  bool openResultFile(const QString& path);     // replaces what is shown; false + message on error
  bool overlayResultFile(const QString& path);  // adds a second set for comparison
  void clearOverlay();
  bool startRun();                              // false when the problem or selection cannot run
  void cancelRun();
  QString saveResults(const QString& path);     // .json / .csv; error sentence or ""
  QString exportChart(const QString& path, int width = 1600, int height = 1000);

  ProblemPanel* problemPanel() const { return problem_; }
  BackendListModel* backendModel() const { return backends_; }
  BackendListView* backendView() const { return backendView_; }
  EligibilityService* eligibility() const { return eligibility_; }
  EligibilityService* memoryForecast() const { return forecast_; }
  DeviceListService* remoteDeviceService() const { return remoteDevices_; }
  // The command that starts attnscope-cli on the remote host ("ssh user@gpu-box attnscope-cli"); its
  // devices join the device list. Persisted; an empty line forgets the host. False (with *error) when
  // the line cannot be used.
  bool setRemoteCommand(const QString& commandLine, QString* error = nullptr);
  DeviceListService* deviceService() const { return devices_; }
  RunController* runController() const { return run_; }
  ResultsModel* resultsModel() const { return results_; }
  ResultsView* resultsView() const { return resultsView_; }
  PlotView* plotView() const { return plot_; }
  MessageBar* messageBar() const { return message_; }
  QAction* runAction() const { return runAction_; }
  QAction* cancelAction() const { return cancelAction_; }
  QAction* exportAction() const { return exportAction_; }  // File ▸ Export chart… (the Export dialog)
  QString progressText() const;
  QStringList recentFiles() const { return recent_; }

 signals:
  void runFinished(attnscope::gui::RunController::Outcome outcome);

 protected:
  void closeEvent(QCloseEvent* event) override;
  void showEvent(QShowEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void buildMenus();
  void buildDocks();
  void fitProblemDock();  // taller when the form's wrapped notes need it (docks ignore height-for-width)
  void fitToScreen();
  void loadSettings();
  void saveSettings() const;
  void onSpecChanged();
  void updateRunEnabled();
  void onProgress(const RunProgress& p);
  void onRunFinished(RunController::Outcome outcome, const QString& message);
  void refreshViews();             // table + chart from primary_/overlay_
  std::vector<PlotSource> plotSources() const;  // the files/run, or the memory prediction for a what-if profile
  void requestForecast();
  void schedulePlotRefresh();
  void refreshRunFacts();          // the details pane's "Run" tab (RunFacts.h)
  void showFileProblem();          // the form takes the opened file's problem, device and backends
  void describeFileProblem();      // the form's note: which file it shows, and how the overlay differs
  void describeMissingBackends();  // over the backend list: the file's backends this build does not have
  void forgetFileProblem();        // a run, or an edit: the form no longer shows a file's problem
  // A file's GPU this machine lacks, with the problem otherwise valid: the backend list is judged on
  // the what-if profile of that model instead (and says so). "" otherwise.
  QString standInDevice() const;
  QString backendStatusNote() const;  // the list's status line for the form as it is
  void addRecent(const QString& path);
  void rebuildRecentMenu();
  void chooseAndOpen();
  void chooseAndOverlay();
  void chooseAndSaveResults();
  void chooseAndExportChart();
  QString lastDir() const;

  ProblemPanel* problem_;
  BackendListModel* backends_;
  BackendListView* backendView_;
  EligibilityService* eligibility_;
  EligibilityService* forecast_;  // every point's predicted memory, for a what-if profile
  DeviceListService* devices_;
  DeviceListService* remoteDevices_;
  QString remoteCommandLine_;
  RunController* run_;
  ResultsModel* results_;
  ResultsView* resultsView_;
  PlotView* plot_;
  MessageBar* message_;

  bool unsaved_ = false;  // a run's records that were neither saved nor replaced by an opened file
  QAction* runAction_ = nullptr;
  QAction* cancelAction_ = nullptr;
  QAction* exportAction_ = nullptr;
  QMenu* recentMenu_ = nullptr;
  QProgressBar* progressBar_;
  QLabel* progressLabel_;
  QPushButton* cancelButton_;
  QTimer plotRefresh_;

  ResultSet primary_;               // the live run or the opened file
  std::optional<ProblemSpec> fileSpec_;  // the problem the form took from primary_'s file, until edited
  QStringList fileNotes_;          // what the form could not show as that file has it
  QStringList fileBackends_;       // the backends that file ran (some may be missing from this build)
  bool fileFromCommandLine_ = false;
  std::optional<ResultSet> overlay_;
  std::vector<Record> predicted_;  // forecast_'s answer for the problem and profile shown
  DeviceInfo predictedDevice_;
  int primarySource_ = 0, overlaySource_ = -1;
  QStringList recent_;
  QString lastDir_;
};

}  // namespace attnscope::gui
