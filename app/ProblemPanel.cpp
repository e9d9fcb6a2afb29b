#include "ProblemPanel.h"

#include <algorithm>

#include <QCheckBox>
#include <QComboBox>
#include <QRegularExpression>
#include <QSignalBlocker>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QVBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QStyle>

#include "WorkerLocator.h"
#include "attnscope/rules.hpp"

namespace attnscope::gui {
namespace {

struct Preset {
  const char* name;
  const char* qLen;
  const char* kvLen;
  const char* headDim;
  const char* dtypes;  // comma list; empty keeps the current dtypes
};

// Shapes people actually run. The CPU one is small enough for the reference backends; the GPU ones are
// bf16, which every GPU backend (flash2, split-kv-decode included) accepts.
const Preset kPresets[] = {
    {QT_TRANSLATE_NOOP("ProblemPanel", "Presets…"), nullptr, nullptr, nullptr, nullptr},
    {QT_TRANSLATE_NOOP("ProblemPanel", "CPU: N 128…1024"), "128:1024:x2", "", "64", ""},
    {QT_TRANSLATE_NOOP("ProblemPanel", "Prefill: N 512…16k, bf16"), "512:16384:x2", "", "128", "bfloat16"},
    {QT_TRANSLATE_NOOP("ProblemPanel", "Decode: q=1, kv 1k…128k, bf16"), "1", "1024:131072:x2", "128", "bfloat16"},
    {QT_TRANSLATE_NOOP("ProblemPanel", "Head dims 32…256 at N=4096"), "4096", "", "32,64,96,128,256", ""},
    {QT_TRANSLATE_NOOP("ProblemPanel", "Dtypes fp32/fp16/bf16 at N=2048"), "2048", "", "64", "float32,float16,bfloat16"},
};

const char* const kDtypeNames[] = {"float32", "float16", "bfloat16"};

QSpinBox* spin(int max, QWidget* parent, int min = 1) {
  auto* s = new QSpinBox(parent);
  s->setRange(min, max);
  s->setAccelerated(true);
  return s;
}

}  // namespace

ProblemPanel::ProblemPanel(QWidget* parent)
    : QWidget(parent), batch_(spin(int(ProblemLimits::max_batch), this)), qHeads_(spin(int(ProblemLimits::max_heads), this)),
      kvHeads_(spin(int(ProblemLimits::max_heads), this)),
      tokens_(spin(int(ProblemLimits::max_len), this, 0)), hidden_(spin(int(ProblemLimits::max_heads * ProblemLimits::max_head_dim), this, 0)),
      qLen_(new QLineEdit(this)), kvLen_(new QLineEdit(this)),
      headDim_(new QLineEdit(this)), dtypeBox_(new QWidget(this)), causal_(new QCheckBox(tr("causal (bottom-right)"), this)),
      quick_(new QCheckBox(tr("quick look (2 samples, ≤ 1 s per point)"), this)),
      sustained_(new QCheckBox(tr("sustained, to publish (≥ 0.5 s of kernels per point)"), this)),
      eachPlan_(new QCheckBox(tr("each plan (cuDNN engine, flash3 rung) as its own series"), this)),
      scale_(new QLineEdit(this)), device_(new QComboBox(this)), presets_(new QComboBox(this)), issues_(new QLabel(this)),
      deviceNote_(new QLabel(this)), sourceNote_(new QLabel(this)) {
  qLen_->setPlaceholderText(tr("e.g. 4096 or 512:16384:x2"));
  kvLen_->setPlaceholderText(tr("same as query length"));
  headDim_->setPlaceholderText(tr("e.g. 64 or 64,128"));
  scale_->setPlaceholderText(tr("1/sqrt(head dim)"));
  const QString sweepHelp = tr("A value (4096), a list (1024,4096), a geometric range start:stop:xFACTOR "
                               "(512:16384:x2) or an arithmetic range start:stop:+STEP (128:1024:+128).");
  qLen_->setToolTip(sweepHelp);
  kvLen_->setToolTip(sweepHelp + tr(" Empty: each point uses its query length (self-attention)."));
  headDim_->setToolTip(sweepHelp);
  // 0 is "off": the benchmark grid's constant work per point, as attnscope-cli --tokens / --hidden.
  tokens_->setSpecialValueText(tr("off"));
  hidden_->setSpecialValueText(tr("off"));
  tokens_->setToolTip(tr("Query tokens per point (attnscope-cli --tokens): the batch at each point is tokens / query "
                         "length, so every point does the same work. Off: the batch field."));
  hidden_->setToolTip(tr("Model width (attnscope-cli --hidden): the query heads at each point are width / head dim; "
                         "KV heads keep the ratio of the two heads fields. Off: the heads fields."));
  kvHeads_->setToolTip(tr("Key/value heads. Fewer than query heads is grouped-query attention (GQA); "
                          "it must divide the number of query heads."));

  auto* dtypeLayout = new QHBoxLayout(dtypeBox_);
  dtypeLayout->setContentsMargins(0, 0, 0, 0);
  for (const char* name : kDtypeNames) {
    auto* box = new QCheckBox(QString::fromLatin1(name), dtypeBox_);
    dtypes_.insert(QString::fromLatin1(name), box);
    dtypeLayout->addWidget(box);
    connect(box, &QCheckBox::toggled, this, &ProblemPanel::onEdited);
  }
  for (const Preset& p : kPresets) presets_->addItem(tr(p.name));

  issues_->setWordWrap(true);
  issues_->setTextFormat(Qt::PlainText);
  deviceNote_->setTextFormat(Qt::PlainText);  // device names come from the worker
  issues_->setObjectName(QStringLiteral("problemIssues"));
  issues_->setStyleSheet(QStringLiteral("color:#b00020"));
  deviceNote_->setWordWrap(false);  // a wrapped label in a form row gets clipped; the reason is in its tooltip
  deviceNote_->setObjectName(QStringLiteral("deviceNote"));
  sourceNote_->setObjectName(QStringLiteral("sourceNote"));
  sourceNote_->setWordWrap(true);
  sourceNote_->setTextFormat(Qt::PlainText);  // file names
  sourceNote_->setVisible(false);
  // Wrapped lines take the column's width; they must not widen it (the dock, and narrow the chart).
  for (QLabel* l : {sourceNote_, issues_}) l->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  presets_->setObjectName(QStringLiteral("problemPresets"));
  device_->setObjectName(QStringLiteral("problemDevice"));
  // Long entries (a file's device that is not here, "host: GPU") must not widen the dock and narrow the
  // chart: the list shows them whole, the field cuts them.
  device_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  device_->setMinimumContentsLength(24);
  quick_->setObjectName(QStringLiteral("quickLook"));
  sustained_->setObjectName(QStringLiteral("sustainedRule"));

  // The presets and the note on where the values came from above the form: a word-wrapped row of a
  // QFormLayout gets too little height and is cut.
  auto* column = new QVBoxLayout(this);
  column->addWidget(presets_);
  column->addWidget(sourceNote_);
  auto* form = new QFormLayout;
  column->addLayout(form);
  form->addRow(tr("Device"), device_);
  form->addRow(deviceNote_);
  form->addRow(tr("Batch"), batch_);
  form->addRow(tr("Tokens (B·N)"), tokens_);
  form->addRow(tr("Query heads"), qHeads_);
  form->addRow(tr("Width (H·d)"), hidden_);
  form->addRow(tr("KV heads"), kvHeads_);
  form->addRow(tr("Query length"), qLen_);
  form->addRow(tr("Key length"), kvLen_);
  form->addRow(tr("Head dim"), headDim_);
  form->addRow(tr("Dtypes"), dtypeBox_);
  form->addRow(QString(), causal_);
  form->addRow(tr("Scale"), scale_);
  form->addRow(QString(), quick_);
  form->addRow(QString(), sustained_);
  sustained_->setToolTip(tr("On a GPU the app stops a point once its median is known to ±1 % (≤ 1 s): a burst. "
                            "Checked, it measures as attnscope-cli run does — at least 0.5 s of kernels a point — "
                            "a sustained load, which on long kernels lowers the SM clock a few percent. Papers' "
                            "numbers are sustained; the sweep takes several times longer."));
  // Two different promises about the numbers: one at a time.
  connect(quick_, &QCheckBox::toggled, this, [this](bool on) { if (on) sustained_->setChecked(false); });
  connect(sustained_, &QCheckBox::toggled, this, [this](bool on) { if (on) quick_->setChecked(false); });
  form->addRow(QString(), eachPlan_);
  eachPlan_->setToolTip(tr("cuDNN often has several engines (plans) for one problem. Besides its heuristic choice "
                           "(the cudnn series), measure every plan it offers as cudnn[plan]; flash3's ladder rungs and "
                           "alternative tiles likewise, as flash3[serial], flash3[tile-128x192x2], …"));
  column->addWidget(issues_);  // below the form, wrapped: see the note above

  for (QSpinBox* s : {batch_, qHeads_, kvHeads_, tokens_, hidden_}) connect(s, &QSpinBox::valueChanged, this, &ProblemPanel::onEdited);
  for (QLineEdit* e : {qLen_, kvLen_, headDim_, scale_}) connect(e, &QLineEdit::textChanged, this, &ProblemPanel::onEdited);
  for (QCheckBox* c : {causal_, quick_, sustained_, eachPlan_}) connect(c, &QCheckBox::toggled, this, &ProblemPanel::onEdited);
  connect(device_, &QComboBox::currentIndexChanged, this, [this] {
    if (!loading_ && device_->currentData().toString() == kRemoteSetupEntry) {
      // Not a device: go back to the one before and ask for the remote host's command.
      const QSignalBlocker block(device_);
      device_->setCurrentIndex(std::max(0, device_->findData(lastDevice_)));
      emit remoteHostRequested();
      return;
    }
    lastDevice_ = device_->currentData().toString();
    if (!loading_) {
      wantedDevice_ = device_->currentData().toString();
      followFile_ = false;  // the user's choice from now on
    }
    onEdited();
  });
  connect(presets_, &QComboBox::activated, this, &ProblemPanel::applyPreset);

  DeviceList fallback;  // until the worker answers: the CPU, which every build can run
  DeviceInfo cpu;
  cpu.id = "cpu";
  cpu.name = "CPU";
  fallback.devices.push_back(cpu);
  setDevices(fallback);
  setSpec(ProblemSpec{});
}

ProblemSpec ProblemPanel::spec() const {
  ProblemSpec s;
  s.batch = batch_->value();
  s.qHeads = qHeads_->value();
  s.kvHeads = kvHeads_->value();
  s.tokens = tokens_->value();
  s.hidden = hidden_->value();
  s.qLen = qLen_->text();
  s.kvLen = kvLen_->text();
  s.headDim = headDim_->text();
  s.dtypes.clear();
  for (const char* name : kDtypeNames)
    if (dtypes_.value(QString::fromLatin1(name))->isChecked()) s.dtypes << QString::fromLatin1(name);
  s.causal = causal_->isChecked();
  s.scale = scale_->text();
  s.device = device_->currentData().toString();
  s.quick = quick_->isChecked();
  s.sustained = sustained_->isChecked();
  s.eachPlan = eachPlan_->isChecked();
  return s;
}

void ProblemPanel::setSpec(const ProblemSpec& s) {
  loading_ = true;
  batch_->setValue(s.batch);
  qHeads_->setValue(s.qHeads);
  kvHeads_->setValue(s.kvHeads);
  tokens_->setValue(s.tokens);
  hidden_->setValue(s.hidden);
  qLen_->setText(s.qLen);
  kvLen_->setText(s.kvLen);
  headDim_->setText(s.headDim);
  for (auto it = dtypes_.begin(); it != dtypes_.end(); ++it) it.value()->setChecked(s.dtypes.contains(it.key()));
  causal_->setChecked(s.causal);
  quick_->setChecked(s.quick);
  sustained_->setChecked(s.sustained);
  eachPlan_->setChecked(s.eachPlan);
  scale_->setText(s.scale);
  // A saved device (a what-if profile, cuda:0) is restored before the worker has listed the devices:
  // remember it, so the list that arrives selects it.
  wantedDevice_ = s.device;
  if (const int i = device_->findData(s.device); i >= 0) device_->setCurrentIndex(i);
  loading_ = false;
  onEdited();
}

void ProblemPanel::setDevices(const DeviceList& devices) {
  devices_ = devices;
  fillDevices();
}

void ProblemPanel::setRemoteDevices(const QString& host, const DeviceList& devices) {
  remoteHost_ = host;
  remoteDevices_ = host.isEmpty() ? DeviceList{} : devices;
  fillDevices();
}

namespace {
int gpuCount(const DeviceList& list) {
  return int(std::count_if(list.devices.begin(), list.devices.end(), [](const DeviceInfo& d) { return d.kind == DeviceKind::Cuda; }));
}

// The same device: the CPU is the CPU; a GPU is the same model (its index may differ on this machine).
bool sameDevice(const DeviceInfo& a, const DeviceInfo& b) {
  return a.kind == b.kind && (a.kind == DeviceKind::Cpu || (a.kind == DeviceKind::Cuda && a.name == b.name));
}

// For each of a file's devices, the device of a host that stands in for it (null: none there): the same id
// first, then any other of the same model. A GPU stands in for one of them only (a sharded run had one
// worker per GPU); the CPU for all ("cpu,cpu" shards over one CPU).
std::vector<const DeviceInfo*> matchDevices(const std::vector<DeviceInfo>& file, const DeviceList& host) {
  std::vector<const DeviceInfo*> out(file.size(), nullptr);
  auto taken = [&](const DeviceInfo& d) {
    return d.kind != DeviceKind::Cpu && std::find(out.begin(), out.end(), &d) != out.end();
  };
  for (const bool sameIdOnly : {true, false})
    for (std::size_t i = 0; i < file.size(); ++i)
      for (const DeviceInfo& d : host.devices)
        if (!out[i] && !taken(d) && sameDevice(d, file[i]) && (!sameIdOnly || d.id == file[i].id)) out[i] = &d;
  return out;
}

QString idAndName(const DeviceInfo& d) {
  return QStringLiteral("%1 (%2)").arg(QString::fromStdString(d.id), QString::fromStdString(d.name));
}
}  // namespace

void ProblemPanel::fillDevices() {
  const QString keep = device_->currentData().toString();
  loading_ = true;
  device_->clear();
  auto add = [this](const QString& label, const QString& address, const QString& tip) {
    device_->addItem(label, address);
    device_->setItemData(device_->count() - 1, tip, Qt::ToolTipRole);
  };
  // Local devices, then "all GPUs" when there are several, then the remote host's, then "Remote host…".
  auto addList = [&](const DeviceList& list, const QString& prefix, const QString& host) {
    for (const DeviceInfo& d : list.devices) {
      if (!prefix.isEmpty() && d.kind == DeviceKind::Profile) continue;  // the local list has the profiles
      QString label = QString::fromStdString(d.name.empty() ? d.id : d.name);
      if (d.kind == DeviceKind::Profile) {
        if (!label.startsWith(QStringLiteral("What-if"))) label = tr("What-if: %1").arg(label);  // the profile's name says it already
      } else if (d.memory_total) label += QStringLiteral(" (%1)").arg(QString::fromStdString(format_bytes(d.memory_total)));
      if (!host.isEmpty()) label = QStringLiteral("%1: %2").arg(host, label);
      add(label, prefix + QString::fromStdString(d.id), QString::fromStdString(d.id));
    }
    if (const int n = gpuCount(list); n >= 2)
      add(host.isEmpty() ? tr("All %1 GPUs (one worker each)").arg(n) : tr("%1: all %2 GPUs (one worker each)").arg(host).arg(n),
          prefix + QStringLiteral("all"), tr("The sweep is shared out over every GPU, one worker process per GPU; each record names its GPU"));
  };
  addList(devices_, QString(), QString());
  if (!remoteHost_.isEmpty()) addList(remoteDevices_, kRemoteDevicePrefix, remoteHost_);
  const QString fileAddress = addressOfFileDevices();
  if (deviceIdOf(fileAddress).contains(QLatin1Char(','))) {
    // Some of the GPUs here (or there) are the sharded run's: an entry for just those, as it ran.
    const QStringList ids = deviceIdOf(fileAddress).split(QLatin1Char(','));
    QString label = tr("%1's %2 GPUs: %3 (one worker each)").arg(fileLabel_).arg(ids.size()).arg(ids.join(QStringLiteral(", ")));
    if (isRemoteDevice(fileAddress)) label = QStringLiteral("%1: %2").arg(remoteHost_, label);
    add(label, fileAddress, tr("The sweep is shared out over these GPUs, one worker process per GPU, as the file's run was"));
  }
  // A file's device this machine does not have: listed first, so the form says what ran the file.
  if (!fileDevices_.empty() && fileAddress.isEmpty()) {
    const DeviceInfo& first = fileDevices_.front();
    QString label = tr("%1 — %2's device, not on this machine").arg(QString::fromStdString(first.name), fileLabel_);
    QString tip = tr("The file was measured on %1 (%2); this machine (and the remote host) has no such device.")
                      .arg(QString::fromStdString(first.name), QString::fromStdString(first.id));
    if (fileDevices_.size() > 1) {
      QStringList models;
      for (const DeviceInfo& d : fileDevices_)
        if (!models.contains(QString::fromStdString(d.name))) models << QString::fromStdString(d.name);
      const auto here = matchDevices(fileDevices_, devices_);
      const auto missing = std::count(here.begin(), here.end(), nullptr);
      label = missing == qsizetype(here.size())
                  ? tr("%1× %2 — %3's devices, not on this machine").arg(fileDevices_.size()).arg(models.join(QStringLiteral(" + ")), fileLabel_)
                  : tr("%1× %2 — %3's devices, %4 of them not on this machine")
                        .arg(fileDevices_.size()).arg(models.join(QStringLiteral(" + ")), fileLabel_).arg(missing);
      tip = fileDevicesWhere();
    }
    device_->insertItem(0, label, kFileDeviceEntry);
    device_->setItemData(0, tip, Qt::ToolTipRole);
    device_->setItemData(0, QColor(0xb0, 0x00, 0x20), Qt::ForegroundRole);
  }
  if (followFile_) wantedDevice_ = fileAddress.isEmpty() && !fileDevices_.empty() ? kFileDeviceEntry : fileAddress;
  add(tr("Remote host…"), kRemoteSetupEntry,
      tr("Run attnscope-cli on another machine over SSH (e.g. ssh user@gpu-box attnscope-cli)"));
  // The device chosen or restored wins once a list holds it (a remote one arrives later than the local list).
  int keepIndex = device_->findData(wantedDevice_);
  if (keepIndex < 0 || wantedDevice_ == kRemoteSetupEntry) keepIndex = device_->findData(keep);
  device_->setCurrentIndex(keepIndex >= 0 && keep != kRemoteSetupEntry ? keepIndex : 0);
  lastDevice_ = device_->currentData().toString();
  loading_ = false;
  onEdited();
}

DeviceInfo ProblemPanel::currentDevice() const {
  const QString address = device_->currentData().toString();
  if (address == kFileDeviceEntry) return fileDevices_.front();
  const DeviceList& list = isRemoteDevice(address) ? remoteDevices_ : devices_;
  // A sharded sweep ("all", "cuda:0,cuda:2") is judged on its first GPU.
  const std::string id = deviceIdOf(address).section(QLatin1Char(','), 0, 0).toStdString();
  for (const DeviceInfo& d : list.devices)
    if (d.id == id || (id == "all" && d.kind == DeviceKind::Cuda)) return d;
  return {};
}

QString ProblemPanel::addressOfFileDevices() const {
  // Every one of the file's devices on one host: a sharded run ran on one machine.
  auto addressOn = [&](const DeviceList& host, const QString& prefix) -> QString {
    const std::vector<const DeviceInfo*> match = matchDevices(fileDevices_, host);
    if (match.empty() || std::find(match.begin(), match.end(), nullptr) != match.end()) return {};
    if (match.size() == 1) return prefix + QString::fromStdString(match.front()->id);
    const bool everyGpu = match.front()->kind == DeviceKind::Cuda && int(match.size()) == gpuCount(host);
    if (everyGpu) return prefix + QStringLiteral("all");
    QStringList ids;
    for (const DeviceInfo* d : match) ids << QString::fromStdString(d->id);
    return prefix + ids.join(QLatin1Char(','));
  };
  if (const QString local = addressOn(devices_, QString()); !local.isEmpty()) return local;
  return remoteHost_.isEmpty() ? QString() : addressOn(remoteDevices_, kRemoteDevicePrefix);
}

QString ProblemPanel::fileDevicesWhere() const {
  // Said of the host that has more of them (the remote host's GPUs are the point of having one).
  auto here = matchDevices(fileDevices_, devices_);
  QString host = tr("here");
  if (!remoteHost_.isEmpty()) {
    const auto there = matchDevices(fileDevices_, remoteDevices_);
    if (std::count(there.begin(), there.end(), nullptr) < std::count(here.begin(), here.end(), nullptr)) {
      here = there;
      host = tr("on %1").arg(remoteHost_);
    }
  }
  QStringList each;
  for (std::size_t i = 0; i < fileDevices_.size(); ++i)
    each << (here[i] ? tr("%1 is %2 as %3").arg(idAndName(fileDevices_[i]), host, QString::fromStdString(here[i]->id))
                     : tr("%1 is not on this machine").arg(idAndName(fileDevices_[i])));
  return tr("The file was measured on %1 GPUs, one worker each: %2.").arg(fileDevices_.size()).arg(each.join(QStringLiteral("; ")));
}

QString ProblemPanel::fileDeviceProfile() const {
  if (!fileDeviceMissing()) return {};
  // The profile named by a word of the device's name: "NVIDIA H100 80GB HBM3" → profile:h100.
  const QStringList words = QString::fromStdString(fileDevices_.front().name).toUpper().split(QRegularExpression(QStringLiteral("[\\s-]+")));
  for (const DeviceInfo& d : devices_.devices)
    if (d.kind == DeviceKind::Profile && words.contains(QString::fromStdString(d.id).section(QLatin1Char(':'), -1).toUpper()))
      return QString::fromStdString(d.id);
  return {};
}

QString ProblemPanel::deviceLabel(const QString& address) const { return device_->itemText(device_->findData(address)); }

QString ProblemPanel::fileDeviceProblem() const {
  const QString profile = fileDeviceProfile();
  const QString rules = profile.isEmpty() ? QString() : tr(" (%1 shows its rules)").arg(deviceLabel(profile).section(QStringLiteral(" ("), 0, 0));
  if (fileDevices_.size() > 1) return tr("%1 Choose a device here to run%2").arg(fileDevicesWhere(), rules);
  const DeviceInfo& d = fileDevices_.front();
  return tr("%1 (%2), the file's device, is not on this machine: choose one here to run%3")
      .arg(QString::fromStdString(d.name), QString::fromStdString(d.id), rules);
}

void ProblemPanel::showFileDevices(const std::vector<DeviceInfo>& devices, const QString& fileLabel) {
  fileDevices_ = devices;
  if (!fileDevices_.empty() && fileDevices_.front().id.empty()) fileDevices_.clear();  // a file that names none
  fileLabel_ = fileLabel;
  followFile_ = !fileDevices_.empty();
  fillDevices();
}

void ProblemPanel::setSourceNote(const QString& text) {
  sourceNote_->setText(text);
  sourceNote_->setVisible(!text.isEmpty());
}

bool ProblemPanel::fileDeviceMissing() const { return device_->currentData().toString() == kFileDeviceEntry; }

QString ProblemPanel::sourceNote() const { return sourceNote_->text(); }

QWidget* ProblemPanel::fieldWidget(const QString& field) const {
  static const QHash<QString, QString> aliases{{"heads", "q_heads"}, {"num_heads", "q_heads"}, {"seq", "q_len"},
                                               {"dtypes", "dtype"}, {"head_dims", "head_dim"}};
  const QString f = aliases.value(field, field);
  if (f == "batch") return batch_;
  if (f == "q_heads") return qHeads_;
  if (f == "kv_heads") return kvHeads_;
  if (f == "tokens") return tokens_;
  if (f == "hidden") return hidden_;
  if (f == "q_len") return qLen_;
  if (f == "kv_len") return kvLen_;
  if (f == "head_dim") return headDim_;
  if (f == "dtype") return dtypeBox_;
  if (f == "scale") return scale_;
  if (f == "device") return device_;
  return nullptr;
}

void ProblemPanel::applyPreset(int index) {
  if (index <= 0 || index >= int(std::size(kPresets))) return;
  const Preset& p = kPresets[index];
  ProblemSpec s = spec();
  s.qLen = QString::fromLatin1(p.qLen);
  s.kvLen = QString::fromLatin1(p.kvLen);
  s.headDim = QString::fromLatin1(p.headDim);
  s.tokens = s.hidden = 0;  // a preset is one batch and one set of heads
  if (p.dtypes[0] != '\0') s.dtypes = QString::fromLatin1(p.dtypes).split(',');
  presets_->setCurrentIndex(0);
  setSpec(s);
}

void ProblemPanel::onEdited() {
  if (loading_) return;
  check_ = checkSpec(spec());
  if (check_.ok() && device_->currentData().toString().isEmpty())
    check_.issues.append({QStringLiteral("device"), tr("choose a device")});
  if (fileDeviceMissing()) check_.issues.append({QStringLiteral("device"), fileDeviceProblem()});
  batch_->setEnabled(tokens_->value() == 0);  // with tokens the batch follows from each point's length
  markFields();
  const DeviceInfo d = currentDevice();
  sustained_->setEnabled(d.kind == DeviceKind::Cuda);  // the CPU always takes the worker's CPU rule
  // The CUDA libraries this machine lacks (a real device carries the machine's list), each as the rule a
  // greyed backend shows: what is lost, then the fix.
  QStringList missing, why;
  if (!devices_.why_no_gpu.empty() && d.kind == DeviceKind::Cpu) why << QString::fromStdString(devices_.why_no_gpu);
  for (const RuntimeLibrary& lib : d.runtime_libraries) {
    if (lib.found) continue;
    missing << QString::fromStdString(lib.name);
    const RuleResult r = runtime_library_rule(lib);
    why << QString::fromStdString(r.reason + " — fix: " + r.hint);
  }
  if (d.kind == DeviceKind::Profile)
    deviceNote_->setText(tr("What-if profile: explains eligibility; cannot run."));
  else if (!devices_.why_no_gpu.empty() && d.kind == DeviceKind::Cpu)
    deviceNote_->setText(tr("No GPU here: CPU backends run (hover for why)."));
  else if (d.kind == DeviceKind::Cuda && !missing.isEmpty())
    deviceNote_->setText(tr("Not found: %1 (hover for what it costs and the fix)").arg(missing.join(QStringLiteral(", "))));
  else if (d.kind == DeviceKind::Cuda && !devices_.libraries.empty()) {
    QStringList libs;  // the libraries backends run on here: "cuDNN 9.19.0, cudnn-frontend 1.32.0"
    for (const auto& [name, version] : devices_.libraries)
      libs << QStringLiteral("%1 %2").arg(QString::fromStdString(name), QString::fromStdString(version));
    deviceNote_->setText(tr("Libraries: %1").arg(libs.join(QStringLiteral(", "))));
  } else
    deviceNote_->clear();
  deviceNote_->setToolTip(why.join(QStringLiteral("\n")));
  deviceNote_->setVisible(!deviceNote_->text().isEmpty());
  emit specChanged();
}

void ProblemPanel::markFields() {
  QStringList general;
  for (const char* name : {"batch", "tokens", "q_heads", "hidden", "kv_heads", "q_len", "kv_len", "head_dim", "dtype", "scale", "device"}) {
    const QString field = QString::fromLatin1(name);
    QWidget* w = fieldWidget(field);
    const QString msg = check_.messageFor(field);
    w->setProperty("invalid", !msg.isEmpty());
    w->setStyleSheet(msg.isEmpty() ? QString() : QStringLiteral("background:#fde7e9"));
    // The field's own help comes back once its problem is fixed.
    if (!w->property("helpTip").isValid()) w->setProperty("helpTip", w->toolTip());
    w->setToolTip(msg.isEmpty() ? w->property("helpTip").toString() : msg);
  }
  for (const FieldIssue& i : check_.issues) general << QStringLiteral("%1: %2").arg(i.field, i.message);
  issues_->setText(general.join('\n'));
  issues_->setVisible(!general.isEmpty());
}

}  // namespace attnscope::gui
