#include "BackendListView.h"

#include <QLabel>
#include <QListView>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "BackendListModel.h"

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
      status_(new QLabel(this)) {
  list_->setModel(model_);
  list_->setItemDelegate(new EligibilityDelegate(list_));
  list_->setMouseTracking(true);
  list_->setUniformItemSizes(true);
  list_->setObjectName(QStringLiteral("backendList"));
  details_->setOpenExternalLinks(false);
  details_->setObjectName(QStringLiteral("backendDetails"));
  details_->setPlaceholderText(tr("Select a backend to see how it works and which of its rules this problem meets."));
  status_->setWordWrap(true);
  status_->setVisible(false);

  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(list_);
  split->addWidget(details_);
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(status_);
  layout->addWidget(split);

  connect(list_->selectionModel(), &QItemSelectionModel::currentChanged, this, &BackendListView::showDetails);
  connect(model_, &QAbstractItemModel::dataChanged, this, &BackendListView::showDetails);
  connect(model_, &QAbstractItemModel::modelReset, this, &BackendListView::showDetails);
}

void BackendListView::setStatusText(const QString& text) {
  status_->setText(text);
  status_->setVisible(!text.isEmpty());
}

void BackendListView::showDetails() {
  const QModelIndex current = list_->currentIndex();
  details_->setHtml(current.isValid() ? current.data(BackendListModel::DetailsRole).toString() : QString());
}

}  // namespace attnscope::gui
