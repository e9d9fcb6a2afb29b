#pragma once
// Where the worker binary is: $ATTNSCOPE_CLI if set, else attnscope-cli next to the app binary.
#include <QString>

namespace attnscope::gui {

QString workerPath();
// Empty when the worker can be started; otherwise a sentence saying what is missing and how to fix it.
QString workerProblem(const QString& path);

}  // namespace attnscope::gui
