#pragma once
// Helpers shared by the GUI tests.
#include <QByteArray>
#include <QFile>
#include <QString>

namespace gui_test {

inline QString dataPath(const char* name) { return QStringLiteral(ATTNSCOPE_GUI_TEST_DATA "/") + QLatin1String(name); }

inline QByteArray readData(const char* name) {
  QFile f(dataPath(name));
  f.open(QIODevice::ReadOnly);
  return f.readAll();
}

// Sets an environment variable for the lifetime of the object (the worker path, fake-worker switches).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const QByteArray& value) : name_(name), old_(qgetenv(name)), had_(qEnvironmentVariableIsSet(name)) {
    qputenv(name, value);
  }
  ~ScopedEnv() {
    if (had_) qputenv(name_, old_);
    else qunsetenv(name_);
  }

 private:
  const char* name_;
  QByteArray old_;
  bool had_;
};

}  // namespace gui_test
