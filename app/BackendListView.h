#pragma once
// The backend list widget: the checkable list (ineligible rows drawn greyed but still selectable) and,
// below it, the details pane with the selected backend's teaching text and its rules met/unmet.
#include <QWidget>

class QListView;
class QTextBrowser;
class QLabel;

namespace attnscope::gui {

class BackendListModel;

class BackendListView : public QWidget {
  Q_OBJECT
 public:
  explicit BackendListView(BackendListModel* model, QWidget* parent = nullptr);
  QListView* list() const { return list_; }
  QTextBrowser* details() const { return details_; }
  void setStatusText(const QString& text);  // "checking…", or why the list could not be read

 private:
  void showDetails();
  BackendListModel* model_;
  QListView* list_;
  QTextBrowser* details_;
  QLabel* status_;
};

}  // namespace attnscope::gui
