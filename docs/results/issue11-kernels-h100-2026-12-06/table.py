#!/usr/bin/env python3
"""The before/after table of the issue-11 kernel change from the A/B/A/B files of one call.
   table.py A1.jsonl B1.jsonl A2.jsonl B2.jsonl > table.md
Per cell: the median latency of each run (µs), the run-to-run spread |A1 − A2| / mean(A) and
|B1 − B2| / mean(B), and the change mean(B) / mean(A) − 1 (negative: the change is faster)."""
import json, sys

def load(path):
    out = {}
    for line in open(path):
        r = json.loads(line)
        if r.get("type") != "record" or r["record"].get("status") != "ok": continue
        rec = r["record"]; p = rec["problem"]
        key = (rec["backend"], p["dtype"], p["head_dim"], p["causal"], p["batch"], p["q_len"], p["kv_len"])
        out[key] = (rec["latency_us"]["median"], rec.get("tflops"), rec["accuracy"]["pass"] if rec.get("accuracy") else None)
    return out

runs = [load(f) for f in sys.argv[1:5]]
keys = sorted(set(runs[0]) & set(runs[1]) & set(runs[2]) & set(runs[3]),
              key=lambda k: (k[0] != "flash2", k[0], k[1], k[2], k[3], k[4], k[5], k[6]))
print("| backend | dtype | d | causal | B | q_len | kv_len | A1 µs | A2 µs | B1 µs | B2 µs | spread A | spread B | change B vs A | TFLOP/s A → B |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
worst = []
for k in keys:
    a1, b1, a2, b2 = (runs[i][k][0] for i in (0, 1, 2, 3))
    ta = (runs[0][k][1] + runs[2][k][1]) / 2; tb = (runs[1][k][1] + runs[3][k][1]) / 2
    ma, mb = (a1 + a2) / 2, (b1 + b2) / 2
    sa, sb, ch = abs(a1 - a2) / ma, abs(b1 - b2) / mb, mb / ma - 1
    worst.append((ch - max(sa, sb), k, ch, sa, sb))
    print(f"| {k[0]} | {k[1]} | {k[2]} | {'yes' if k[3] else 'no'} | {k[4]} | {k[5]} | {k[6]} | {a1:.1f} | {a2:.1f} | {b1:.1f} | {b2:.1f} "
          f"| {100*sa:.1f} % | {100*sb:.1f} % | {100*ch:+.1f} % | {ta:.1f} → {tb:.1f} |")
fails = [k for k in keys for i in range(4) if runs[i][k][2] is False]
print()
print(f"{len(keys)} cells; accuracy failures: {len(fails)}")
slower = [w for w in worst if w[2] > max(w[3], w[4])]
print(f"cells where the change is slower than the larger A-vs-A / B-vs-B spread: {len(slower)}")
for w in sorted(slower, reverse=True)[:10]:
    print(f"  {w[1]}: {100*w[2]:+.1f} % (spread A {100*w[3]:.1f} %, B {100*w[4]:.1f} %)")
