#pragma once
// The backend list widget: the checkable list (ineligible rows drawn greyed but still selectable), and the
// guide the main window docks beside it — tab "Backends": the overview table of every backend (where it
// runs, its dtypes, how its memory grows with N, what it is for) above the selected backend's teaching
// text and its rules met/unmet; tab "Run": how the shown results were measured (versions, clocks,
// sharing, formulas).
#include <QWidget>

class QListView;
class QTextBrowser;
class QLabel;
class QTabWidget;

namespace attnscope::gui {

class BackendListModel;

class BackendListView : public QWidget {
  Q_OBJECT
 public:
  explicit BackendListView(BackendListModel* model, QWidget* parent = nullptr);
  QListView* list() const { return list_; }
  QTextBrowser* details() const { return details_; }
  QTextBrowser* overview() const { return overview_; }
  QTextBrowser* runFacts() const { return runFacts_; }  // "Run": how the shown results were measured (RunFacts.h)
  QTabWidget* guide() const { return guide_; }          // overview + details, and Run: the window docks it
  void setStatusText(const QString& text);  // "checking…", or why the list could not be read
  QString statusText() const;
  // What the list cannot show: an opened file's backends this build does not have (red, like the form's
  // device that is not on this machine). Empty hides it.
  void setMissingNote(const QString& text);
  QString missingNote() const;

 private:
  void showDetails();
  void showOverview();
  BackendListModel* model_;
  QListView* list_;
  QTextBrowser* details_;
  QTextBrowser* overview_;
  QTextBrowser* runFacts_;
  QTabWidget* guide_;
  QLabel* status_;
  QLabel* missing_;
};

}  // namespace attnscope::gui
