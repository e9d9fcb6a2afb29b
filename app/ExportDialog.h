#pragma once
// "Export chart…": the file, a figure size (single column, double column, 16:9 slide, or the window's),
// the text size in points, PNG resolution, and whether to write the chart's data (.csv) beside it.
// What is drawn — kind, metric, x field, filters, hidden series — is the chart as the window shows it,
// the same choices the command line's --kind/--panels/--x/--only/--hide make. The size, text, resolution
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
  ExportDialog(const QString& suggestedPath, QSize windowSize, QWidget* parent = nullptr);
  QString path() const;
  ExportSpec spec() const;
  QString dataPath() const;  // "" unless the data is wanted
  void accept() override;    // remembers the choices

 private:
  void applyPreset();
  QLineEdit* path_;
  QComboBox* preset_;
  QSpinBox* widthIn100_;
  QSpinBox* heightIn100_;
  QSpinBox* fontPt_;
  QSpinBox* dpi_;
  QCheckBox* data_;
  QSize window_;
};

}  // namespace attnscope::gui
