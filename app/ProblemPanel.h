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
  // The device a result file shown was measured on (its first, for a sharded run). Selected when this
  // machine or the remote host has it; otherwise listed as "not on this machine" and selected, marked as a
  // problem, so the form never claims another device ran the file. An empty id forgets it.
  void showFileDevice(const DeviceInfo& device, const QString& fileLabel);
  bool fileDeviceMissing() const;
  // For a missing file device, the what-if profile of the same GPU model ("profile:h100"), or "".
  QString fileDeviceProfile() const;
  QString deviceLabel(const QString& address) const;  // as the device list shows it
  static inline const QString kFileDeviceEntry = QStringLiteral("file-device");
  // One line over the form saying where its values came from (an opened file); empty hides it.
  void setSourceNote(const QString& text);
  QString sourceNote() const;
  QString fieldError(const QString& field) const { return check_.messageFor(field); }

 signals:
  void specChanged();
  void remoteHostRequested();

 private:
  void onEdited();
  void applyPreset(int index);
  void markFields();
  void fillDevices();
  QString addressOfFileDevice() const;  // where the file's device is in the lists, or ""
  QString fileDeviceProblem() const;    // why the file's device cannot be used here, and what to pick instead

  QSpinBox* batch_;
  QSpinBox* qHeads_;
  QSpinBox* kvHeads_;
  QSpinBox* tokens_;
  QSpinBox* hidden_;
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
  QLabel* sourceNote_;
  DeviceInfo fileDevice_;  // empty id: no file's device to show
  QString fileLabel_;
  bool followFile_ = false;  // select the file's device when a device list arrives (until the user picks one)
  DeviceList devices_;
  QString remoteHost_;
  DeviceList remoteDevices_;
  QString lastDevice_;  // the entry before "Remote host…" was picked
  SpecCheck check_;
  bool loading_ = false;
  QString wantedDevice_;  // the device chosen or restored, kept until the device list that holds it arrives
};

}  // namespace attnscope::gui
