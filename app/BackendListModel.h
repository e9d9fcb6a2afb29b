#pragma once
// The backend list: one checkable row per backend. A backend that cannot run any point of the sweep is
// greyed (EligibleRole false, not checkable) and its tooltip lists every unmet rule with its fix hint.
// What the user wanted (checked) is remembered per backend and comes back when the backend becomes
// eligible again.
#include <QAbstractListModel>
#include <QHash>
#include <QList>
#include <QStringList>

#include "EligibilityService.h"

namespace attnscope::gui {

class BackendListModel : public QAbstractListModel {
  Q_OBJECT
 public:
  enum Role { IdRole = Qt::UserRole + 1, EligibleRole, WantedRole, DetailsRole, ColorRole };

  explicit BackendListModel(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role) override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;

  void setStatuses(const QList<BackendStatus>& statuses);
  const QList<BackendStatus>& statuses() const { return statuses_; }
  int rowOf(const QString& id) const;

  // Checked and eligible, in list order: what Run will ask the worker for.
  QStringList selectedIds() const;
  void setWanted(const QString& id, bool wanted);
  QHash<QString, bool> wantedMap() const { return wanted_; }
  void setWantedMap(const QHash<QString, bool>& m);
  // Only these are wanted (the backends a file ran); every other one, listed now or later, is not.
  void setWantedOnly(const QStringList& ids);

 signals:
  void selectionChanged();

 private:
  bool wanted(const QString& id) const { return wanted_.value(id, unlistedWanted_); }
  QList<BackendStatus> statuses_;
  QHash<QString, bool> wanted_;  // survives eligibility flips
  bool unlistedWanted_ = true;   // a backend not in wanted_: wanted, unless setWantedOnly said otherwise
};

}  // namespace attnscope::gui
