#include "ExportDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QDir>
#include <cmath>

namespace attnscope::gui {

ExportDialog::ExportDialog(const QString& suggestedPath, QSize windowSize, PlotView::Kind kind, PlotView::Panels panels,
                           QWidget* parent)
    : QDialog(parent),
      path_(new QLineEdit(suggestedPath)),
      kind_(new QComboBox),
      panels_(new QComboBox),
      preset_(new QComboBox),
      widthIn100_(new QSpinBox),
      heightIn100_(new QSpinBox),
      fontPt_(new QSpinBox),
      dpi_(new QSpinBox),
      data_(new QCheckBox(tr("Also save what the chart shows as CSV (same name, .csv)"))),
      window_(windowSize) {
  setWindowTitle(tr("Export chart"));
  for (const auto& [label, k] : PlotView::kindChoices()) kind_->addItem(label, int(k));
  for (const auto& [label, p] : PlotView::panelChoices()) panels_->addItem(label, int(p));
  kind_->setCurrentIndex(kind_->findData(int(kind)));
  panels_->setCurrentIndex(panels_->findData(int(panels)));
  kind_->setObjectName(QStringLiteral("exportKind"));
  panels_->setObjectName(QStringLiteral("exportPanels"));
  preset_->addItem(tr("Double column (7 in)"), QStringLiteral("double"));
  preset_->addItem(tr("Single column (3.5 in)"), QStringLiteral("single"));
  preset_->addItem(tr("Slide 16:9 (13.3 in)"), QStringLiteral("slide"));
  preset_->addItem(tr("As the window (96 px per inch)"), QString());
  for (QSpinBox* box : {widthIn100_, heightIn100_}) {
    box->setRange(100, 4000);
    box->setSuffix(tr(" /100 in"));
  }
  fontPt_->setRange(5, 48);
  fontPt_->setSuffix(tr(" pt"));
  fontPt_->setToolTip(tr("Text size on paper at this width; 7 pt is the usual minimum for print"));
  dpi_->setRange(72, 1200);
  dpi_->setSuffix(tr(" dpi (PNG)"));
  auto* browse = new QPushButton(tr("Browse…"));
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString p = QFileDialog::getSaveFileName(this, tr("Export chart"), path_->text(),
                                                   tr("PDF (*.pdf);;PNG image (*.png);;SVG (*.svg)"));
    if (!p.isEmpty()) path_->setText(p);
  });
  auto* file = new QHBoxLayout;
  file->addWidget(path_, 1);
  file->addWidget(browse);
  auto* size = new QHBoxLayout;
  size->addWidget(widthIn100_);
  size->addWidget(heightIn100_);
  auto* form = new QFormLayout;
  form->addRow(tr("File (.pdf .png .svg)"), file);
  form->addRow(tr("Chart"), kind_);
  form->addRow(tr("Metric"), panels_);
  form->addRow(tr("Size"), preset_);
  form->addRow(tr("Width × height"), size);
  form->addRow(tr("Text"), fontPt_);
  form->addRow(tr("Resolution"), dpi_);
  form->addRow(QString(), data_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  form->addRow(buttons);
  setLayout(form);
  preset_->setObjectName(QStringLiteral("exportPreset"));
  widthIn100_->setObjectName(QStringLiteral("exportWidth"));
  heightIn100_->setObjectName(QStringLiteral("exportHeight"));
  fontPt_->setObjectName(QStringLiteral("exportFontPt"));
  dpi_->setObjectName(QStringLiteral("exportDpi"));
  data_->setObjectName(QStringLiteral("exportData"));
  connect(preset_, &QComboBox::currentIndexChanged, this, &ExportDialog::applyPreset);
  // The last export's choices: its preset, then the sizes and text as they were edited after it.
  QSettings s;
  s.beginGroup(QStringLiteral("export"));
  if (const int i = preset_->findData(s.value(QStringLiteral("preset"), QStringLiteral("double")).toString()); i >= 0)
    preset_->setCurrentIndex(i);
  applyPreset();
  for (auto [box, key] : {std::pair{widthIn100_, "widthIn100"}, {heightIn100_, "heightIn100"}, {fontPt_, "fontPt"}, {dpi_, "dpi"}})
    if (s.contains(QLatin1String(key))) box->setValue(s.value(QLatin1String(key)).toInt());
  data_->setChecked(s.value(QStringLiteral("data"), false).toBool());
  s.endGroup();
}

void ExportDialog::accept() {
  QSettings s;
  s.beginGroup(QStringLiteral("export"));
  s.setValue(QStringLiteral("preset"), preset_->currentData().toString());
  s.setValue(QStringLiteral("widthIn100"), widthIn100_->value());
  s.setValue(QStringLiteral("heightIn100"), heightIn100_->value());
  s.setValue(QStringLiteral("fontPt"), fontPt_->value());
  s.setValue(QStringLiteral("dpi"), dpi_->value());
  s.setValue(QStringLiteral("data"), data_->isChecked());
  s.endGroup();
  QDialog::accept();
}

void ExportDialog::applyPreset() {
  const auto preset = ExportSpec::preset(preset_->currentData().toString());
  const ExportSpec s = preset ? *preset : ExportSpec{QSizeF(window_) * 0.75, 96, 9};  // 96 px/in = 0.75 pt per px
  widthIn100_->setValue(int(std::lround(s.sizePt.width() / 0.72)));
  heightIn100_->setValue(int(std::lround(s.sizePt.height() / 0.72)));
  fontPt_->setValue(s.fontPt);
  dpi_->setValue(int(s.dpi));
}

QString ExportDialog::path() const { return path_->text(); }
PlotView::Kind ExportDialog::kind() const { return PlotView::Kind(kind_->currentData().toInt()); }
PlotView::Panels ExportDialog::panels() const { return PlotView::Panels(panels_->currentData().toInt()); }

ExportSpec ExportDialog::spec() const {
  return ExportSpec{QSizeF(widthIn100_->value() * 0.72, heightIn100_->value() * 0.72), double(dpi_->value()), fontPt_->value()};
}

QString ExportDialog::dataPath() const {
  if (!data_->isChecked()) return {};
  const QFileInfo f(path());
  return f.dir().filePath(f.completeBaseName() + QStringLiteral(".csv"));
}

}  // namespace attnscope::gui
