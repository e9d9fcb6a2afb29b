#include "BackendColors.h"

#include <array>
#include <cstdint>

namespace attnscope::gui {
namespace {

// Every backend this project ships has its own colour, hand-picked and never shared, so any comparison —
// ours, PyTorch's, xFormers', FlashAttention's, FlashInfer — draws each in one colour of its own. Okabe & Ito
// (2008) first, then Paul Tol's "muted", "bright" and "light" sets; yellow is left out (unreadable on white).
// Colours that were in use when the list grew were kept, so earlier figures and screenshots still match.
constexpr std::array<std::pair<const char*, QRgb>, 27> kKnown{{
    {"flash2", 0x0072B2},                   // blue
    {"mem-efficient", 0xE69F00},            // orange
    {"cublas-math", 0x009E73},              // bluish green
    {"naive", 0xCC79A7},                    // reddish purple
    {"split-kv-decode", 0xD55E00},          // vermillion
    {"mem-efficient-3xtf32", 0x56B4E9},     // sky blue (an id of the 2026-11-26 result files)
    {"small-k", 0x882255},                  // wine
    {"cpu-reference", 0x332288},            // indigo
    {"cpu-math", 0x999933},                 // olive
    {"mem-efficient-fma", 0x44AA99},        // teal
    {"triton-flash", 0xCC6677},             // rose
    {"flash3", 0x88CCEE},                   // cyan
    {"cudnn", 0xAA4499},                    // purple
    {"torch-flash", 0x117733},              // green
    {"torch-efficient", 0x6699CC},          // steel blue
    {"torch-cudnn", 0x661100},              // brown
    {"torch-math", 0xDDCC77},               // sand
    {"xformers", 0x99DDFF},                 // pale blue (the row when xFormers does not import)
    {"xformers-cutlassF-pt", 0xEE8866},     // salmon
    {"xformers-cutlassF-blackwell", 0xBBCC33},  // pear
    {"xformers-fa2F", 0x77AADD},            // light blue
    {"xformers-fa3F", 0xEE6677},            // red
    {"xformers-triton-splitKF", 0xAAAA00},  // dark olive
    {"flash-attn-2", 0x4477AA},             // bright blue
    {"flash-attn-3", 0x228833},             // bright green
    {"flash-attn-4", 0xFFAABB},             // pink
    {"flashinfer", 0x44BB99},               // mint
}};
// For ids not listed above (a file from a newer build, a third-party backend): colours none of them use.
constexpr std::array<QRgb, 4> kSpare{0x66CCEE, 0xCCBB44, 0xAA3377, 0xEEDD88};

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

namespace {
// Ids no build lists any more but the project's older result files hold (no worker will teach their names).
QString retiredBackendName(const QString& backendId) {
  if (backendId == QLatin1String("mem-efficient-3xtf32"))  // until 2026-11-26: now mem-efficient's float32 path
    return QStringLiteral("Memory-efficient tiled with fp32 via 3×TF32 tensor cores (retired id)");
  return backendId;
}
}  // namespace

QString backendDisplayName(const QString& backendId) {
  const auto it = names().constFind(backendId);
  return it != names().constEnd() ? *it : retiredBackendName(backendId);
}

QString backendShortName(const QString& backendId) { return backendDisplayName(backendId).section(QStringLiteral(" ("), 0, 0); }

}  // namespace attnscope::gui
