#include "MessageBar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>

namespace attnscope::gui {

MessageBar::MessageBar(QWidget* parent) : QWidget(parent), label_(new QLabel(this)), close_(new QToolButton(this)) {
  setObjectName(QStringLiteral("messageBar"));
  setAttribute(Qt::WA_StyledBackground);
  label_->setWordWrap(true);
  // Messages quote file contents and worker output: never let them render as rich text.
  label_->setTextFormat(Qt::PlainText);
  label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  close_->setText(QStringLiteral("✕"));
  close_->setAutoRaise(true);
  close_->setToolTip(tr("Dismiss"));
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(8, 4, 4, 4);
  layout->addWidget(label_, 1);
  layout->addWidget(close_, 0, Qt::AlignTop);
  connect(close_, &QToolButton::clicked, this, &QWidget::hide);
  hide();
}

void MessageBar::show(Level level, const QString& text) {
  level_ = level;
  static const char* const styles[] = {
      "#messageBar{background:#e8f1fb;border:1px solid #9cc3ea;border-radius:3px}",
      "#messageBar{background:#fff4d6;border:1px solid #e3c36b;border-radius:3px}",
      "#messageBar{background:#fde7e9;border:1px solid #e8a3aa;border-radius:3px}"};
  setStyleSheet(QString::fromLatin1(styles[int(level)]));
  label_->setText(text);
  QWidget::show();
}

QString MessageBar::text() const { return isVisible() ? label_->text() : QString(); }

}  // namespace attnscope::gui
