#!/usr/bin/env python3
"""Sanity bar for the library backends' timing (issue 13): time the same library calls that
`attnscope-cli run` measured, with triton.testing.do_bench (cold L2: do_bench clears a 256 MB buffer
before every repetition), and compare the medians with AttnScope's records of the same points.

The calls are the bridge's own (kernels/python_libs/attnscope_libs), so both sides run exactly the same
Python; inputs are [B, H, N, D] tensors of the problem's shape and dtype. Our median is the record's
CUPTI span median; do_bench's is CUDA events around each call, so it also holds whatever host work the
library does before its kernel starts (the GPU waits for it after the L2 clear). The last column times the
same call replayed from a CUDA graph, still by do_bench with its L2 clear: launch and host work left out,
which shows how much of a difference is the library's host side rather than the kernel.

  python3 scripts/do_bench_check.py --records a.jsonl b.jsonl [--seq 8192] [--head-dim 128] [--dtype bfloat16]
"""
import argparse
import os
import sys

from bench_table import records_of

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kernels", "python_libs"))


def graph_replay_ms(torch, triton, call):
    """do_bench's median of the call replayed from a CUDA graph, or None where the call cannot be captured."""
    try:
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(3):
                call()  # warm-up outside the capture (plans, autotuning, lazy loading)
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            call()
        return triton.testing.do_bench(graph.replay, warmup=25, rep=100, return_mode="median")
    except Exception as e:  # a library that synchronizes or allocates in ways capture refuses
        print(f"  (no CUDA graph: {type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''})")
        return None


def kernels_of(torch, call):
    """The CUDA kernels one call launches, by name, as PyTorch's profiler (CUPTI underneath) sees them."""
    from torch.profiler import ProfilerActivity, profile
    call()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        call()
        torch.cuda.synchronize()
    return [e.name for e in prof.events() if e.device_type.name == "CUDA" and "Memset" not in e.name]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", nargs="+", required=True, help="attnscope-cli run --stream outputs")
    ap.add_argument("--seq", type=int, default=8192)
    ap.add_argument("--head-dim", type=int, default=128)
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--tolerance", type=float, default=0.05)
    ap.add_argument("--kernels", action="store_true",
                    help="also list the kernels each call launches here, next to the record's (CUPTI) kernel names")
    args = ap.parse_args()

    import torch
    import triton.testing
    from attnscope_libs import bridge
    from attnscope_libs.tensors import kv_shape, q_shape, torch_dtype

    backends = bridge.backends()
    points = [r for path in args.records for r in records_of(path)
              if r["backend"] in backends and r["status"] == "ok" and r["problem"]["q_len"] == args.seq
              and r["problem"]["head_dim"] == args.head_dim and r["problem"]["dtype"] == args.dtype]
    if not points:
        print(f"no ok library record at N={args.seq} d={args.head_dim} {args.dtype}")
        return 1
    print(f"{'backend':>28} {'causal':>6} {'ours µs':>10} {'do_bench µs':>12} {'ours/do_bench':>14}  "
          f"within ±{args.tolerance:.0%}  {'graph µs':>9} {'ours/graph':>10}")
    outside = 0
    for r in points:
        p = dict(r["problem"], scale=r["problem"].get("scale"))
        g = torch.Generator(device="cuda").manual_seed(0)
        dt = torch_dtype(p["dtype"])
        q = torch.randn(q_shape(p), device="cuda", dtype=dt, generator=g)
        k, v = (torch.randn(kv_shape(p), device="cuda", dtype=dt, generator=g) for _ in range(2))
        b = backends[r["backend"]]
        ms = triton.testing.do_bench(lambda: b.run(p, q, k, v), warmup=25, rep=100, return_mode="median")
        ours = r["latency_us"]["median"]
        ratio = ours / (ms * 1e3)
        ok = abs(ratio - 1) <= args.tolerance
        outside += not ok
        graph = graph_replay_ms(torch, triton, lambda: b.run(p, q, k, v))
        tail = f"{graph * 1e3:9.1f} {ours / (graph * 1e3):10.3f}" if graph else f"{'n/a':>9} {'':>10}"
        print(f"{r['backend']:>28} {'yes' if p['causal'] else 'no':>6} {ours:10.1f} {ms * 1e3:12.1f} {ratio:14.3f}  "
              f"{'yes' if ok else 'NO':>9}  {tail}")
        if args.kernels:
            print(f"  kernels here:   {[n[:90] for n in kernels_of(torch, lambda: b.run(p, q, k, v))]}")
            print(f"  kernels ours:   {[n[:90] for n in r.get('kernels', [])]}")
        del q, k, v
        torch.cuda.empty_cache()
    print(f"{len(points) - outside} of {len(points)} within ±{args.tolerance:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
