#include "BackendListView.h"

#include <QLabel>
#include <QListView>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTabWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "BackendListModel.h"
#include "EligibilityService.h"

namespace attnscope::gui {
namespace {

// Draws a backend that cannot run as a disabled row (grey text, grey checkbox) while the row stays
// selectable, so clicking it still shows why in the details pane.
class EligibilityDelegate : public QStyledItemDelegate {
 public:
  using QStyledItemDelegate::QStyledItemDelegate;

 protected:
  void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override {
    QStyledItemDelegate::initStyleOption(option, index);
    if (!index.data(BackendListModel::EligibleRole).toBool()) {
      option->state &= ~QStyle::State_Enabled;
      option->features |= QStyleOptionViewItem::HasCheckIndicator;
      option->checkState = Qt::Unchecked;
    }
  }
};

}  // namespace

BackendListView::BackendListView(BackendListModel* model, QWidget* parent)
    : QWidget(parent), model_(model), list_(new QListView(this)), details_(new QTextBrowser(this)),
      overview_(new QTextBrowser(this)), runFacts_(new QTextBrowser(this)), status_(new QLabel(this)) {
  list_->setModel(model_);
  list_->setItemDelegate(new EligibilityDelegate(list_));
  list_->setMouseTracking(true);
  list_->setUniformItemSizes(true);
  list_->setObjectName(QStringLiteral("backendList"));
  details_->setOpenExternalLinks(false);
  details_->setObjectName(QStringLiteral("backendDetails"));
  details_->setPlaceholderText(tr("Select a backend to see how it works and which of its rules this problem meets."));
  status_->setWordWrap(true);
  status_->setTextFormat(Qt::PlainText);  // quotes worker output
  status_->setVisible(false);

  overview_->setObjectName(QStringLiteral("backendOverview"));
  auto* tabs = new QTabWidget(this);
  tabs->addTab(details_, tr("Details"));
  tabs->addTab(overview_, tr("Compare all"));
  runFacts_->setObjectName(QStringLiteral("runFacts"));
  runFacts_->setPlaceholderText(tr("Run a sweep or open a result file to see how it was measured."));
  tabs->addTab(runFacts_, tr("Run"));
  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(list_);
  split->addWidget(tabs);
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 2);  // the text is what a student reads: give it the room
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(status_);
  layout->addWidget(split);

  connect(list_->selectionModel(), &QItemSelectionModel::currentChanged, this, &BackendListView::showDetails);
  connect(model_, &QAbstractItemModel::dataChanged, this, &BackendListView::showDetails);
  connect(model_, &QAbstractItemModel::modelReset, this, &BackendListView::showDetails);
  connect(model_, &QAbstractItemModel::modelReset, this, &BackendListView::showOverview);
  connect(model_, &QAbstractItemModel::dataChanged, this, &BackendListView::showOverview);
}

void BackendListView::setStatusText(const QString& text) {
  status_->setText(text);
  status_->setVisible(!text.isEmpty());
}

void BackendListView::showDetails() {
  const QModelIndex current = list_->currentIndex();
  details_->setHtml(current.isValid() ? current.data(BackendListModel::DetailsRole).toString() : QString());
}

void BackendListView::showOverview() {
  // Every fact here has its home in the backend (its info and its rules); this only lays them side by side.
  QString html = tr("<p>Which backend for which job, side by side. Memory is how the extra memory grows with the "
                    "sequence length N: N² means a score matrix per head, which is what long sequences cannot afford.</p>");
  html += QStringLiteral("<table border='1' cellspacing='0' cellpadding='3' width='100%'><tr><th>%1</th><th>%2</th><th>%3</th><th>%4</th><th>%5</th></tr>")
              .arg(tr("backend"), tr("runs on"), tr("dtypes"), tr("memory"), tr("shines at"));
  for (const BackendStatus& s : model_->statuses()) {
    QString dtypes = tr("all");
    for (const ProbeVerdict& p : s.probes)
      for (const RuleResult& r : p.rules)
        if (r.rule == "dtype" && !r.required.empty()) dtypes = QString::fromStdString(r.required);
    html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td><td>%3</td><td>%4</td><td>%5</td></tr>")
                .arg(QString::fromStdString(s.info.name).toHtmlEscaped(),
                     s.info.target == Target::Cuda ? tr("GPU") : tr("CPU"), dtypes.toHtmlEscaped(),
                     QString::fromStdString(s.info.memory_complexity).toHtmlEscaped(),
                     QString::fromStdString(s.info.shines).toHtmlEscaped());
  }
  overview_->setHtml(html + QStringLiteral("</table>"));
}

}  // namespace attnscope::gui
