#include "ResultSet.h"

#include <QCoreApplication>
#include <QFileInfo>

namespace attnscope::gui {

LoadOutcome loadResultFile(const QString& path) {
  LoadOutcome out;
  const QFileInfo fi(path);
  if (!fi.isFile()) {
    out.error = QCoreApplication::translate("Results", "%1: no such file").arg(path);
    return out;
  }
  try {
    ResultSet set;
    set.doc = load_results(fi.absoluteFilePath().toStdString());
    set.path = fi.absoluteFilePath();
    set.label = fi.fileName();
    out.set = std::move(set);
  } catch (const std::exception& e) {
    out.error = QCoreApplication::translate("Results", "%1 is not a readable AttnScope result file: %2")
                    .arg(fi.fileName(), QString::fromUtf8(e.what()));
  }
  return out;
}

QString saveResultFile(const ResultDocument& doc, const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  try {
    if (suffix == QLatin1String("csv")) save_csv(doc.records, path.toStdString());
    else if (suffix == QLatin1String("json")) save_json(doc, path.toStdString());
    else
      return QCoreApplication::translate("Results", "%1: choose a .json or .csv file name").arg(path);
  } catch (const std::exception& e) {
    return QCoreApplication::translate("Results", "Could not write %1: %2").arg(path, QString::fromUtf8(e.what()));
  }
  return {};
}

}  // namespace attnscope::gui
