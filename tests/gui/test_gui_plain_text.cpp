// File contents and worker output reach the screen as plain text, never as rich text (the review's F9:
// a result file whose field held <h1>…</h1> restyled the message bar); a cut stream still opens.
#include <gtest/gtest.h>

#include <QFile>
#include <QLabel>
#include <QTemporaryDir>

#include "MessageBar.h"
#include "ResultSet.h"
#include "gui_test_util.h"

using namespace attnscope::gui;

TEST(GuiPlainText, TheMessageBarShowsMarkupAsText) {
  MessageBar bar;
  bar.show(MessageBar::Level::Error, QStringLiteral("<h1 style=\"color:red\">INJECTED</h1>"));
  const QLabel* label = bar.findChild<QLabel*>();
  ASSERT_NE(label, nullptr);
  EXPECT_EQ(label->textFormat(), Qt::PlainText);
  EXPECT_EQ(bar.text(), QStringLiteral("<h1 style=\"color:red\">INJECTED</h1>"));
}

TEST(GuiPlainText, ACutStreamOpensWithAWarningNamingWhereItStopped) {
  QTemporaryDir tmp;
  const QByteArray full = gui_test::readData("cpu_stream.jsonl");
  const qsizetype lastRecord = full.lastIndexOf("\n{\"item\":");
  ASSERT_GT(lastRecord, 0);
  QFile f(tmp.filePath("cut.jsonl"));
  ASSERT_TRUE(f.open(QIODevice::WriteOnly));
  f.write(full.left(lastRecord + 50));
  f.close();
  const LoadOutcome out = loadResultFile(f.fileName());
  ASSERT_TRUE(out.set.has_value()) << out.error.toStdString();
  EXPECT_EQ(out.set->doc.records.size(), 3u);
  ASSERT_FALSE(out.set->doc.load_warnings.empty());
  EXPECT_NE(out.set->doc.load_warnings.front().find("cut off"), std::string::npos);
}
