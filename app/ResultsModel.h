#pragma once
// The results table: one row per point × backend of every result set shown (the run or file, and an
// overlay). Rows arrive one by one while a sweep streams. SortRole gives numbers for a proxy to sort by.
#include <QAbstractTableModel>
#include <QStringList>
#include <vector>

#include "attnscope/record.hpp"

namespace attnscope::gui {

class ResultsModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column {
    ColSource, ColBackend, ColQLen, ColKvLen, ColHeadDim, ColDType, ColStatus, ColMedian, ColMin, ColP90,
    ColTflops, ColPctPeak, ColGbs, ColPeakMemory, ColRelError, ColDevice, ColNote, ColumnCount
  };
  enum Role { SortRole = Qt::UserRole + 1, StatusRole, BackendIdRole };

  explicit ResultsModel(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

  void clear();
  int addSource(const QString& label);  // returns the source index
  void removeSource(int source);        // drops its rows; later sources keep their indices
  void appendRecord(int source, const Record& r);
  void appendRecords(int source, const std::vector<Record>& records);
  // The index-th record of a source becomes r (a run's provisional error replaced by its real record).
  void replaceRecord(int source, qsizetype index, const Record& r);
  const Record& record(int row) const { return rows_[std::size_t(row)].record; }
  int sourceOf(int row) const { return rows_[std::size_t(row)].source; }

 private:
  struct Row {
    int source;
    Record record;
  };
  QStringList sources_;
  std::vector<Row> rows_;
};

// "812 µs", "12.3 ms", "1.20 s"
QString formatMicros(double us);
// "ok", "out of memory", ... with the reason for the non-ok ones in the tooltip.
QString statusText(const Record& r);
QString recordProblemText(const Record& r);  // why a row is not ok, or the run's notes

}  // namespace attnscope::gui
