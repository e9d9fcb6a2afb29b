#!/usr/bin/env python3
"""One wide table from attnscope-cli result streams: a row per point (dtype, d, causal, N), a TFLOP/s
column per backend (ours and library backends alike, in the order first seen), then the ratios asked for.
A cell that did not run shows its status; a record that failed its fp64 check is marked.

  python3 scripts/grid_table.py a.jsonl b.jsonl --ratio cudnn/torch-cudnn --ratio triton-flash/torch-flash \
      [--markdown table.md]
"""
import argparse

from bench_table import print_table, records_of


def cell(r):
    if r is None:
        return "-"
    if r["status"] != "ok":
        return r["status"]
    acc = r.get("accuracy") or {}
    return f"{r['tflops']:.1f}" + ("" if acc.get("pass", True) else " (acc. FAILED)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--ratio", action="append", default=[], help="A/B: TFLOP/s of backend A over backend B")
    ap.add_argument("--hide-ineligible", action="store_true", help="leave out backends that never ran")
    ap.add_argument("--markdown")
    args = ap.parse_args()
    grid, backends = {}, []
    for path in args.files:
        for r in records_of(path):
            p = r["problem"]
            key = (p["dtype"], p["head_dim"], bool(p["causal"]), p["q_len"])
            grid.setdefault(key, {})[r["backend"]] = r
            if r["backend"] not in backends:
                backends.append(r["backend"])
    if args.hide_ineligible:
        backends = [b for b in backends if any(g.get(b, {}).get("status") == "ok" for g in grid.values())]
    ratios = [tuple(x.split("/", 1)) for x in args.ratio]
    head = ["dtype", "d", "causal", "N", "B", "H"] + backends + [f"{a} / {b}" for a, b in ratios]
    rows = []
    for key in sorted(grid):
        row = grid[key]
        p = next(iter(row.values()))["problem"]
        out = [key[0], str(key[1]), "yes" if key[2] else "no", str(key[3]), str(p["batch"]), str(p["q_heads"])]
        out += [cell(row.get(b)) for b in backends]
        for a, b in ratios:
            ra, rb = row.get(a), row.get(b)
            ok = ra and rb and ra["status"] == "ok" and rb["status"] == "ok"
            out.append(f"{ra['tflops'] / rb['tflops']:.2f}×" if ok else "-")
        rows.append(out)
    print_table(head, rows, args.markdown)


if __name__ == "__main__":
    main()
