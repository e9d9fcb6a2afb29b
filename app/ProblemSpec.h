#pragma once
// The problem as the user typed it in the problem panel: single values or sweeps ("512:16384:x2",
// "64,128"), several dtypes, one device. Checked with the engine's own parser and validator, so the GUI
// and attnscope-cli accept and reject exactly the same input.
#include <QList>
#include <QSettings>
#include <QString>
#include <QStringList>
#include <vector>

#include "attnscope/problem.hpp"

namespace attnscope::gui {

// The defaults are Problem's (problem.hpp), as the CLI's are; the lengths sweep up to Problem's length.
struct ProblemSpec {
  int batch = int(Problem{}.batch);
  int qHeads = int(Problem{}.q_heads);
  int kvHeads = int(Problem{}.kv_heads);
  QString qLen = QStringLiteral("128:%1:x2").arg(Problem{}.q_len);
  QString kvLen;  // empty: the same as the query length at every point (self-attention)
  QString headDim = QString::number(Problem{}.head_dim);
  QStringList dtypes{QString::fromUtf8(to_string(Problem{}.dtype).data(), qsizetype(to_string(Problem{}.dtype).size()))};
  // The benchmark grid's constant work per point (attnscope-cli --tokens / --hidden); 0: off.
  int tokens = 0;  // batch = tokens / query length at each point
  int hidden = 0;  // query heads = hidden / head dim at each point (KV heads keep the GQA ratio)
  bool causal = false;
  QString scale;  // empty: 1/sqrt(head_dim)
  QString device = QStringLiteral("cpu");
  bool eachPlan = false;  // also measure every plan a library offers (cuDNN's engines, flash3's rungs) as its own series
  bool quick = false;  // fewer samples and a short time cap: a first look, not a publishable number
  bool sustained = false;  // the worker's full rule on a GPU (≥ 0.5 s of kernels a point): numbers to publish

  bool operator==(const ProblemSpec&) const = default;

  // The problem as attnscope-cli options, shared by `backends` and `run` (everything but --device):
  // the one encoder of the problem on its way to the worker.
  QStringList problemArgs() const;
  // problemArgs() for `backends`: with each plan measured, also ask which plans there are.
  QStringList eligibilityArgs() const;
  // Quick look, the GPU's interactive rule, or the worker's defaults (CPU, or `sustained` on a GPU).
  QStringList measurementArgs() const;
  void save(QSettings& s) const;
  static ProblemSpec load(const QSettings& s);
};

// A field the user must fix, named like the CLI option's field ("q_len", "head_dim", "dtype", ...).
struct FieldIssue {
  QString field;
  QString message;
};

struct SpecCheck {
  QList<FieldIssue> issues;     // empty ⇒ valid
  std::vector<Problem> points;  // the expanded sweep, in run order
  bool ok() const { return issues.isEmpty(); }
  QString messageFor(const QString& field) const;  // every issue of that field, one per line
};

SpecCheck checkSpec(const ProblemSpec& spec);

}  // namespace attnscope::gui
