#pragma once
// One colour per backend, the same in every plot, legend and table of a session. Backends get colours
// in the order they are first seen (the registry's order when the list is known), from a palette that
// stays readable on white and in print.
#include <QColor>
#include <QHash>
#include <QString>

namespace attnscope::gui {

class BackendColors {
 public:
  QColor color(const QString& backendId);  // assigns the next palette colour on first use
  void preassign(const QStringList& idsInOrder);

 private:
  QHash<QString, QColor> assigned_;
};

// The app-wide instance (plots, table and backend list must agree).
BackendColors& backendColors();

}  // namespace attnscope::gui
