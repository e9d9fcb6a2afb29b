#pragma once
// "Export chart…": the file, the chart kind and metric (--kind/--panels: they start as the window shows
// them and the window follows what is exported), a figure size (single column, double column, 16:9 slide,
// or the window's), the text size in points, PNG resolution, and whether to write the chart's data (.csv)
// beside it. The x field, filters and hidden series are the window's, as --x/--only/--hide set them. The size, text, resolution
// and data choices are remembered (QSettings "export/") for the next export, also after a restart.
#include <QDialog>

#include "PlotView.h"

class QComboBox;
class QLineEdit;
class QSpinBox;
class QCheckBox;

namespace attnscope::gui {

class ExportDialog : public QDialog {
  Q_OBJECT
 public:
  ExportDialog(const QString& suggestedPath, QSize windowSize, PlotView::Kind kind = PlotView::Kind::Lines,
               PlotView::Panels panels = PlotView::Panels::All, QWidget* parent = nullptr);
  PlotView::Kind kind() const;
  PlotView::Panels panels() const;
  QString path() const;
  ExportSpec spec() const;
  QString dataPath() const;  // "" unless the data is wanted
  void accept() override;    // remembers the choices

 private:
  void applyPreset();
  QLineEdit* path_;
  QComboBox* kind_;
  QComboBox* panels_;
  QComboBox* preset_;
  QSpinBox* widthIn100_;
  QSpinBox* heightIn100_;
  QSpinBox* fontPt_;
  QSpinBox* dpi_;
  QCheckBox* data_;
  QSize window_;
};

}  // namespace attnscope::gui
