#include "ExportDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QLabel>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QDir>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "BackendColors.h"

namespace attnscope::gui {

ExportDialog::ExportDialog(const QString& suggestedPath, QSize windowSize, const PlotView::Choices& current,
                           std::vector<PlotSource> sources, QWidget* parent)
    : QDialog(parent),
      path_(new QLineEdit(suggestedPath)),
      kind_(new QComboBox),
      panels_(new QComboBox),
      x_(new QComboBox),
      baseline_(new QComboBox),
      filters_(new QWidget),
      filterForm_(new QFormLayout(filters_)),
      preset_(new QComboBox),
      widthIn100_(new QSpinBox),
      heightIn100_(new QSpinBox),
      fontPt_(new QSpinBox),
      dpi_(new QSpinBox),
      data_(new QCheckBox(tr("Also save what the chart shows as CSV (same name, .csv)"))),
      window_(windowSize),
      current_(current),
      sources_(std::move(sources)) {
  setWindowTitle(tr("Export chart"));
  for (const auto& [label, k] : PlotView::kindChoices()) kind_->addItem(label, int(k));
  for (const auto& [label, p] : PlotView::panelChoices()) panels_->addItem(label, int(p));
  kind_->setCurrentIndex(kind_->findData(int(current.kind)));
  panels_->setCurrentIndex(panels_->findData(int(current.panels)));
  path_->setObjectName(QStringLiteral("exportPath"));
  kind_->setObjectName(QStringLiteral("exportKind"));
  panels_->setObjectName(QStringLiteral("exportPanels"));
  x_->setObjectName(QStringLiteral("exportX"));
  baseline_->setObjectName(QStringLiteral("exportBaseline"));
  x_->setToolTip(tr("The field on the x axis (--x); every other field that varies is a panel or a filter"));
  baseline_->setToolTip(tr("The speed-up chart divides this backend's median latency by each backend's (--baseline)"));

  // The window's model names the x field, the baseline and every backend; the backends are listed from a
  // model that keeps every value of every field, so one the filters now leave out can still be ticked.
  PlotOptions o = current.options;
  o.singlePanel = current.kind == PlotView::Kind::Roofline;
  const PlotModel model = buildPlotModel(sources_, o);
  for (SweepAxis a : model.axisChoices()) x_->addItem(axisTitle(a), int(a));
  if (x_->count() == 0) x_->addItem(axisTitle(model.axis), int(model.axis));
  x_->setCurrentIndex(x_->findData(int(model.axis)));
  for (const QString& id : model.backends) baseline_->addItem(backendShortName(id), id);
  baseline_->setCurrentIndex(baseline_->findData(model.baseline));
  PlotOptions everything;
  everything.singlePanel = true;
  for (const PlotField& f : model.fields) everything.only[f.field] = f.values;
  auto* backends = new QWidget;
  auto* backendGrid = new QGridLayout(backends);
  backendGrid->setContentsMargins(0, 0, 0, 0);
  QStringList keys;
  for (const PlotSeries& s : buildPlotModel(sources_, everything).series) {
    if (keys.contains(s.key)) continue;
    keys << s.key;
    auto* box = new QCheckBox(s.name);
    box->setObjectName(QStringLiteral("exportShow:") + s.key);
    box->setProperty("key", s.key);
    box->setChecked(!current.hidden.contains(s.key));
    backendGrid->addWidget(box, int(shown_.size()) / 3, int(shown_.size()) % 3);
    shown_.push_back(box);
  }
  filterForm_->setContentsMargins(0, 0, 0, 0);
  rebuildFilters();
  connect(x_, &QComboBox::currentIndexChanged, this, &ExportDialog::rebuildFilters);
  auto followKind = [this] {
    const bool roofline = PlotView::Kind(kind_->currentData().toInt()) == PlotView::Kind::Roofline;
    panels_->setEnabled(!roofline);  // a roofline is TFLOP/s against FLOP per byte, whatever the metric
    x_->setEnabled(!roofline);
    baseline_->setEnabled(!roofline && PlotView::Panels(panels_->currentData().toInt()) == PlotView::Panels::Speedup);
  };
  connect(kind_, &QComboBox::currentIndexChanged, this, followKind);
  connect(panels_, &QComboBox::currentIndexChanged, this, followKind);
  followKind();

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
  form->addRow(tr("x axis"), x_);
  form->addRow(tr("Baseline"), baseline_);
  auto* show = new QGroupBox(tr("Show (two or more values of a field make panels)"));
  auto* showLayout = new QVBoxLayout(show);
  showLayout->addWidget(filters_);
  if (!shown_.empty()) showLayout->addWidget(new QLabel(tr("Backends:")));
  showLayout->addWidget(backends);
  form->addRow(show);
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

// One row per field the user may narrow (not the ones that follow from another), a box per value, ticked
// as the chart shows them; changing the x field keeps the ticks made so far.
void ExportDialog::rebuildFilters() {
  PlotOptions o = chosenOptions();
  o.singlePanel = current_.kind == PlotView::Kind::Roofline;
  const PlotModel model = buildPlotModel(sources_, o);
  while (filterForm_->rowCount() > 0) filterForm_->removeRow(0);
  only_.clear();
  for (const PlotField& f : model.fields) {
    if (f.derived) continue;
    auto* row = new QWidget;
    auto* boxes = new QHBoxLayout(row);
    boxes->setContentsMargins(0, 0, 0, 0);
    std::vector<QCheckBox*>& group = only_[f.field];
    for (const QString& v : f.values) {
      auto* box = new QCheckBox(v);
      box->setObjectName(QStringLiteral("exportOnly:%1=%2").arg(fieldKey(f.field), v));
      box->setChecked(f.selected.contains(v));
      boxes->addWidget(box);
      group.push_back(box);
      connect(box, &QCheckBox::toggled, this, [&group, box](bool on) {
        // At least one value of a field stays shown (as in the window's Filter menu).
        if (!on && std::none_of(group.begin(), group.end(), [](QCheckBox* b) { return b->isChecked(); })) box->setChecked(true);
      });
    }
    boxes->addStretch(1);
    filterForm_->addRow(axisTitle(f.field), row);
  }
}

PlotOptions ExportDialog::chosenOptions() const {
  PlotOptions o = current_.options;
  o.x = SweepAxis(x_->currentData().toInt());
  if (baseline_->count() > 0) o.baseline = baseline_->currentData().toString();
  for (const auto& [field, group] : only_) {
    QStringList values;
    for (const QCheckBox* box : group)
      if (box->isChecked()) values << box->text();
    o.only[field] = values;
  }
  return o;
}

PlotView::Choices ExportDialog::choices() const {
  PlotView::Choices c{PlotView::Kind(kind_->currentData().toInt()), PlotView::Panels(panels_->currentData().toInt()),
                      chosenOptions(), current_.hidden};
  for (const QCheckBox* box : shown_) {
    const QString key = box->property("key").toString();
    if (box->isChecked()) c.hidden.remove(key);
    else c.hidden.insert(key);
  }
  return c;
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

ExportSpec ExportDialog::spec() const {
  return ExportSpec{QSizeF(widthIn100_->value() * 0.72, heightIn100_->value() * 0.72), double(dpi_->value()), fontPt_->value()};
}

QString ExportDialog::dataPath() const {
  if (!data_->isChecked()) return {};
  const QFileInfo f(path());
  return f.dir().filePath(f.completeBaseName() + QStringLiteral(".csv"));
}

}  // namespace attnscope::gui
