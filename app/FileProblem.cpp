#include "FileProblem.h"

#include <QCoreApplication>
#include <QSet>
#include <algorithm>
#include <set>
#include <tuple>

#include "attnscope/registry.hpp"
#include "recorded_problem.hpp"

namespace attnscope::gui {
namespace {

QString tr(const char* text) { return QCoreApplication::translate("FileProblem", text); }

// The distinct values of one field over the records, in the order they first appear (the sweep's order).
template <class Value>
std::vector<Value> distinct(const std::vector<Record>& records, Value (*field)(const Problem&)) {
  std::vector<Value> out;
  for (const Record& r : records)
    if (const Value v = field(r.problem); std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  return out;
}

QString joined(const std::vector<int64_t>& values) {
  QStringList parts;
  for (int64_t v : values) parts << QString::number(v);
  return parts.join(QLatin1Char(','));
}

// The values in the form's sweep syntax: a range where they make one ("8192:131072:x2", "128:512:+128").
QString sweepText(const std::vector<int64_t>& v) {
  if (v.size() < 3) return joined(v);
  const bool geometric = v[0] > 0 && v[1] % v[0] == 0 && v[1] / v[0] >= 2 &&
                         std::adjacent_find(v.begin(), v.end(), [&](int64_t a, int64_t b) { return b != a * (v[1] / v[0]); }) == v.end();
  if (geometric) return QStringLiteral("%1:%2:x%3").arg(v.front()).arg(v.back()).arg(v[1] / v[0]);
  const bool arithmetic = v[1] > v[0] &&
                          std::adjacent_find(v.begin(), v.end(), [&](int64_t a, int64_t b) { return b - a != v[1] - v[0]; }) == v.end();
  if (arithmetic) return QStringLiteral("%1:%2:+%3").arg(v.front()).arg(v.back()).arg(v[1] - v[0]);
  return joined(v);
}

// Whether the spec's sweep holds every record's problem. A file may hold several runs (the project's
// decode.jsonl appends one per batch): its last command line then describes only part of it.
bool covers(const ProblemSpec& s, const std::vector<Record>& records) {
  const SpecCheck check = checkSpec(s);
  if (!check.ok()) return false;
  using Shape = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int, bool>;
  auto shape = [](const Problem& p) {
    return Shape{p.batch, p.q_heads, p.kv_heads, p.q_len, p.kv_len, p.head_dim, int(p.dtype), p.causal};
  };
  std::set<Shape> points;
  for (const Problem& p : check.points) points.insert(shape(p));
  return std::all_of(records.begin(), records.end(), [&](const Record& r) { return points.count(shape(r.problem)) > 0; });
}

// Every record's product of two fields, when it is one number (the grid's --tokens / --hidden).
std::optional<int64_t> constantProduct(const std::vector<Record>& records, int64_t (*a)(const Problem&), int64_t (*b)(const Problem&)) {
  std::optional<int64_t> product;
  for (const Record& r : records) {
    const int64_t p = a(r.problem) * b(r.problem);
    if (product && *product != p) return std::nullopt;
    product = p;
  }
  return product;
}

void fromCommandLine(const cli::TypedProblem& t, ProblemSpec& s) {
  s.batch = int(t.batch);
  s.qHeads = int(t.heads);
  s.kvHeads = int(t.kv_heads);
  s.tokens = t.tokens ? int(*t.tokens) : 0;
  s.hidden = t.hidden ? int(*t.hidden) : 0;
  s.qLen = QString::fromStdString(t.q_len);
  s.kvLen = QString::fromStdString(t.kv_len);
  s.headDim = QString::fromStdString(t.head_dim);
  s.dtypes = QString::fromStdString(t.dtype).split(QLatin1Char(','), Qt::SkipEmptyParts);
  for (QString& d : s.dtypes) d = d.trimmed();
  s.causal = t.causal;
  s.scale = t.scale ? QString::number(*t.scale, 'g', 17) : QString();
}

void fromRecords(const std::vector<Record>& records, ProblemSpec& s, QStringList& notes) {
  auto batch = +[](const Problem& p) { return p.batch; };
  auto qLen = +[](const Problem& p) { return p.q_len; };
  auto kvLen = +[](const Problem& p) { return p.kv_len; };
  auto heads = +[](const Problem& p) { return p.q_heads; };
  auto dim = +[](const Problem& p) { return p.head_dim; };
  const Problem& first = records.front().problem;
  s.qHeads = int(first.q_heads);
  s.kvHeads = int(first.kv_heads);
  s.batch = int(first.batch);
  s.tokens = s.hidden = 0;
  if (distinct(records, batch).size() > 1) {
    // The benchmark grid keeps batch × length constant; anything else the form cannot say.
    if (const auto tokens = constantProduct(records, batch, qLen)) s.tokens = int(*tokens);
    else notes << tr("batch varies (%1); the form shows %2").arg(joined(distinct(records, batch))).arg(s.batch);
  }
  if (distinct(records, heads).size() > 1) {
    if (const auto hidden = constantProduct(records, heads, dim)) s.hidden = int(*hidden);
    else notes << tr("query heads vary (%1); the form shows %2").arg(joined(distinct(records, heads))).arg(s.qHeads);
  }
  const bool selfAttention =
      std::all_of(records.begin(), records.end(), [](const Record& r) { return r.problem.q_len == r.problem.kv_len; });
  s.qLen = sweepText(distinct(records, qLen));
  s.kvLen = selfAttention ? QString() : sweepText(distinct(records, kvLen));
  s.headDim = sweepText(distinct(records, dim));
  s.dtypes.clear();
  for (DType t : distinct(records, +[](const Problem& p) { return p.dtype; }))
    s.dtypes << QString::fromUtf8(to_string(t).data(), qsizetype(to_string(t).size()));
  const auto causal = distinct(records, +[](const Problem& p) { return p.causal; });
  s.causal = causal.front();
  if (causal.size() > 1) notes << tr("the file has causal and non-causal points; the form shows %1").arg(s.causal ? tr("causal") : tr("non-causal"));
  s.scale.clear();
}

}  // namespace

FileProblem fileProblem(const ResultDocument& doc, const ProblemSpec& base) {
  FileProblem out;
  out.spec = base;
  out.devices = doc.devices.empty() ? std::vector<DeviceInfo>{doc.device} : doc.devices;
  if (const auto typed = cli::recorded_problem(doc.settings.argv)) {
    fromCommandLine(*typed, out.spec);
    out.fromCommandLine = covers(out.spec, doc.records);
    if (!out.fromCommandLine) out.notes << tr("its command line is the last of several runs in the file: the form is made from its records");
  }
  if (!out.fromCommandLine && !doc.records.empty()) fromRecords(doc.records, out.spec, out.notes);
  for (const std::string& id : doc.settings.backends) out.backends << QString::fromStdString(id);
  if (out.backends.isEmpty())
    for (const Record& r : doc.records)
      if (const QString id = QString::fromStdString(r.backend); !out.backends.contains(id)) out.backends << id;
  return out;
}

QString missingBackendsNote(const QStringList& fileBackends, const QList<BackendStatus>& listed, const QString& fileLabel) {
  if (listed.isEmpty()) return {};
  QStringList missing;
  for (const QString& id : fileBackends)
    if (std::none_of(listed.begin(), listed.end(), [&](const BackendStatus& s) { return QString::fromStdString(s.info.id) == id; }))
      missing << id;
  if (missing.isEmpty()) return {};
  // Without Python the worker lists one row in place of every library backend; its rule "python" says why.
  const auto noPython = std::find_if(listed.begin(), listed.end(),
                                     [](const BackendStatus& s) { return s.info.id == kNoPythonBackendId; });
  QString why;
  if (noPython != listed.end())
    for (const RuleResult& r : noPython->unmetRules())
      if (r.rule == "python")
        why = tr(" Library backends are registered only when Python is found: %1 — fix: %2.")
                  .arg(QString::fromStdString(r.reason), QString::fromStdString(r.hint));
  const QString ids = missing.join(QStringLiteral(", "));
  const QString note = why.isEmpty() ? tr("Not in this build: %1 (%2 ran them).").arg(ids, fileLabel)
                                     : tr("Not registered here: %1 (%2 ran them).").arg(ids, fileLabel) + why;
  return note + QLatin1Char(' ') + tr("They cannot be checked to run again; their records still plot.");
}

QStringList problemDifferences(const ProblemSpec& a, const ProblemSpec& b) {
  QStringList out;
  if (a.batch != b.batch || a.tokens != b.tokens) out << tr("batch");
  if (a.qHeads != b.qHeads || a.kvHeads != b.kvHeads || a.hidden != b.hidden) out << tr("heads");
  if (a.qLen.trimmed() != b.qLen.trimmed() || a.kvLen.trimmed() != b.kvLen.trimmed()) out << tr("lengths");
  if (a.headDim.trimmed() != b.headDim.trimmed()) out << tr("head dim");
  if (QSet<QString>(a.dtypes.begin(), a.dtypes.end()) != QSet<QString>(b.dtypes.begin(), b.dtypes.end())) out << tr("dtypes");
  if (a.causal != b.causal) out << tr("causal");
  if (a.scale.trimmed() != b.scale.trimmed()) out << tr("scale");
  return out;
}

}  // namespace attnscope::gui
