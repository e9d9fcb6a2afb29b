#include "WorkerLocator.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace attnscope::gui {

QString workerPath() {
  const QString fromEnv = qEnvironmentVariable("ATTNSCOPE_CLI");
  if (!fromEnv.isEmpty()) return fromEnv;
  return QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("attnscope-cli"));
}

QString workerProblem(const QString& path) {
  const QFileInfo fi(path);
  if (!fi.exists())
    return QCoreApplication::translate("Worker",
                                       "The worker %1 was not found. Build the target attnscope-cli (it goes next to "
                                       "attnscope) or point ATTNSCOPE_CLI at it.")
        .arg(path);
  if (!fi.isExecutable())
    return QCoreApplication::translate("Worker", "The worker %1 is not executable (chmod +x it).").arg(path);
  return {};
}

}  // namespace attnscope::gui

namespace attnscope::gui {

WorkerCommand WorkerCommand::local(const QString& path) { return WorkerCommand{path, {}, false, {}}; }

std::optional<WorkerCommand> WorkerCommand::remoteFrom(const QString& commandLine, QString* error) {
  const QStringList words = QProcess::splitCommand(commandLine);
  if (words.isEmpty()) {
    if (error)
      *error = QCoreApplication::translate("Worker", "The remote command is empty (or has an unclosed quote); give "
                                                     "one such as: ssh user@gpu-box attnscope-cli");
    return std::nullopt;
  }
  return WorkerCommand{words.front(), words.mid(1), true, commandLine.trimmed()};
}

QStringList WorkerCommand::arguments(const QStringList& workerArgs) const {
  if (!remote) return workerArgs;
  // ssh joins its words with spaces and the remote shell splits them again: quote each argument so a
  // path or a sweep reaches the worker as one word whatever it holds.
  QStringList out = prefix;
  for (const QString& a : workerArgs) out << QStringLiteral("'") + QString(a).replace(QStringLiteral("'"), QStringLiteral("'\\''")) + QStringLiteral("'");
  return out;
}

QString WorkerCommand::host() const {
  for (const QString& w : prefix)
    if (w.contains('@')) return w;  // ssh's destination
  for (const QString& w : prefix)
    if (!w.startsWith('-')) return w;
  return program;
}

QString WorkerCommand::describe() const { return remote ? commandLine : program; }

}  // namespace attnscope::gui
