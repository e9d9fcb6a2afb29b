#include "ResultsModel.h"

#include <QBrush>
#include <QColor>

#include "BackendColors.h"
#include "attnscope/rules.hpp"

namespace attnscope::gui {

QString formatMicros(double us) {
  if (us < 1000) return QStringLiteral("%1 µs").arg(us, 0, 'g', 4);
  if (us < 1e6) return QStringLiteral("%1 ms").arg(us / 1000, 0, 'g', 4);
  return QStringLiteral("%1 s").arg(us / 1e6, 0, 'g', 4);
}

QString statusText(const Record& r) {
  switch (r.status) {
    case Status::Ok: return r.converged ? QStringLiteral("ok") : QStringLiteral("ok (noisy)");
    case Status::Ineligible: return QStringLiteral("ineligible");
    case Status::OutOfMemory: return QStringLiteral("out of memory");
    case Status::Error: return QStringLiteral("error");
    case Status::Cancelled: return QStringLiteral("cancelled");
  }
  return {};
}

QString recordProblemText(const Record& r) {
  if (r.status == Status::Ineligible) {
    QStringList reasons;
    for (const RuleResult& u : r.unmet) {
      QString s = QString::fromStdString(u.reason.empty() ? u.rule : u.reason);
      if (!u.hint.empty()) s += QStringLiteral(" — ") + QString::fromStdString(u.hint);
      reasons << s;
    }
    if (!reasons.isEmpty()) return reasons.join(QStringLiteral("; "));
  }
  QString text = QString::fromStdString(r.message);
  if (r.status == Status::Ok && !r.converged)
    text = (text.isEmpty() ? QString() : text + QStringLiteral("; ")) + QStringLiteral("did not reach the noise target");
  if (r.accuracy && !r.accuracy->pass)
    text = (text.isEmpty() ? QString() : text + QStringLiteral("; ")) +
           QStringLiteral("output differs from the reference beyond tolerance %1").arg(r.accuracy->tolerance, 0, 'g', 3);
  return text;
}

ResultsModel::ResultsModel(QObject* parent) : QAbstractTableModel(parent) {}

int ResultsModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(rows_.size()); }
int ResultsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant ResultsModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
  switch (section) {
    case ColSource: return tr("Run");
    case ColBackend: return tr("Backend");
    case ColQLen: return tr("Nq");
    case ColKvLen: return tr("Nk");
    case ColHeadDim: return tr("d");
    case ColDType: return tr("dtype");
    case ColStatus: return tr("Status");
    case ColMedian: return tr("Median");
    case ColMin: return tr("Min");
    case ColP90: return tr("p90");
    case ColTflops: return tr("TFLOP/s");
    case ColPctPeak: return tr("% peak");
    case ColGbs: return tr("GB/s");
    case ColPeakMemory: return tr("Peak memory");
    case ColRelError: return tr("Rel. L2 error");
    case ColDevice: return tr("Device");
    case ColNote: return tr("Note");
    default: return {};
  }
}

QVariant ResultsModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const Row& row = rows_[std::size_t(index.row())];
  const Record& r = row.record;
  const bool ok = r.status == Status::Ok;
  const Problem& p = r.problem;
  if (role == BackendIdRole) return QString::fromStdString(r.backend);
  if (role == StatusRole) return int(r.status);
  if (role == Qt::ToolTipRole) {
    QString tip = QString::fromStdString(p.describe());
    if (const QString why = recordProblemText(r); !why.isEmpty()) tip += QStringLiteral("\n") + why;
    if (!r.variant.empty()) tip += QStringLiteral("\nran: ") + QString::fromStdString(r.variant);
    if (!r.kernels.empty()) {
      QStringList k;
      for (const std::string& name : r.kernels) k << QString::fromStdString(name);
      tip += QStringLiteral("\nkernels: ") + k.join(QStringLiteral(", "));
    }
    return tip;
  }
  if (role == Qt::DecorationRole && index.column() == ColBackend)
    return backendColor(QString::fromStdString(r.backend));
  if (role == Qt::ForegroundRole && index.column() == ColStatus && !ok)
    return QBrush(r.status == Status::Ineligible ? QColor(Qt::gray) : QColor(0xb0, 0x00, 0x20));
  if (role == Qt::TextAlignmentRole && index.column() >= ColQLen && index.column() <= ColRelError &&
      index.column() != ColDType && index.column() != ColStatus)
    return int(Qt::AlignRight | Qt::AlignVCenter);

  const bool sort = role == SortRole;
  if (role != Qt::DisplayRole && !sort) return {};
  const uint64_t peak = r.memory.peak.value_or(0);
  switch (index.column()) {
    case ColSource: return sources_.value(row.source);
    case ColBackend: return QString::fromStdString(r.backend);
    case ColQLen: return sort ? QVariant(qlonglong(p.q_len)) : QVariant(QString::number(p.q_len));
    case ColKvLen: return sort ? QVariant(qlonglong(p.kv_len)) : QVariant(QString::number(p.kv_len));
    case ColHeadDim: return sort ? QVariant(qlonglong(p.head_dim)) : QVariant(QString::number(p.head_dim));
    case ColDType: return QString::fromStdString(std::string(to_string(p.dtype)));
    case ColStatus: return sort ? QVariant(int(r.status)) : QVariant(statusText(r));
    case ColMedian:
      if (!ok) return sort ? QVariant(1e300) : QVariant();
      return sort ? QVariant(r.latency_us.median) : QVariant(formatMicros(r.latency_us.median));
    case ColMin:
      if (!ok) return sort ? QVariant(1e300) : QVariant();
      return sort ? QVariant(r.latency_us.min) : QVariant(formatMicros(r.latency_us.min));
    case ColP90:
      if (!ok) return sort ? QVariant(1e300) : QVariant();
      return sort ? QVariant(r.latency_us.p90) : QVariant(formatMicros(r.latency_us.p90));
    case ColTflops:
      if (!ok) return sort ? QVariant(-1.0) : QVariant();
      return sort ? QVariant(r.tflops) : QVariant(QString::number(r.tflops, 'g', 4));
    case ColPctPeak:
      if (!ok || r.pct_of_peak <= 0) return sort ? QVariant(-1.0) : QVariant();
      return sort ? QVariant(r.pct_of_peak) : QVariant(QStringLiteral("%1 %").arg(r.pct_of_peak, 0, 'f', 1));
    case ColGbs:  // Q, K, V read and O written once per second: decoding's figure of merit
      if (!ok || r.gbs <= 0) return sort ? QVariant(-1.0) : QVariant();
      if (sort) return r.gbs;
      return r.pct_of_bandwidth > 0
                 ? QStringLiteral("%1 (%2 %)").arg(r.gbs, 0, 'g', 4).arg(r.pct_of_bandwidth, 0, 'f', 0)
                 : QString::number(r.gbs, 'g', 4);
    case ColPeakMemory:
      if (!r.memory.peak) return sort ? QVariant(-1.0) : QVariant();
      return sort ? QVariant(double(peak)) : QVariant(QString::fromStdString(format_bytes(peak)));
    case ColRelError:
      if (!r.accuracy) return sort ? QVariant(-1.0) : QVariant();
      return sort ? QVariant(r.accuracy->rel_l2)
                  : QVariant(QStringLiteral("%1%2").arg(r.accuracy->rel_l2, 0, 'e', 2).arg(r.accuracy->pass ? "" : " ✘"));
    case ColDevice: return QString::fromStdString(r.device);  // which GPU measured it (a sharded run has several)
    case ColNote: return recordProblemText(r);
    default: return {};
  }
}

void ResultsModel::clear() {
  beginResetModel();
  rows_.clear();
  sources_.clear();
  endResetModel();
}

int ResultsModel::addSource(const QString& label) {
  sources_ << label;
  return int(sources_.size()) - 1;
}

void ResultsModel::removeSource(int source) {
  beginResetModel();
  std::erase_if(rows_, [&](const Row& r) { return r.source == source; });
  if (source >= 0 && source < sources_.size()) sources_[source] = QString();
  endResetModel();
}

void ResultsModel::appendRecord(int source, const Record& r) {
  beginInsertRows({}, rowCount(), rowCount());
  rows_.push_back({source, r});
  endInsertRows();
}

void ResultsModel::replaceRecord(int source, qsizetype index, const Record& r) {
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (rows_[i].source != source || index-- != 0) continue;
    rows_[i].record = r;
    emit dataChanged(this->index(int(i), 0), this->index(int(i), ColumnCount - 1));
    return;
  }
}

void ResultsModel::appendRecords(int source, const std::vector<Record>& records) {
  if (records.empty()) return;
  beginInsertRows({}, rowCount(), rowCount() + int(records.size()) - 1);
  for (const Record& r : records) rows_.push_back({source, r});
  endInsertRows();
}

}  // namespace attnscope::gui
