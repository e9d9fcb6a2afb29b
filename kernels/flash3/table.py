#!/usr/bin/env python3
"""flash3 vs flash2 vs PyTorch's cuDNN SDPA from gpu_run.sh's output folder: one markdown table (TFLOP/s,
ratios) and the schedule ladder. Usage: python3 kernels/flash3/table.py OUT"""
import json
import os
import sys


def records(path):
    out = []
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line.startswith("{"):
                m = json.loads(line)
                if m.get("type") == "record":
                    out.append((m.get("schedule"), m["record"]))
    return out


def cell(r):
    if r is None:
        return "-", None
    if r["status"] != "ok":
        return r["status"], None
    ok = (r.get("accuracy") or {}).get("pass", True)
    return f"{r['tflops']:.1f}" + ("" if ok else " (FAILED accuracy)"), r["tflops"]


out = sys.argv[1]
ours = {}
for f in ("bench_full.jsonl", "bench_causal.jsonl"):
    for _, r in records(os.path.join(out, f)):
        p = r["problem"]
        ours.setdefault((p["head_dim"], bool(p["causal"]), p["q_len"]), {})[r["backend"]] = r
cudnn = {}
tp = os.path.join(out, "torch_cudnn.json")
if os.path.exists(tp):
    for r in json.load(open(tp))["rows"]:
        if r.get("status", "ok") == "ok" and "tflops" in r:
            cudnn[(r["head_dim"], bool(r["causal"]), r["seq"])] = r["tflops"]
print("| d | causal | N | flash3 | flash2 | cuDNN (torch) | flash3/flash2 | flash3/cuDNN |")
print("|---|---|---|---|---|---|---|---|")
for key in sorted(ours):
    f3, t3 = cell(ours[key].get("flash3"))
    f2, t2 = cell(ours[key].get("flash2"))
    c = cudnn.get(key)
    r2 = f"{t3 / t2:.2f}" if t3 and t2 else "-"
    rc = f"{t3 / c:.2f}" if t3 and c else "-"
    print(f"| {key[0]} | {int(key[1])} | {key[2]} | {f3} | {f2} | {f'{c:.1f}' if c else '-'} | {r2} | {rc} |")
print()
print("| schedule (bf16 d=128 N=8k) | causal | TFLOP/s |")
print("|---|---|---|")
for schedule, r in records(os.path.join(out, "ladder.jsonl")):
    print(f"| {schedule} | {int(r['problem']['causal'])} | {cell(r)[0]} |")
