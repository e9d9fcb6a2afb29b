#pragma once
// Where the worker is and how to start it: attnscope-cli next to the app ($ATTNSCOPE_CLI if set), or on
// another host through a command the user gives, such as `ssh user@gpu-box attnscope-cli`. A remote
// worker speaks the same JSON lines over the SSH channel; there is no other protocol.
#include <QProcess>
#include <QString>
#include <QStringList>
#include <optional>

namespace attnscope::gui {

QString workerPath();
// Empty when the worker can be started; otherwise a sentence saying what is missing and how to fix it.
QString workerProblem(const QString& path);

struct WorkerCommand {
  QString program;      // attnscope-cli's path, or the remote command's program (ssh)
  QStringList prefix;   // the remote command's own words ("user@gpu-box", "attnscope-cli")
  bool remote = false;  // the worker's arguments pass through the remote host's shell, so each is quoted
  QString commandLine;  // as the user typed it (remote)

  static WorkerCommand local(const QString& path);
  // Nullopt (and *error) when the line is empty or cannot be split (an unclosed quote).
  static std::optional<WorkerCommand> remoteFrom(const QString& commandLine, QString* error = nullptr);
  QStringList arguments(const QStringList& workerArgs) const;
  void start(QProcess& p, const QStringList& workerArgs) const { p.start(program, arguments(workerArgs)); }
  QString problem() const { return remote ? QString() : workerProblem(program); }  // a remote one tells by failing
  QString host() const;      // the first word after the program that is not an option: "user@gpu-box"
  QString describe() const;  // for messages
};

// Device addresses in the app: a local device id ("cuda:0", "all", "cpu") or one on the remote host
// ("remote:cuda:0").
inline const QString kRemoteDevicePrefix = QStringLiteral("remote:");
inline bool isRemoteDevice(const QString& address) { return address.startsWith(kRemoteDevicePrefix); }
inline QString deviceIdOf(const QString& address) {
  return isRemoteDevice(address) ? address.mid(kRemoteDevicePrefix.size()) : address;
}

}  // namespace attnscope::gui
