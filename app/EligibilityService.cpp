#include "EligibilityService.h"

#include <QCoreApplication>
#include <algorithm>

#include "ProblemSpec.h"
#include "WorkerLocator.h"
#include "attnscope/results.hpp"
#include "attnscope/rules.hpp"

namespace attnscope::gui {
namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }
QString esc(const std::string& s) { return qs(s).toHtmlEscaped(); }

QString kindTitle(RuleKind k) {
  switch (k) {
    case RuleKind::Environment: return QCoreApplication::translate("Eligibility", "Environment");
    case RuleKind::Input: return QCoreApplication::translate("Eligibility", "Problem");
    case RuleKind::Memory: return QCoreApplication::translate("Eligibility", "Memory");
  }
  return {};
}

QString ruleItemHtml(const RuleResult& r) {
  QString html = QStringLiteral("<li>") + esc(r.reason.empty() ? r.rule : r.reason);
  if (!r.hint.empty()) html += QStringLiteral("<br/><i>Fix: ") + esc(r.hint) + QStringLiteral("</i>");
  return html + QStringLiteral("</li>");
}

// Unmet rules grouped by kind, environment first (a missing GPU is not something the problem can fix).
QString groupedRulesHtml(const std::vector<RuleResult>& rules) {
  QString html;
  for (RuleKind k : {RuleKind::Environment, RuleKind::Input, RuleKind::Memory}) {
    QString items;
    for (const RuleResult& r : rules)
      if (r.kind == k) items += ruleItemHtml(r);
    if (!items.isEmpty()) html += QStringLiteral("<b>%1</b><ul style='margin-top:0'>%2</ul>").arg(kindTitle(k), items);
  }
  return html;
}

}  // namespace

QString probeLabel(const Problem& p) {
  QString s = QStringLiteral("%1 · d=%2 · ").arg(qs(std::string(to_string(p.dtype)))).arg(p.head_dim);
  if (p.q_len == p.kv_len) return s + QStringLiteral("N=%1").arg(p.q_len);
  return s + QStringLiteral("Nq=%1 Nk=%2").arg(p.q_len).arg(p.kv_len);
}

bool BackendStatus::eligibleAnywhere() const {
  return std::any_of(probes.begin(), probes.end(), [](const ProbeVerdict& v) { return v.eligible; });
}

bool BackendStatus::eligibleEverywhere() const {
  return !probes.empty() && std::all_of(probes.begin(), probes.end(), [](const ProbeVerdict& v) { return v.eligible; });
}

std::vector<RuleResult> BackendStatus::unmetRules() const {
  std::vector<RuleResult> out;
  for (const ProbeVerdict& v : probes)
    for (const RuleResult& r : v.rules) {
      if (r.met) continue;
      const bool seen = std::any_of(out.begin(), out.end(),
                                    [&](const RuleResult& o) { return o.rule == r.rule && o.reason == r.reason; });
      if (!seen) out.push_back(r);
    }
  std::stable_sort(out.begin(), out.end(),
                   [](const RuleResult& a, const RuleResult& b) { return int(a.kind) < int(b.kind); });
  return out;
}

QString BackendStatus::tooltipHtml() const {
  QString html = QStringLiteral("<b>%1</b> <small>(%2)</small><br/>").arg(esc(info.name), esc(info.id));
  if (probes.empty()) return html + QCoreApplication::translate("Eligibility", "Checking eligibility…");
  if (eligibleEverywhere()) return html + QCoreApplication::translate("Eligibility", "Can run every point of this sweep.");
  if (!eligibleAnywhere())
    return html + QCoreApplication::translate("Eligibility", "Cannot run this problem:") + groupedRulesHtml(unmetRules());
  QStringList runs, skips;
  for (const ProbeVerdict& v : probes) (v.eligible ? runs : skips) << probeLabel(v.problem).toHtmlEscaped();
  html += QCoreApplication::translate("Eligibility", "Runs for %1.<br/>Skipped for %2:")
              .arg(runs.join(QStringLiteral(", ")), skips.join(QStringLiteral(", ")));
  return html + groupedRulesHtml(unmetRules());
}

QString BackendStatus::detailsHtml() const {
  QString html = QStringLiteral("<h3>%1</h3><p><small>id <code>%2</code> · family %3 · %4</small></p>")
                     .arg(esc(info.name), esc(info.id), esc(info.family), esc(std::string(to_string(info.target))));
  // Why not comes first: it is what a greyed entry is clicked for.
  if (!probes.empty() && !eligibleEverywhere())
    html += QStringLiteral("<p style='color:#b00020'><b>%1</b></p>")
                .arg(eligibleAnywhere() ? QCoreApplication::translate("Eligibility", "Skipped for part of the sweep:")
                                        : QCoreApplication::translate("Eligibility", "Cannot run this problem:")) +
            groupedRulesHtml(unmetRules());
  if (!info.algorithm.empty()) html += QStringLiteral("<p>") + esc(info.algorithm) + QStringLiteral("</p>");
  if (!info.memory_complexity.empty())
    html += QStringLiteral("<p><b>Memory:</b> ") + esc(info.memory_complexity) + QStringLiteral("</p>");
  if (!info.shines.empty()) html += QStringLiteral("<p><b>Shines:</b> ") + esc(info.shines) + QStringLiteral("</p>");
  if (memoryOutput + memoryWorkspace > 0)
    html += QStringLiteral("<p><b>Predicted memory</b> (largest point): output %1, workspace %2</p>")
                .arg(esc(format_bytes(memoryOutput)), esc(format_bytes(memoryWorkspace)));
  for (const ProbeVerdict& v : probes) {
    html += QStringLiteral("<p><b>Rules for %1</b></p><table cellspacing='0' cellpadding='2'>").arg(probeLabel(v.problem).toHtmlEscaped());
    for (const RuleResult& r : v.rules) {
      const QString mark = r.met ? QStringLiteral("<span style='color:#2ca02c'>✔</span>")
                                 : QStringLiteral("<span style='color:#d62728'>✘</span>");
      QString text = esc(r.reason.empty() ? r.rule + ": " + r.observed : r.reason);
      if (!r.met && !r.hint.empty()) text += QStringLiteral("<br/><i>Fix: ") + esc(r.hint) + QStringLiteral("</i>");
      html += QStringLiteral("<tr><td valign='top'>%1</td><td valign='top'><small>%2</small></td><td>%3</td></tr>")
                  .arg(mark, kindTitle(r.kind).toHtmlEscaped(), text);
    }
    html += QStringLiteral("</table>");
    if (!v.variants.empty()) {
      QStringList names;
      for (const std::string& n : v.variants) names << QStringLiteral("<code>%1</code>").arg(esc(n));
      const QString count = v.variants.size() == 1
                                ? QCoreApplication::translate("Eligibility", "1 plan, measured as its own series:")
                                : QCoreApplication::translate("Eligibility", "%1 plans, each measured as its own series:")
                                      .arg(v.variants.size());
      html += QStringLiteral("<p><b>%1</b> %2</p>").arg(count, names.join(QStringLiteral(", ")));
    }
  }
  return html;
}

QList<BackendStatus> mergeReport(const EligibilityReport& report) {
  QList<BackendStatus> out;
  for (const ProbeReport& probe : report.probes) {
    for (const Verdict& v : probe.verdicts) {
      auto it = std::find_if(out.begin(), out.end(), [&](const BackendStatus& s) { return s.info.id == v.info.id; });
      if (it == out.end()) {
        out.append(BackendStatus{v.info, {}, 0, 0});
        it = std::prev(out.end());
      }
      it->probes.push_back(ProbeVerdict{probe.problem, v.eligible(), v.rules, v.variants, v.memory});
      it->memoryOutput = std::max(it->memoryOutput, v.memory.output_bytes);
      it->memoryWorkspace = std::max(it->memoryWorkspace, v.memory.workspace_bytes);
    }
  }
  return out;
}

std::vector<Record> predictionRecords(const QList<BackendStatus>& statuses, const QString& deviceId) {
  std::vector<Record> out;
  for (const BackendStatus& s : statuses)
    for (std::size_t i = 0; i < s.probes.size(); ++i) {
      const ProbeVerdict& v = s.probes[i];
      Record r;
      r.point = int64_t(i);
      r.problem = v.problem;
      r.backend = s.info.id;
      r.device = deviceId.toStdString();
      r.status = v.eligible ? Status::Ok : Status::Ineligible;
      for (const RuleResult& rule : v.rules)
        if (!rule.met) r.unmet.push_back(rule);
      r.memory.predicted_output = v.memory.output_bytes;
      r.memory.predicted_workspace = v.memory.workspace_bytes;
      r.flops = v.problem.flops();
      out.push_back(std::move(r));
    }
  return out;
}

EligibilityService::EligibilityService(QObject* parent) : QObject(parent), worker_(attnscope::gui::workerPath()) {
  debounce_.setSingleShot(true);
  debounce_.setInterval(150);
  connect(&debounce_, &QTimer::timeout, this, [this] {
    abortRunning();
    if (pendingArgs_.isEmpty()) {
      emit updated({});
      return;
    }
    start(pendingArgs_, pendingDevice_);
  });
}

EligibilityService::~EligibilityService() { abortRunning(); }

void EligibilityService::request(const QStringList& problemArgs, const QString& deviceId) {
  pendingArgs_ = problemArgs;
  pendingDevice_ = deviceId;
  debounce_.start();  // restarts: only the last edit within the interval is asked about
}

void EligibilityService::abortRunning() {
  if (!process_) return;
  QProcess* p = process_;
  process_ = nullptr;
  p->disconnect(this);
  p->kill();
  p->waitForFinished(1000);
  p->deleteLater();
}

void EligibilityService::start(const QStringList& problemArgs, const QString& deviceAddress) {
  const WorkerCommand command = isRemoteDevice(deviceAddress) ? remote_ : WorkerCommand::local(worker_);
  if (const QString problem = command.problem(); !problem.isEmpty()) {
    emit failed(problem);
    return;
  }
  auto* p = new QProcess(this);
  process_ = p;
  connect(p, &QProcess::finished, this, &EligibilityService::onFinished);
  connect(p, &QProcess::errorOccurred, this, [this, p, command](QProcess::ProcessError e) {
    if (e != QProcess::FailedToStart || p != process_) return;
    process_ = nullptr;
    p->deleteLater();
    emit failed(tr("Could not start the worker %1: %2").arg(command.describe(), p->errorString()));
  });
  QStringList args{QStringLiteral("backends")};
  args << problemArgs << QStringLiteral("--device") << deviceIdOf(deviceAddress) << QStringLiteral("--json");
  command.start(*p, args);
}

void EligibilityService::onFinished(int exitCode, QProcess::ExitStatus status) {
  QProcess* p = process_;
  if (!p || sender() != p) return;  // an aborted check
  process_ = nullptr;
  p->deleteLater();
  const QByteArray out = p->readAllStandardOutput();
  const QString err = QString::fromLocal8Bit(p->readAllStandardError()).trimmed();
  if (status != QProcess::NormalExit || exitCode != 0) {
    emit failed(tr("attnscope-cli backends failed (exit code %1): %2").arg(exitCode).arg(err));
    return;
  }
  try {
    emit updated(mergeReport(parseEligibility(out)));
  } catch (const std::exception& e) {
    emit failed(tr("Could not read the worker's backend list: %1").arg(QString::fromUtf8(e.what())));
  }
}

}  // namespace attnscope::gui
