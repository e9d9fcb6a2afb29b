// GUI test main: a QApplication on the offscreen platform (also when gtest_discover_tests runs this binary
// at build time without ctest's environment), settings in Qt's test location so the user's are untouched,
// and the freshly built worker unless ATTNSCOPE_CLI says otherwise.
#include <gtest/gtest.h>

#include <QApplication>
#include <QFile>
#include <QSettings>
#include <QStandardPaths>

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  if (qEnvironmentVariableIsEmpty("ATTNSCOPE_CLI")) qputenv("ATTNSCOPE_CLI", ATTNSCOPE_CLI_PATH);
  QApplication app(argc, argv);
  QCoreApplication::setOrganizationName(QStringLiteral("AttnScopeTests"));
  // One settings file per process: ctest -j runs test cases side by side, and a window saving its
  // problem must not leak into another test's "restored" one.
  QCoreApplication::setApplicationName(QStringLiteral("attnscope_gui_tests-%1").arg(QCoreApplication::applicationPid()));
  QStandardPaths::setTestModeEnabled(true);
  QSettings().clear();
  ::testing::InitGoogleTest(&argc, argv);
  const int rc = RUN_ALL_TESTS();
  const QString file = QSettings().fileName();
  QFile::remove(file);
  return rc;
}
