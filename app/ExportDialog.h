#pragma once
// "Export chart…": the same choices as the command line (`attnscope FILES --export …`), starting as the
// window shows them: chart kind (--kind), metric (--panels), x field (--x), speed-up baseline
// (--baseline), the values each field shows (--only: head dim, dtype, causal, …), which backends are
// drawn (--hide), a figure size (single column, double column, 16:9 slide, or the window's: --size,
// --width/--height), text size (--font-pt), PNG resolution (--dpi), and the chart's data beside it
// (--chart-data, .csv). The window then shows what was exported. The size, text, resolution and data
// choices are remembered (QSettings "export/"); the chart choices are the window's, which it keeps.
#include <QDialog>
#include <map>

#include "PlotView.h"

class QCheckBox;
class QComboBox;
class QFormLayout;
class QLineEdit;
class QSpinBox;
class QWidget;

namespace attnscope::gui {

class ExportDialog : public QDialog {
  Q_OBJECT
 public:
  ExportDialog(const QString& suggestedPath, QSize windowSize, const PlotView::Choices& current = {},
               std::vector<PlotSource> sources = {}, QWidget* parent = nullptr);
  PlotView::Choices choices() const;  // what the export (and then the window) shows
  QString path() const;
  ExportSpec spec() const;
  QString dataPath() const;  // "" unless the data is wanted
  void accept() override;    // remembers the size, text, resolution and data choices

 private:
  void applyPreset();
  void rebuildFilters();  // the x field decides which fields are filters (the others follow from it)
  PlotOptions chosenOptions() const;
  QLineEdit* path_;
  QComboBox* kind_;
  QComboBox* panels_;
  QComboBox* x_;
  QComboBox* baseline_;
  QWidget* filters_;
  QFormLayout* filterForm_;
  QComboBox* preset_;
  QSpinBox* widthIn100_;
  QSpinBox* heightIn100_;
  QSpinBox* fontPt_;
  QSpinBox* dpi_;
  QCheckBox* data_;
  QSize window_;
  PlotView::Choices current_;
  std::vector<PlotSource> sources_;
  std::map<SweepAxis, std::vector<QCheckBox*>> only_;  // field → one box per value
  std::vector<QCheckBox*> shown_;                      // one box per series key (property "key")
};

}  // namespace attnscope::gui
