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
  // The device the spec names, as the worker described it (empty id when unknown). For a sharded sweep
  // ("all GPUs", "cuda:0,cuda:2") its first GPU: it is judged on that one.
  DeviceInfo currentDevice() const;
  // The device list's last entry, "Remote host…": it asks for the command, never becomes the device.
  static inline const QString kRemoteSetupEntry = QStringLiteral("remote-setup");
  // The widget that shows a field's problems ("q_len", "head_dim", ...), for tests and focus.
  QWidget* fieldWidget(const QString& field) const;
  // The devices a result file shown was measured on: one, or every GPU of a sharded run (one worker each).
  // Selected when this machine or the remote host has them all: one device as itself, a sharded run's
  // GPUs as "All N GPUs" when they are every GPU there, else as an entry of just those ("cuda:0,cuda:2").
  // Otherwise listed as "not on this machine" and selected, marked as a problem that names which of them
  // are here and which are not, so the form never claims other devices ran the file. Empty forgets them.
  void showFileDevices(const std::vector<DeviceInfo>& devices, const QString& fileLabel);
  bool fileDeviceMissing() const;
  std::size_t fileDeviceCount() const { return fileDevices_.size(); }  // a sharded run's GPUs, else 1 or 0
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
  QString addressOfFileDevices() const;  // where the file's devices are in the lists, or ""
  QString fileDeviceProblem() const;     // why the file's devices cannot be used here, and what to pick instead
  QString fileDevicesWhere() const;      // a sharded run's GPUs: which of them are here (as which) and which not

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
  std::vector<DeviceInfo> fileDevices_;  // empty: no file's device to show
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
