#pragma once
// The problem panel: batch, heads, KV heads, query/key lengths (a value or a sweep), head dims, dtypes,
// causal, scale, device, and presets. Every edit is checked with the engine's parser and validator;
// a bad field is marked red with the reason on it, and valid() turns false until it is fixed.
#include <QHash>
#include <QWidget>

#include "ProblemSpec.h"
#include "attnscope/device.hpp"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace attnscope::gui {

class ProblemPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ProblemPanel(QWidget* parent = nullptr);

  ProblemSpec spec() const;
  void setSpec(const ProblemSpec& s);
  const SpecCheck& check() const { return check_; }
  bool valid() const { return check_.ok(); }
  void setDevices(const DeviceList& devices);
  // The devices of the remote host (WorkerLocator.h), listed as "host: name" after the local ones;
  // an empty host removes them.
  void setRemoteDevices(const QString& host, const DeviceList& devices);
  // The device the spec names, as the worker described it (empty id when unknown). For "all GPUs" the
  // first GPU: a sharded sweep is judged on it.
  DeviceInfo currentDevice() const;
  // The device list's last entry, "Remote host…": it asks for the command, never becomes the device.
  static inline const QString kRemoteSetupEntry = QStringLiteral("remote-setup");
  // The widget that shows a field's problems ("q_len", "head_dim", ...), for tests and focus.
  QWidget* fieldWidget(const QString& field) const;
  QString fieldError(const QString& field) const { return check_.messageFor(field); }

 signals:
  void specChanged();
  void remoteHostRequested();

 private:
  void onEdited();
  void applyPreset(int index);
  void markFields();
  void fillDevices();

  QSpinBox* batch_;
  QSpinBox* qHeads_;
  QSpinBox* kvHeads_;
  QLineEdit* qLen_;
  QLineEdit* kvLen_;
  QLineEdit* headDim_;
  QHash<QString, QCheckBox*> dtypes_;
  QWidget* dtypeBox_;
  QCheckBox* causal_;
  QCheckBox* quick_;
  QCheckBox* sustained_;
  QCheckBox* eachPlan_;
  QLineEdit* scale_;
  QComboBox* device_;
  QComboBox* presets_;
  QLabel* issues_;
  QLabel* deviceNote_;
  DeviceList devices_;
  QString remoteHost_;
  DeviceList remoteDevices_;
  QString lastDevice_;  // the entry before "Remote host…" was picked
  SpecCheck check_;
  bool loading_ = false;
  QString wantedDevice_;  // the device chosen or restored, kept until the device list that holds it arrives
};

}  // namespace attnscope::gui
