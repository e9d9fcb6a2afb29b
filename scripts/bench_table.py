#!/usr/bin/env python3
"""Join attnscope-cli result documents of our backends with those of PyTorch's SDPA library backends
(torch-flash, torch-efficient, torch-cudnn, torch-math; measured by the same executor) and print one table:
for each shape and each of our backends, our TFLOP/s, the matching PyTorch SDPA backend's TFLOP/s, and the ratio.
Matching: cublas-math and naive <-> math, mem-efficient (and mem-efficient-fma, its fp32 CUDA-core kernel)
<-> efficient, flash2 <-> flash, cudnn <-> cudnn.

  python3 scripts/bench_table.py --ours a.json b.json [--torch torch.jsonl] [--markdown table.md]
"""
import argparse
import json
import os

MATCH = {"cublas-math": "math", "naive": "math", "mem-efficient": "efficient", "mem-efficient-fma": "efficient",
         "flash2": "flash", "cudnn": "cudnn"}


def records_of(path):
    """Records of a result document (--json) or of a JSON-lines stream (--stream), which survives a
    run cut short."""
    with open(path) as f:
        text = f.read()
    try:
        return json.loads(text).get("records", [])
    except json.JSONDecodeError:
        lines = (json.loads(line) for line in text.splitlines() if line.strip().startswith("{"))
        return [m["record"] for m in lines if m.get("type") == "record"]


def load_ours(files):
    out = {}
    for path in files:
        if not os.path.exists(path):
            continue
        for r in records_of(path):
            p = r["problem"]
            key = (p["dtype"], p["head_dim"], bool(p["causal"]), p["q_len"])
            out.setdefault(key, {})[r["backend"]] = r
    return out


def load_torch(path):
    """PyTorch's SDPA rows by (dtype, d, causal, N) and backend name without "torch-"."""
    out = {}
    if not path or not os.path.exists(path):
        return out
    for r in records_of(path):
        if not r["backend"].startswith("torch-"):
            continue
        p = r["problem"]
        row = dict(r, peak_mib=((r.get("memory") or {}).get("peak") or 0) / 2**20)
        out.setdefault((p["dtype"], p["head_dim"], bool(p["causal"]), p["q_len"]), {})[r["backend"][6:]] = row
    return out


def ours_cell(r):
    if r["status"] != "ok":
        return r["status"], None, None
    acc = r.get("accuracy") or {}
    return (f"{r['tflops']:.1f}" + ("" if acc.get("pass", True) else " (FAILED accuracy)"), r["tflops"],
            (r.get("memory") or {}).get("peak"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ours", nargs="+", required=True)
    ap.add_argument("--torch")
    ap.add_argument("--markdown")
    args = ap.parse_args()
    ours, torch = load_ours(args.ours), load_torch(args.torch)
    head = ["dtype", "d", "causal", "N", "B", "H", "ours", "TFLOP/s", "peak MiB", "torch", "TFLOP/s", "peak MiB",
            "ours/torch"]
    rows = []
    order = {"float16": 0, "bfloat16": 1, "float32": 2}
    for key in sorted(ours, key=lambda k: (order.get(k[0], 9), k[1], k[2], k[3])):
        for backend, r in ours[key].items():
            if backend not in MATCH:
                continue
            p = r["problem"]
            cell, tf, peak = ours_cell(r)
            tname = MATCH[backend]
            t = torch.get(key, {}).get(tname)
            if t is None:
                tcell, ttf, tpeak = "-", None, None
            elif t["status"] != "ok":
                tcell, ttf, tpeak = t["status"], None, None
            else:
                tcell, ttf, tpeak = f"{t['tflops']:.1f}", t["tflops"], t["peak_mib"]
            ratio = f"{tf / ttf:.2f}x" if tf and ttf else "-"
            rows.append([key[0], str(key[1]), "yes" if key[2] else "no", str(key[3]), str(p["batch"]),
                         str(p["q_heads"]), backend, cell, f"{peak / 2**20:.0f}" if peak else "-", tname, tcell,
                         f"{tpeak:.0f}" if tpeak is not None else "-", ratio])
    print_table(head, rows, args.markdown)


def print_table(head, rows, markdown=None):
    """Right-aligned columns on stdout, and the same table as markdown when a path is given."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    fmt = "  ".join("{:>%d}" % w for w in widths)
    print(fmt.format(*head))
    for r in rows:
        print(fmt.format(*r))
    if markdown:
        with open(markdown, "w") as f:
            f.write("| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n")
            for r in rows:
                f.write("| " + " | ".join(r) + " |\n")


if __name__ == "__main__":
    main()
