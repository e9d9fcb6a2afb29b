#include "BackendColors.h"

#include <array>
#include <cstdint>

namespace attnscope::gui {
namespace {

// Okabe & Ito (2008) first, then Paul Tol's "muted" set; yellow is left out (unreadable on white).
constexpr std::array<std::pair<const char*, QRgb>, 11> kKnown{{
    {"flash2", 0x0072B2},                // blue
    {"mem-efficient", 0xE69F00},         // orange
    {"cublas-math", 0x009E73},           // bluish green
    {"naive", 0xCC79A7},                 // reddish purple
    {"split-kv-decode", 0xD55E00},       // vermillion
    {"mem-efficient-3xtf32", 0x56B4E9},  // sky blue
    {"small-k", 0x882255},               // wine
    {"cpu-reference", 0x332288},         // indigo
    {"cpu-math", 0x999933},              // olive
    {"mem-efficient-fma", 0x44AA99},     // teal
    {"triton-flash", 0xCC6677},          // rose (it shared a spare with torch-cudnn, which it is charted beside)
}};
// For ids not listed above: colours none of the known ones use.
constexpr std::array<QRgb, 6> kSpare{0x117733, 0xAA4499, 0x88CCEE, 0xDDCC77, 0x661100, 0x6699CC};

// FNV-1a: qHash is seeded per process, which would give a new colour on every start.
uint32_t stableHash(const QString& s) {
  uint32_t h = 2166136261u;
  for (const char c : s.toUtf8()) h = (h ^ uint8_t(c)) * 16777619u;
  return h;
}

QHash<QString, QString>& names() {
  static QHash<QString, QString> map;
  return map;
}
int namesVersion = 0;

}  // namespace

QColor backendColor(const QString& backendId) {
  for (const auto& [id, rgb] : kKnown)
    if (backendId == QLatin1String(id)) return QColor::fromRgb(rgb);
  return QColor::fromRgb(kSpare[stableHash(backendId) % kSpare.size()]);
}

int backendNamesVersion() { return namesVersion; }

QColor unavailableColor() { return QColor::fromRgb(0xBBBBBB); }

void rememberBackendName(const QString& backendId, const QString& displayName) {
  if (displayName.isEmpty() || names().value(backendId) == displayName) return;
  names().insert(backendId, displayName);
  ++namesVersion;
}

QString backendDisplayName(const QString& backendId) { return names().value(backendId, backendId); }

QString backendShortName(const QString& backendId) { return backendDisplayName(backendId).section(QStringLiteral(" ("), 0, 0); }

}  // namespace attnscope::gui
