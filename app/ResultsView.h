#pragma once
// The sortable results table. Ctrl+C (and the context menu) copies the selected rows, or every row when
// none is selected, as a Markdown table ready for an issue or a paper draft.
#include <QTableView>

class QSortFilterProxyModel;

namespace attnscope::gui {

class ResultsModel;

class ResultsView : public QTableView {
  Q_OBJECT
 public:
  explicit ResultsView(ResultsModel* model, QWidget* parent = nullptr);
  QSortFilterProxyModel* proxy() const { return proxy_; }
  QString selectionAsMarkdown() const;
  void copyAsMarkdown() const;

 protected:
  void keyPressEvent(QKeyEvent* event) override;

 private:
  QSortFilterProxyModel* proxy_;
};

// Rows of `model` (in the given order; all rows when empty) as a Markdown table with a header row.
QString markdownTable(const QAbstractItemModel* model, QList<int> rows = {});

}  // namespace attnscope::gui
