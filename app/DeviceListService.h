#pragma once
// Device discovery through the worker (`attnscope-cli devices --json`): the CPU, every real GPU, the
// what-if profiles, and, when there is no GPU, the worker's sentence saying why.
#include <QObject>
#include <QPointer>
#include <QProcess>

#include "WorkerLocator.h"
#include "WorkerProtocol.h"

namespace attnscope::gui {

class DeviceListService : public QObject {
  Q_OBJECT
 public:
  explicit DeviceListService(QObject* parent = nullptr);
  void setWorkerPath(const QString& path) { command_ = WorkerCommand::local(path); }
  void setCommand(const WorkerCommand& command) { command_ = command; }
  const WorkerCommand& command() const { return command_; }
  void refresh();
  const DeviceList& devices() const { return devices_; }

 signals:
  void updated(const attnscope::DeviceList& devices);
  void failed(const QString& message);

 private:
  WorkerCommand command_;
  DeviceList devices_;
  QPointer<QProcess> process_;
};

// Adds the engine's what-if profiles a list lacks (an older worker may list none).
void addMissingProfiles(DeviceList& list);

}  // namespace attnscope::gui
