#include "BackendListModel.h"

#include <QApplication>
#include <QPalette>

#include "BackendColors.h"

namespace attnscope::gui {

BackendListModel::BackendListModel(QObject* parent) : QAbstractListModel(parent) {}

int BackendListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(statuses_.size()); }

QVariant BackendListModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= statuses_.size()) return {};
  const BackendStatus& s = statuses_[index.row()];
  const QString id = QString::fromStdString(s.info.id);
  const bool eligible = s.eligibleAnywhere();
  switch (role) {
    case Qt::DisplayRole:
      if (!eligible) return tr("%1 — n/a").arg(QString::fromStdString(s.info.name));
      if (!s.eligibleEverywhere()) return tr("%1 — some points").arg(QString::fromStdString(s.info.name));
      return QString::fromStdString(s.info.name);
    case Qt::ToolTipRole: return s.tooltipHtml();
    case Qt::CheckStateRole: return (eligible && wanted(id)) ? Qt::Checked : Qt::Unchecked;
    case Qt::DecorationRole:
    case ColorRole: return backendColor(id);
    case Qt::ForegroundRole:
      if (!eligible) return QApplication::palette().brush(QPalette::Disabled, QPalette::Text);
      return {};
    case IdRole: return id;
    case EligibleRole: return eligible;
    case WantedRole: return wanted(id);
    case DetailsRole: return s.detailsHtml();
    default: return {};
  }
}

bool BackendListModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (!index.isValid() || role != Qt::CheckStateRole || !(flags(index) & Qt::ItemIsUserCheckable)) return false;
  const QString id = QString::fromStdString(statuses_[index.row()].info.id);
  wanted_[id] = value.value<Qt::CheckState>() == Qt::Checked;
  emit dataChanged(index, index, {Qt::CheckStateRole, WantedRole});
  emit selectionChanged();
  return true;
}

Qt::ItemFlags BackendListModel::flags(const QModelIndex& index) const {
  if (!index.isValid()) return Qt::NoItemFlags;
  // Ineligible rows stay selectable so the details pane can explain them; they only lose the checkbox.
  Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemNeverHasChildren;
  if (statuses_[index.row()].eligibleAnywhere()) f |= Qt::ItemIsUserCheckable;
  return f;
}

void BackendListModel::setStatuses(const QList<BackendStatus>& statuses) {
  for (const BackendStatus& s : statuses)
    rememberBackendName(QString::fromStdString(s.info.id), QString::fromStdString(s.info.name));
  // Every listed backend gets its own entry, so the saved choice holds it whatever the default.
  for (const BackendStatus& s : statuses) wanted_.insert(QString::fromStdString(s.info.id), wanted(QString::fromStdString(s.info.id)));
  bool sameRows = statuses.size() == statuses_.size();
  for (int i = 0; sameRows && i < statuses.size(); ++i) sameRows = statuses[i].info.id == statuses_[i].info.id;
  if (sameRows) {
    statuses_ = statuses;  // keep the view's current row: only the contents changed
    if (!statuses_.isEmpty()) emit dataChanged(index(0), index(int(statuses_.size()) - 1));
  } else {
    beginResetModel();
    statuses_ = statuses;
    endResetModel();
  }
  emit selectionChanged();
}

int BackendListModel::rowOf(const QString& id) const {
  for (int i = 0; i < statuses_.size(); ++i)
    if (QString::fromStdString(statuses_[i].info.id) == id) return i;
  return -1;
}

QStringList BackendListModel::selectedIds() const {
  QStringList ids;
  for (const BackendStatus& s : statuses_) {
    const QString id = QString::fromStdString(s.info.id);
    if (s.eligibleAnywhere() && wanted(id)) ids << id;
  }
  return ids;
}

void BackendListModel::setWanted(const QString& id, bool w) {
  wanted_[id] = w;
  if (const int row = rowOf(id); row >= 0) emit dataChanged(index(row), index(row), {Qt::CheckStateRole, WantedRole});
  emit selectionChanged();
}

void BackendListModel::setWantedMap(const QHash<QString, bool>& m) {
  wanted_ = m;
  unlistedWanted_ = true;
  if (!statuses_.isEmpty()) emit dataChanged(index(0), index(int(statuses_.size()) - 1));
  emit selectionChanged();
}

void BackendListModel::setWantedOnly(const QStringList& ids) {
  wanted_.clear();
  for (const QString& id : ids) wanted_.insert(id, true);
  unlistedWanted_ = false;
  if (!statuses_.isEmpty()) emit dataChanged(index(0), index(int(statuses_.size()) - 1));
  emit selectionChanged();
}

}  // namespace attnscope::gui
