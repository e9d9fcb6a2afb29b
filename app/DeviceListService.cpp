#include "DeviceListService.h"

#include <algorithm>

#include "WorkerLocator.h"

namespace attnscope::gui {

void addMissingProfiles(DeviceList& list) {
  for (const DeviceInfo& p : what_if_profiles()) {
    const bool present = std::any_of(list.devices.begin(), list.devices.end(),
                                     [&](const DeviceInfo& d) { return d.id == p.id; });
    if (!present) list.devices.push_back(p);
  }
}

DeviceListService::DeviceListService(QObject* parent)
    : QObject(parent), command_(WorkerCommand::local(attnscope::gui::workerPath())) {}

void DeviceListService::refresh() {
  if (process_) return;
  if (const QString problem = command_.problem(); !problem.isEmpty()) {
    emit failed(problem);
    return;
  }
  auto* p = new QProcess(this);
  process_ = p;
  connect(p, &QProcess::errorOccurred, this, [this, p](QProcess::ProcessError e) {
    if (e != QProcess::FailedToStart) return;
    p->deleteLater();
    emit failed(tr("Could not start the worker %1: %2").arg(command_.describe(), p->errorString()));
  });
  connect(p, &QProcess::finished, this, [this, p](int exitCode, QProcess::ExitStatus status) {
    p->deleteLater();
    const QByteArray out = p->readAllStandardOutput();
    if (status != QProcess::NormalExit || exitCode != 0) {
      emit failed(tr("attnscope-cli devices failed (%1, exit code %2): %3")
                      .arg(command_.describe())
                      .arg(exitCode)
                      .arg(QString::fromLocal8Bit(p->readAllStandardError()).trimmed()));
      return;
    }
    try {
      devices_ = parseDeviceList(out);
    } catch (const std::exception& e) {
      emit failed(tr("Could not read the worker's device list: %1").arg(QString::fromUtf8(e.what())));
      return;
    }
    addMissingProfiles(devices_);
    emit updated(devices_);
  });
  command_.start(*p, {QStringLiteral("devices"), QStringLiteral("--json")});
}

}  // namespace attnscope::gui
