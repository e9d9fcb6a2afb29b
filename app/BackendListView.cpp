#include "BackendListView.h"

#include <QLabel>
#include <QRegularExpression>
#include <QListView>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTabWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "BackendColors.h"
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

// "O(N²)" when the backend's memory text names a score matrix (Nq·Nk or N²) before its first clause ends,
// else "O(N)".
QString memoryOrder(const QString& complexity) {
  const QString head = complexity.section(QRegularExpression(QStringLiteral("[:;—]")), 0, 0);
  const bool quadratic = head.contains(QStringLiteral("Nq·Nk")) || head.contains(QStringLiteral("N²"));
  return quadratic ? QStringLiteral("<b>O(N²)</b>") : QStringLiteral("O(N)");
}

// The first clause of a sentence ("Checking correctness", "float32 or older GPUs"), at most ~55 characters.
QString firstClause(const QString& text) {
  QString head = text.section(QRegularExpression(QStringLiteral("[:;]|\\. |, e\\.g\\.|, where ")), 0, 0).trimmed();
  if (head.endsWith(QLatin1Char('.'))) head.chop(1);
  if (head.size() > 56) head = head.left(54).section(QLatin1Char(' '), 0, -2) + QStringLiteral(" …");
  return head;
}

}  // namespace

BackendListView::BackendListView(BackendListModel* model, QWidget* parent)
    : QWidget(parent), model_(model), list_(new QListView(this)), details_(new QTextBrowser), overview_(new QTextBrowser),
      runFacts_(new QTextBrowser), guide_(new QTabWidget), status_(new QLabel(this)), missing_(new QLabel(this)) {
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
  missing_->setObjectName(QStringLiteral("backendsMissing"));
  missing_->setWordWrap(true);
  missing_->setTextFormat(Qt::PlainText);  // ids from a file
  missing_->setStyleSheet(QStringLiteral("color:#b00020"));
  missing_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // wraps to the dock, never widens it
  missing_->setVisible(false);

  // The overview first, the selected backend's text below it: a student sees the whole field, then one
  // backend in depth. The table takes what it needs; the text gets the rest.
  overview_->setObjectName(QStringLiteral("backendOverview"));
  auto* teach = new QSplitter(Qt::Vertical);
  teach->setObjectName(QStringLiteral("backendGuideSplit"));
  teach->addWidget(overview_);
  teach->addWidget(details_);
  teach->setStretchFactor(0, 2);
  teach->setStretchFactor(1, 3);
  guide_->setObjectName(QStringLiteral("backendGuide"));
  guide_->addTab(teach, tr("Backends"));
  runFacts_->setObjectName(QStringLiteral("runFacts"));
  runFacts_->setPlaceholderText(tr("Run a sweep or open a result file to see how it was measured."));
  guide_->addTab(runFacts_, tr("Run"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(status_);
  layout->addWidget(missing_);
  layout->addWidget(list_);

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

QString BackendListView::statusText() const { return status_->text(); }

void BackendListView::setMissingNote(const QString& text) {
  missing_->setText(text);
  missing_->setVisible(!text.isEmpty());
}

QString BackendListView::missingNote() const { return missing_->text(); }

void BackendListView::showDetails() {
  const QModelIndex current = list_->currentIndex();
  details_->setHtml(current.isValid() ? current.data(BackendListModel::DetailsRole).toString() : QString());
}

void BackendListView::showOverview() {
  // Every fact here has its home in the backend (its info and its rules); this only lays them side by side,
  // shortened to one line each: the memory order and the first clause of "shines".
  QString html = tr("<p style='margin:0'><small>Memory: how the extra memory grows with the sequence length N (<b>N²</b>: a "
                    "score matrix per head, which long sequences cannot afford). Click a backend for how it works.</small></p>");
  html += QStringLiteral("<table border='1' cellspacing='0' cellpadding='1' width='100%' style='font-size:small'><tr><th>%1</th><th>%2</th><th>%3</th><th>%4</th></tr>")
              .arg(tr("backend"), tr("dtypes"), tr("memory"), tr("best for"));
  for (const BackendStatus& s : model_->statuses()) {
    // A dtype rule says which dtypes; without one, a library backend's dtypes are the library's to say on the
    // device (its own verdict, or it could not be imported here), and only ours accept every dtype.
    QString dtypes;
    bool library = false;
    for (const ProbeVerdict& p : s.probes)
      for (const RuleResult& r : p.rules) {
        if (r.rule == "dtype" && !r.required.empty()) dtypes = QString::fromStdString(r.required);
        library |= r.rule == "import" || r.rule == "library";
      }
    if (dtypes.isEmpty()) dtypes = library ? tr("the library's") : tr("all");
    const QString where = s.info.target == Target::Cuda ? QString() : tr(" (CPU)");
    dtypes.replace(QStringLiteral("bfloat16"), QStringLiteral("bf16")).replace(QStringLiteral("float"), QStringLiteral("fp"));
    dtypes.replace(QStringLiteral(" or "), QStringLiteral(", "));
    html += QStringLiteral("<tr><td>%1%2</td><td>%3</td><td>%4</td><td>%5</td></tr>")
                .arg(backendShortName(QString::fromStdString(s.info.id)).toHtmlEscaped(), where, dtypes.toHtmlEscaped(),
                     memoryOrder(QString::fromStdString(s.info.memory_complexity)),
                     firstClause(QString::fromStdString(s.info.shines)).toHtmlEscaped());
  }
  overview_->setHtml(html + QStringLiteral("</table>"));
}

}  // namespace attnscope::gui
