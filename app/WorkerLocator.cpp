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
