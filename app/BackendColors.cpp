#include "BackendColors.h"

#include <QStringList>
#include <array>

namespace attnscope::gui {
namespace {
// Tableau 10: distinct hues that survive greyscale printing better than the Qt defaults.
constexpr std::array<QRgb, 10> kPalette{0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                        0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
}  // namespace

QColor BackendColors::color(const QString& backendId) {
  auto it = assigned_.find(backendId);
  if (it != assigned_.end()) return *it;
  const QColor c = QColor::fromRgb(kPalette[static_cast<std::size_t>(assigned_.size()) % kPalette.size()]);
  assigned_.insert(backendId, c);
  return c;
}

void BackendColors::preassign(const QStringList& idsInOrder) {
  for (const QString& id : idsInOrder) color(id);
}

BackendColors& backendColors() {
  static BackendColors instance;
  return instance;
}

}  // namespace attnscope::gui
