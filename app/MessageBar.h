#pragma once
// An inline banner above the chart for things the user should read but not have to click away:
// a result file that could not be read, a worker that died and was restarted, no GPU found.
#include <QWidget>

class QLabel;
class QToolButton;

namespace attnscope::gui {

class MessageBar : public QWidget {
  Q_OBJECT
 public:
  enum class Level { Info, Warning, Error };
  explicit MessageBar(QWidget* parent = nullptr);
  void show(Level level, const QString& text);
  QString text() const;
  Level level() const { return level_; }

 private:
  QLabel* label_;
  QToolButton* close_;
  Level level_ = Level::Info;
};

}  // namespace attnscope::gui
