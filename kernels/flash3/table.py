#!/usr/bin/env python3
"""Tables from gpu_run.sh's output (attnscope-cli JSON lines). Another binary's or setting's records carry it in their
backend id, flash3[<tag>] (gpu_run.sh's tag, as `run --each-plan` names a variant), or, in files written before
2026-12-07's call 20, in a "variant" field beside the record: both make the column "flash3 <tag>".
  table.py ladder FILES...         one row per variant (schedule / tile / older binary) at N=8k
  table.py grid grid_*.jsonl        the standard grid: flash3 vs cudnn, flash2 and the older binary
  table.py runs ab.jsonl            several binaries or settings in rotation (records <backend>[<label>-<n>], e.g.
                                    gpu_run.sh's rotate step): each label's mean per cell and its ratio to the first label
  table.py abba abba.jsonl          gpu_run.sh's abba step: per cell flash3's and cudnn's two runs (order A B B A), their
                                    means and ratio, and each run's mean SM clock
TFLOP/s as attnscope-cli reports them (CUPTI span, cold L2); a failed accuracy check is marked."""
import json
import sys


def records(paths):
    for path in paths:
        for line in open(path):
            line = line.strip()
            if line.startswith("{"):
                m = json.loads(line)
                if m.get("type") == "record":
                    yield m.get("variant"), m["record"]


def value(r):
    if r is None:
        return None, "-"
    if r["status"] != "ok":
        return None, r["status"]
    ok = (r.get("accuracy") or {}).get("pass", True)
    return r["tflops"], f"{r['tflops']:.1f}" + ("" if ok else " (FAILED accuracy)")


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "-"


def column_of(variant, backend):
    if backend.endswith("]") and "[" in backend:  # a named variant, e.g. flash3[serial]
        backend, name = backend[:-1].split("[", 1)
        variant = name if variant in (None, "default") else f"{name} {variant}"
    return backend if variant in (None, "default") else f"{backend} {variant}"


def key_of(r):
    p = r["problem"]
    return p["dtype"], p["head_dim"], bool(p["causal"]), p["q_len"]


mode, paths = sys.argv[1], sys.argv[2:]
cells = {}  # key -> {column: record}
for variant, r in records(paths):
    column = column_of(variant, r["backend"])
    cells.setdefault(key_of(r), {})[column] = r

if mode == "abba":
    print("| dtype | d | causal | N | flash3 (2 runs) | cudnn (2 runs) | flash3 / cudnn | SM clock MHz, flash3 / cudnn |")
    print("|---|---:|:---:|---:|---:|---:|---:|---|")
    for key in sorted(cells):
        row = cells[key]
        runs = {b: [row.get(f"{b} abba{i}") for i in (1, 2)] for b in ("flash3", "cudnn")}
        mean = {}
        for b, rs in runs.items():
            ts = [value(r)[0] for r in rs]
            mean[b] = sum(ts) / 2 if all(ts) else None
        texts = [f"{mean[b]:.1f} ({' / '.join(value(r)[1] for r in runs[b])})" if mean[b] else "-" for b in ("flash3", "cudnn")]
        clocks = " / ".join(",".join(f"{r['sm_clock_mhz']:.0f}" if r and r.get("sm_clock_mhz") else "-" for r in runs[b])
                            for b in ("flash3", "cudnn"))
        print(f"| {key[0]} | {key[1]} | {'yes' if key[2] else 'no'} | {key[3]} | {texts[0]} | {texts[1]} | "
              f"{ratio(mean['flash3'], mean['cudnn'])} | {clocks} |")
elif mode == "runs":
    # Several binaries or settings in rotation (A B C C B A), each record tagged <backend>[<label>-<n>]: per cell each
    # label's mean over its runs, and its ratio to the first label in the file.
    def label_of(column):  # "flash3 base-3" -> "base"; None for a column without a run number
        name = column.split(" ", 1)[-1]
        return name.rsplit("-", 1)[0] if " " in column and name.rsplit("-", 1)[-1].isdigit() else None

    labels = []
    for row in cells.values():
        for c in row:
            if label_of(c) is not None and label_of(c) not in labels:
                labels.append(label_of(c))
    print("| dtype | d | causal | N | " + " | ".join(labels) + " |")
    print("|---|---:|:---:|---:|" + "---:|" * len(labels))
    for key in sorted(cells):
        row, means, texts = cells[key], {}, []
        for label in labels:
            ts = [value(r)[0] for c, r in row.items() if label_of(c) == label]
            means[label] = sum(ts) / len(ts) if ts and all(ts) else None
            text = f"{means[label]:.1f} ({' / '.join(f'{t:.1f}' for t in ts)})" if means[label] else "-"
            if label != labels[0]:
                text += f" {ratio(means[label], means[labels[0]])}"
            texts.append(text)
        print(f"| {key[0]} | {key[1]} | {'yes' if key[2] else 'no'} | {key[3]} | " + " | ".join(texts) + " |")
elif mode == "ladder":
    print("| variant | d | causal | TFLOP/s | / default flash3 | / cudnn |")
    print("|---|---:|:---:|---:|---:|---:|")
    for key in sorted((k for k in cells if k[3] == 8192), key=lambda k: (k[2], -k[1])):
        row = cells[key]
        base, _ = value(row.get("flash3"))
        cudnn, _ = value(row.get("cudnn"))
        for column in ["cudnn", "flash2"] + [c for c in row if c.startswith("flash3")]:  # as measured: ladder order
            if column in row:
                t, text = value(row[column])
                print(f"| {column} | {key[1]} | {'yes' if key[2] else 'no'} | {text} | {ratio(t, base)} | {ratio(t, cudnn)} |")
else:
    variants = sorted({c for row in cells.values() for c in row if c.startswith("flash3 ")} - {"flash3 before"})
    flash2 = ["flash2", "flash2 before"] if any("flash2 before" in row for row in cells.values()) else ["flash2"]
    head = ["flash3", "flash3 before"] + variants + flash2 + ["cudnn", "flash3 / cudnn", "flash3 / before", "flash3 / flash2"]
    head += [f"{v} / cudnn" for v in variants] + (["flash2 / before"] if len(flash2) == 2 else [])
    print("| dtype | d | causal | N | " + " | ".join(head) + " |")
    print("|---|---:|:---:|---:|" + "---:|" * len(head))
    for key in sorted(cells):
        row = cells[key]
        got = {c: value(row.get(c)) for c in ["flash3", "flash3 before", "flash2", "flash2 before", "cudnn"] + variants}
        t = {c: v[0] for c, v in got.items()}
        texts = [got[c][1] for c in ["flash3", "flash3 before"] + variants + flash2 + ["cudnn"]]
        texts += [ratio(t["flash3"], t["cudnn"]), ratio(t["flash3"], t["flash3 before"]), ratio(t["flash3"], t["flash2"])]
        texts += [ratio(t[v], t["cudnn"]) for v in variants]
        texts += [ratio(t["flash2"], t["flash2 before"])] if len(flash2) == 2 else []
        print(f"| {key[0]} | {key[1]} | {'yes' if key[2] else 'no'} | {key[3]} | " + " | ".join(texts) + " |")
