// GUI test main: a QApplication on the offscreen platform (also when gtest_discover_tests runs this binary
// at build time without ctest's environment), settings in Qt's test location so the user's are untouched,
// and the freshly built worker unless ATTNSCOPE_CLI says otherwise.
#include <gtest/gtest.h>

#include <QApplication>
#include <QSettings>
#include <QStandardPaths>

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  if (qEnvironmentVariableIsEmpty("ATTNSCOPE_CLI")) qputenv("ATTNSCOPE_CLI", ATTNSCOPE_CLI_PATH);
  QApplication app(argc, argv);
  QCoreApplication::setOrganizationName(QStringLiteral("AttnScopeTests"));
  QCoreApplication::setApplicationName(QStringLiteral("attnscope_gui_tests"));
  QStandardPaths::setTestModeEnabled(true);
  QSettings().clear();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
