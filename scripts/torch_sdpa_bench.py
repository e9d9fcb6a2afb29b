#!/usr/bin/env python3
"""Time torch.nn.functional.scaled_dot_product_attention with each of its backends (flash, efficient,
cudnn, math) on AttnScope's standard grid, measured the way attnscope-cli measures: cold L2 (a buffer
of 2x the L2 size is read before every sample, which leaves L2 clean: engine/cuda/l2_flush.hpp says
why), CUDA events around one call, median of the samples under a minimum-samples/minimum-time rule.
Writes one JSON document; bench_table.py joins it with attnscope-cli's results.

  python3 scripts/torch_sdpa_bench.py --json torch.json [--tokens 16384 --hidden 2048 \
      --seq 512,1024,2048,4096,8192,16384 --head-dim 64,128 --dtype float16,bfloat16,float32]
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

BACKENDS = {
    "flash": SDPBackend.FLASH_ATTENTION,
    "efficient": SDPBackend.EFFICIENT_ATTENTION,
    "cudnn": SDPBackend.CUDNN_ATTENTION,
    "math": SDPBackend.MATH,
}
DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}


def flops(b, h, n, d, causal):
    # Same convention as attnscope's Problem::flops(): 4·B·H·D·(unmasked (query, key) pairs).
    pairs = n * (n + 1) // 2 if causal else n * n
    return 4.0 * b * h * d * pairs


def time_call(fn, flush, min_samples, min_time, max_time):
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    warm_t0 = time.perf_counter()
    for i in range(100):  # warm-up: at least 3 calls and 0.1 s
        fn()
        torch.cuda.synchronize()
        if i >= 2 and time.perf_counter() - warm_t0 > 0.1:
            break
    samples, t0 = [], time.perf_counter()
    while True:
        flush.max()  # cold, clean L2 (a read); also keeps the GPU busy while the host queues the call
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        samples.append(start.elapsed_time(stop))  # ms
        done = len(samples) >= min_samples and sum(samples) / 1e3 >= min_time
        if done or time.perf_counter() - t0 > max_time:
            return samples


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", required=True)
    ap.add_argument("--tokens", type=int, default=16384)
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--seq", default="512,1024,2048,4096,8192,16384")
    ap.add_argument("--head-dim", default="64,128")
    ap.add_argument("--dtype", default="float16,bfloat16,float32")
    ap.add_argument("--backends", default="flash,efficient,cudnn,math")
    ap.add_argument("--math-max-seq", type=int, default=8192,
                    help="skip the math backend above this length (its N² intermediates exceed 80 GB)")
    ap.add_argument("--min-samples", type=int, default=10)
    ap.add_argument("--min-time", type=float, default=0.1)
    ap.add_argument("--max-time", type=float, default=3.0)
    args = ap.parse_args()

    # Match attnscope's fp32 (true fp32, TF32 off) and keep inputs reproducible.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(7)
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(dev)
    l2 = getattr(props, "L2_cache_size", 50 << 20)
    flush = torch.full((2 * l2 // 4,), 0x5A5A5A5A, dtype=torch.int32, device=dev)

    rows = []

    def save():  # after every shape, so a run cut short keeps what it measured
        doc = dict(tool="torch.nn.functional.scaled_dot_product_attention", torch_version=torch.__version__,
                   cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(), device=props.name,
                   method="CUDA events around one call, cold L2 (2x L2 read before each sample), median",
                   argv=sys.argv, rows=rows)
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)

    seqs = [int(x) for x in args.seq.split(",")]
    for dname in args.dtype.split(","):
        dtype = DTYPES[dname]
        for d in [int(x) for x in args.head_dim.split(",")]:
            for causal in (False, True):
                for n in seqs:
                    b, h = max(1, args.tokens // n), args.hidden // d
                    q = torch.rand(b, h, n, d, device=dev, dtype=dtype) * 2 - 1
                    k = torch.rand_like(q) * 2 - 1
                    v = torch.rand_like(q) * 2 - 1
                    for name in args.backends.split(","):
                        row = dict(dtype=dname, head_dim=d, causal=causal, seq=n, batch=b, heads=h, backend=name)
                        if name == "math" and n > args.math_max_seq:
                            row.update(status="skipped", reason=f"math path skipped above N={args.math_max_seq}")
                            rows.append(row)
                            continue
                        fn = lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal)
                        try:
                            with sdpa_kernel(BACKENDS[name]):
                                torch.cuda.synchronize()
                                torch.cuda.reset_peak_memory_stats()
                                base = torch.cuda.memory_allocated()
                                fn()
                                torch.cuda.synchronize()
                                peak = torch.cuda.max_memory_allocated() - base
                                samples = time_call(fn, flush, args.min_samples, args.min_time, args.max_time)
                            med = statistics.median(samples)
                            row.update(status="ok", median_ms=med, min_ms=min(samples), n=len(samples),
                                       tflops=flops(b, h, n, d, causal) / (med * 1e-3) / 1e12,
                                       peak_mib=peak / 2**20)
                        except torch.OutOfMemoryError as e:
                            row.update(status="out-of-memory", reason=str(e).splitlines()[0][:200])
                        except RuntimeError as e:
                            row.update(status="unsupported", reason=str(e).splitlines()[0][:200])
                        rows.append(row)
                        torch.cuda.empty_cache()
                    line = " ".join(f"{r['backend']}:{r['tflops']:.0f}TF" if r.get("status") == "ok" else
                                    f"{r['backend']}:{r['status']}" for r in rows[-len(args.backends.split(',')):])
                    print(f"{dname} d={d} causal={int(causal)} N={n} B={b} H={h} {line}", flush=True)
                    del q, k, v
                    save()


if __name__ == "__main__":
    main()
