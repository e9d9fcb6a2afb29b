#include "RunFacts.h"

#include <QCoreApplication>
#include <QStringList>
#include <algorithm>
#include <utility>
#include <vector>

namespace attnscope::gui {
namespace {

QString tr(const char* text) { return QCoreApplication::translate("RunFacts", text); }
QString q(const std::string& s) { return QString::fromStdString(s); }
QString mhz(int v) { return v > 0 ? QStringLiteral("%1 MHz").arg(v) : QString(); }

// "1410–1980 MHz" over the records that know the value.
template <class Get>
QString rangeOver(const std::vector<Record>& records, Get get) {
  double lo = 0, hi = 0;
  for (const Record& r : records)
    if (const double v = get(r); v > 0) {
      lo = lo > 0 ? std::min(lo, v) : v;
      hi = std::max(hi, v);
    }
  if (hi <= 0) return {};
  return lo == hi ? QStringLiteral("%1 MHz").arg(lo, 0, 'f', 0)
                  : QStringLiteral("%1–%2 MHz").arg(lo, 0, 'f', 0).arg(hi, 0, 'f', 0);
}

QString gpuLine(const GpuState& g) {
  QStringList parts;
  if (!mhz(g.sm_clock_mhz).isEmpty()) parts << tr("SM %1 of %2").arg(mhz(g.sm_clock_mhz), mhz(g.max_sm_clock_mhz));
  if (!mhz(g.memory_clock_mhz).isEmpty())
    parts << tr("memory %1 of %2").arg(mhz(g.memory_clock_mhz), mhz(g.max_memory_clock_mhz));
  if (g.power_limit_w > 0) parts << tr("power limit %1 W").arg(g.power_limit_w, 0, 'f', 0);
  if (g.persistence_mode) parts << (*g.persistence_mode ? tr("persistence on") : tr("persistence off"));
  if (g.other_processes >= 0)
    parts << (g.other_processes == 0 ? tr("no other process")
                                     : tr("%1 other process(es): %2").arg(g.other_processes).arg(q(g.processes.empty() ? "" : g.processes.front())));
  return q(g.device) + QStringLiteral(": ") + parts.join(QStringLiteral(", "));
}

QString gpuLines(const std::vector<GpuState>& gpus) {
  QStringList lines;
  for (const GpuState& g : gpus) lines << gpuLine(g);
  return lines.join('\n');
}

// Every fact as (label, value); an empty value is "not recorded".
std::vector<std::pair<QString, QString>> factsOf(const ResultSet& set) {
  const ResultDocument& d = set.doc;
  const RunEnvironment& e = d.environment;
  QStringList devices;
  for (const DeviceInfo& dev : d.devices.empty() ? std::vector<DeviceInfo>{d.device} : d.devices)
    devices << QStringLiteral("%1 (%2)").arg(q(dev.name), q(dev.id));
  QStringList libraries;
  for (const auto& [name, version] : e.libraries) libraries << QStringLiteral("%1 %2").arg(q(name), q(version));
  int shared = 0, known = 0;
  for (const Record& r : d.records)
    if (r.other_processes) {
      ++known;
      shared += *r.other_processes > 0;
    }
  return {
      {tr("Tool"), q(d.tool_version)},
      {tr("Measured"), q(d.created_utc)},
      {tr("Host"), QStringLiteral("%1 · %2 · %3").arg(q(d.host.hostname), q(d.host.os), q(d.host.cpu))},
      {tr("Device(s)"), devices.join('\n')},
      {tr("Timer"), q(d.device.timer)},
      {tr("L2 / seed"), QStringLiteral("%1 · %2").arg(q(d.settings.l2_mode)).arg(d.settings.seed)},
      {tr("Driver"), q(e.driver_version.empty() ? d.device.driver_version : e.driver_version)},
      {tr("CUDA driver / runtime"),
       e.cuda_runtime_version.empty() ? q(d.device.runtime_version) : QStringLiteral("%1 / %2").arg(q(e.cuda_driver_version), q(e.cuda_runtime_version))},
      {tr("CUPTI / NVML"), e.cupti_version.empty() && e.nvml_version.empty() ? QString()
                                                                             : QStringLiteral("%1 / %2").arg(q(e.cupti_version), q(e.nvml_version))},
      {tr("Libraries"), libraries.join(QStringLiteral(", "))},
      {tr("GPU at the start"), gpuLines(e.gpus_at_start)},
      {tr("GPU at the end"), gpuLines(e.gpus_at_end)},
      {tr("SM clock during the run"), rangeOver(d.records, [](const Record& r) { return r.sm_clock_mhz; })},
      {tr("Memory clock during the run"), rangeOver(d.records, [](const Record& r) { return r.memory_clock_mhz; })},
      {tr("GPU shared"), known ? tr("%1 of %2 measured records had other processes on the GPU").arg(shared).arg(known) : QString()},
      {tr("NVML"), q(e.nvml_note)},
      {tr("FLOP formula"), q(e.flop_formula)},
      {tr("Byte formula"), q(e.byte_formula)},
  };
}

QString cell(const QString& text) {
  return text.isEmpty() ? QStringLiteral("<td><i>%1</i></td>").arg(tr("not recorded"))
                        : QStringLiteral("<td>%1</td>").arg(text.toHtmlEscaped().replace('\n', QStringLiteral("<br>")));
}

}  // namespace

QString runFactsHtml(const ResultSet& primary, const ResultSet* overlay) {
  const auto a = factsOf(primary);
  const auto b = overlay ? factsOf(*overlay) : decltype(a){};
  QString html = QStringLiteral("<table cellspacing=0 cellpadding=3><tr><th></th><th align=left>%1</th>").arg(primary.label.toHtmlEscaped());
  if (overlay) html += QStringLiteral("<th align=left>%1</th>").arg(overlay->label.toHtmlEscaped());
  html += QStringLiteral("</tr>");
  for (std::size_t i = 0; i < a.size(); ++i) {
    // Rows that describe each machine (tool, time, host) differ by nature; the rest should match.
    const bool differs = overlay && i >= 3 && a[i].second != b[i].second;
    html += QStringLiteral("<tr><td><b>%1</b>%2</td>").arg(a[i].first.toHtmlEscaped(), differs ? QStringLiteral(" ≠") : QString());
    html += cell(a[i].second);
    if (overlay) html += cell(b[i].second);
    html += QStringLiteral("</tr>");
  }
  html += QStringLiteral("</table>");
  if (overlay)
    html += QStringLiteral("<p>%1</p>").arg(tr("≠ marks what differs between the two runs: compare their numbers with that in mind.").toHtmlEscaped());
  return html;
}

}  // namespace attnscope::gui
