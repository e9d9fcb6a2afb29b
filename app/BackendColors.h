#pragma once
// One colour per backend id, fixed: the same in the window, in every export, for every file and after a
// restart. Known backends have a hand-picked colour from the Okabe–Ito / Paul Tol colour-blind-safe sets;
// an id we have never heard of (a file from a newer build, a third-party backend) gets one from the same
// sets by a stable hash of its id. Grey is kept for "not available" and is never a backend's colour.
// Display names ("CPU reference (fp64)") are learned from the worker's backend list, wherever that ran,
// so legends can use them; an id never seen in a list is shown as it is.
#include <QColor>
#include <QHash>
#include <QString>

namespace attnscope::gui {

QColor backendColor(const QString& backendId);
QColor unavailableColor();  // n/a entries and hidden series

void rememberBackendName(const QString& backendId, const QString& displayName);
int backendNamesVersion();  // changes whenever a name is learned or changes (charts then relabel)
QString backendDisplayName(const QString& backendId);
QString backendShortName(const QString& backendId);  // without the parenthesised detail: legends, axis titles

}  // namespace attnscope::gui
