#include "ResultsView.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QHeaderView>
#include <QKeyEvent>
#include <QSortFilterProxyModel>
#include <algorithm>

#include "ResultsModel.h"

namespace attnscope::gui {

QString markdownTable(const QAbstractItemModel* model, QList<int> rows) {
  if (rows.isEmpty())
    for (int r = 0; r < model->rowCount(); ++r) rows << r;
  const int cols = model->columnCount();
  auto cell = [](QString s) { return s.replace('|', QStringLiteral("\\|")).replace('\n', ' '); };
  QStringList header, rule;
  for (int c = 0; c < cols; ++c) {
    header << cell(model->headerData(c, Qt::Horizontal).toString());
    const QVariant align = model->data(model->index(rows.value(0), c), Qt::TextAlignmentRole);
    rule << ((align.isValid() && (align.toInt() & Qt::AlignRight)) ? QStringLiteral("---:") : QStringLiteral("---"));
  }
  QString md = QStringLiteral("| ") + header.join(QStringLiteral(" | ")) + QStringLiteral(" |\n| ") +
               rule.join(QStringLiteral(" | ")) + QStringLiteral(" |\n");
  for (int r : rows) {
    QStringList line;
    for (int c = 0; c < cols; ++c) line << cell(model->data(model->index(r, c)).toString());
    md += QStringLiteral("| ") + line.join(QStringLiteral(" | ")) + QStringLiteral(" |\n");
  }
  return md;
}

ResultsView::ResultsView(ResultsModel* model, QWidget* parent) : QTableView(parent), proxy_(new QSortFilterProxyModel(this)) {
  proxy_->setSourceModel(model);
  proxy_->setSortRole(ResultsModel::SortRole);
  setModel(proxy_);
  setSortingEnabled(true);
  sortByColumn(-1, Qt::AscendingOrder);  // arrival order until the user sorts
  setSelectionBehavior(QAbstractItemView::SelectRows);
  setAlternatingRowColors(true);
  setWordWrap(false);
  verticalHeader()->setVisible(false);
  verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
  // Interactive widths (ResizeToContents would re-measure every row on each streamed record); the
  // window fits them to the contents when a set of rows is complete.
  horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  horizontalHeader()->setStretchLastSection(true);
  setObjectName(QStringLiteral("resultsTable"));

  auto* copy = new QAction(tr("Copy as Markdown"), this);
  copy->setShortcut(QKeySequence::Copy);
  copy->setShortcutContext(Qt::WidgetShortcut);
  connect(copy, &QAction::triggered, this, &ResultsView::copyAsMarkdown);
  addAction(copy);
  setContextMenuPolicy(Qt::ActionsContextMenu);
}

QString ResultsView::selectionAsMarkdown() const {
  QList<int> rows;
  if (selectionModel())
    for (const QModelIndex& i : selectionModel()->selectedRows()) rows << i.row();
  std::sort(rows.begin(), rows.end());
  return markdownTable(proxy_, rows);
}

void ResultsView::copyAsMarkdown() const { QApplication::clipboard()->setText(selectionAsMarkdown()); }

void ResultsView::keyPressEvent(QKeyEvent* event) {
  if (event->matches(QKeySequence::Copy)) {
    copyAsMarkdown();
    event->accept();
    return;
  }
  QTableView::keyPressEvent(event);
}

}  // namespace attnscope::gui
