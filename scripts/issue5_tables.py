#!/usr/bin/env python3
"""Tables for the decode and small-head-dim backends, from attnscope-cli results of one GPU run:

  decode:  split-kv-decode's effective bandwidth (bytes of K and V read / median latency) against the
           copy bandwidth `attnscope-cli bandwidth --json` measured on the same GPU, next to flash2 and
           mem-efficient on the same shapes; when that file has cold reads (`--read-mib`) of a point's
           K and V bytes, also the time of that plain read and split-kv's share of it (100 % = as fast
           as reading the cache and doing nothing else);
  small-k: small-k vs mem-efficient (and mem-efficient-fma) TFLOP/s at float32.

  python3 scripts/issue5_tables.py --bandwidth bw.json --decode d1.jsonl ... --smallk s.jsonl ... [--markdown out.md]
"""
import argparse
import json
import os

from bench_table import records_of

ESIZE = {"float32": 4, "float16": 2, "bfloat16": 2}


def load(files):
    out = {}
    for path in files or []:
        if os.path.exists(path):
            for r in records_of(path):
                p = r["problem"]
                key = (p["dtype"], p["head_dim"], bool(p["causal"]), p["batch"], p["q_len"], p["kv_len"])
                out.setdefault(key, {})[r["backend"]] = r
    return out


def median_us(r):
    return r["latency_us"]["median"] if r and r["status"] == "ok" else None


def fmt_table(head, rows):
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    fmt = "  ".join("{:>%d}" % w for w in widths)
    text = [fmt.format(*head)] + [fmt.format(*r) for r in rows]
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(text), "\n".join(md)


def decode_table(bw, recs, reads=None):
    reads = reads or {}  # bytes -> cold-read median µs
    head = ["B", "Hq/Hkv", "kv_len", "d", "dtype", "split-kv µs", "eff. GB/s", "% of copy", "cold read µs",
            "% of cold read", "flash2 µs", "mem-efficient µs", "fastest"]
    rows = []
    for key in sorted(recs, key=lambda k: (k[3], k[5])):
        dtype, d, causal, b, q, kv = key
        rs = recs[key]
        s = rs.get("split-kv-decode")
        t = median_us(s)
        if s is None:
            continue
        p = s["problem"]
        kv_bytes = 2 * b * p["kv_heads"] * kv * d * ESIZE[dtype]
        gbs = kv_bytes / (t * 1e-6) / 1e9 if t else None
        others = {n: median_us(rs.get(n)) for n in ("flash2", "mem-efficient")}
        fastest = all(o is None or (t and t < o) for o in others.values())
        read = reads.get(kv_bytes)
        rows.append([str(b), f"{p['q_heads']}/{p['kv_heads']}", str(kv), str(d), dtype,
                     f"{t:.1f}" if t else s["status"], f"{gbs:.0f}" if gbs else "-",
                     f"{100 * gbs / bw:.0f}%" if gbs and bw else "-",
                     f"{read:.1f}" if read else "-", f"{100 * read / t:.0f}%" if read and t else "-",
                     *(f"{o:.1f}" if o else "-" for o in others.values()), "yes" if fastest else "no"])
    return head, rows


def smallk_table(recs):
    # mem-efficient's float32 runs 3xTF32 tensor cores at these head dims; mem-efficient-fma is its
    # CUDA-core kernel (when measured in the same run).
    head = ["d", "causal", "N", "B", "H", "small-k TFLOP/s", "mem-efficient TFLOP/s", "speed-up",
            "mem-efficient-fma TFLOP/s", "speed-up vs fma"]
    rows = []

    def tflops(r):
        return r["tflops"] if r and r["status"] == "ok" else None

    for key in sorted(recs, key=lambda k: (k[1], k[2], k[4])):
        rs = recs[key]
        a = rs.get("small-k")
        if not a:
            continue
        ta, tb, tc = tflops(a), tflops(rs.get("mem-efficient")), tflops(rs.get("mem-efficient-fma"))
        p = a["problem"]
        rows.append([str(key[1]), "yes" if key[2] else "no", str(key[4]), str(p["batch"]), str(p["q_heads"]),
                     f"{ta:.1f}" if ta else a["status"], f"{tb:.1f}" if tb else "-",
                     f"{ta / tb:.2f}x" if ta and tb else "-", f"{tc:.1f}" if tc else "-",
                     f"{ta / tc:.2f}x" if ta and tc else "-"])
    return head, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bandwidth")
    ap.add_argument("--decode", nargs="*")
    ap.add_argument("--smallk", nargs="*")
    ap.add_argument("--markdown")
    args = ap.parse_args()
    bw, reads = None, {}
    if args.bandwidth and os.path.exists(args.bandwidth):
        with open(args.bandwidth) as f:
            doc = json.load(f)
        bw = doc["gbs"]
        reads = {c["bytes"]: c["median_us"] for c in doc.get("cold_reads", [])}
    md = []
    if args.decode:
        print(f"copy bandwidth (same GPU, same run): {bw:.0f} GB/s" if bw else "copy bandwidth: not measured")
        text, m = fmt_table(*decode_table(bw, load(args.decode), reads))
        print(text)
        md += [f"Copy bandwidth: {bw:.0f} GB/s\n" if bw else "", m, ""]
    if args.smallk:
        text, m = fmt_table(*smallk_table(load(args.smallk)))
        print(text)
        md += [m, ""]
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(md))


if __name__ == "__main__":
    main()
