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

Inputs are uniform in (-1, 1) like the executor's (random_fill.hpp); `randn µs` repeats do_bench on the
normal inputs people usually pass, because a kernel at the GPU's power limit runs at a clock that depends on
its data. do_bench keeps the GPU busy without a pause for ~125 ms, where our samples come in batches with a
sync between them, so the SM clock is sampled (NVML, every 2 ms) during each do_bench and printed next to
the record's `sm_clock_mhz`: a compute-bound kernel's time scales with 1/clock.

  python3 scripts/do_bench_check.py --records a.jsonl b.jsonl [--seq 8192] [--head-dim 128] [--dtype bfloat16]
"""
import argparse
import ctypes
import os
import statistics
import sys
import threading

from bench_table import records_of

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kernels", "python_libs"))


class ClockSampler:
    """Median SM clock (MHz) of GPU 0 while a block runs, read through NVML with ctypes (no pynvml needed)."""

    def __init__(self):
        try:
            self.nvml = ctypes.CDLL("libnvidia-ml.so.1")
            self.handle = ctypes.c_void_p()
            ok = self.nvml.nvmlInit_v2() == 0 and self.nvml.nvmlDeviceGetHandleByIndex_v2(0, ctypes.byref(self.handle)) == 0
        except OSError:
            ok = False
        self.nvml = self.nvml if ok else None

    def clock(self):
        mhz = ctypes.c_uint()
        return mhz.value if self.nvml.nvmlDeviceGetClockInfo(self.handle, 1, ctypes.byref(mhz)) == 0 else None  # 1: SM

    def during(self, fn):
        """(fn's result, median SM clock while it ran or None)."""
        if not self.nvml:
            return fn(), None
        seen, done = [], threading.Event()

        def sample():
            while not done.wait(0.002):
                c = self.clock()
                if c:
                    seen.append(c)
        t = threading.Thread(target=sample)
        t.start()
        try:
            result = fn()
        finally:
            done.set()
            t.join()
        return result, (statistics.median(seen) if seen else None)


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


def kernel_us_in_contexts(torch, call, kernel, l2_bytes, n=15):
    """Median duration (µs, from the profiler's CUPTI records) of `kernel` when each call is preceded by
    do_bench's L2 clear (zeroing 256 MB: the L2 is left full of dirty lines), by a read of 2× the L2 like
    our executor's flush (clean lines), or by nothing; each back to back as do_bench runs, and with the
    host waiting for the GPU plus a 2 ms pause between calls, like the gaps between our executor's batches
    (about 2 ms of GPU work each, then the host's wait and CUPTI's flush)."""
    import time
    from torch.profiler import ProfilerActivity, profile
    zero = torch.empty(256 * 1024 * 1024, dtype=torch.int8, device="cuda")
    read = torch.ones(2 * l2_bytes // 4, dtype=torch.float32, device="cuda")
    before = {"zero 256 MB": zero.zero_, "read 2×L2": lambda: read.max(), "no clear": lambda: None}
    out = {}
    for name, clear in before.items():
        for pause in (False, True):
            for _ in range(3):
                clear(), call()
            torch.cuda.synchronize()
            with profile(activities=[ProfilerActivity.CUDA]) as prof:
                for _ in range(n):
                    clear()
                    call()
                    if pause:
                        torch.cuda.synchronize()
                        time.sleep(0.002)
                torch.cuda.synchronize()
            spans = [e.time_range.elapsed_us() for e in prof.events()
                     if e.device_type.name == "CUDA" and e.name.startswith(kernel[:60])]
            out[name + (", paused" if pause else "")] = statistics.median(spans) if spans else None
    del zero, read
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", nargs="+", required=True, help="attnscope-cli run --stream outputs")
    ap.add_argument("--seq", type=int, default=8192)
    ap.add_argument("--head-dim", type=int, default=128)
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--tolerance", type=float, default=0.05)
    ap.add_argument("--kernels", action="store_true",
                    help="also list the kernels each call launches here, next to the record's (CUPTI) kernel names")
    ap.add_argument("--contexts", action="store_true",
                    help="also time the record's main kernel (profiler) after each kind of L2 clear, with and without "
                         "a pause between calls: where the kernel itself runs slower, and why")
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
    clocks = ClockSampler()
    print(f"{'backend':>28} {'causal':>6} {'ours µs':>10} {'do_bench µs':>12} {'ours/do_bench':>14}  "
          f"within ±{args.tolerance:.0%}  {'graph µs':>9} {'ours/graph':>10}  {'randn µs':>9}  "
          f"{'ours MHz':>8} {'do_bench MHz':>12}")
    outside = 0
    for r in points:
        p = dict(r["problem"], scale=r["problem"].get("scale"))
        g = torch.Generator(device="cuda").manual_seed(0)
        dt = torch_dtype(p["dtype"])
        def uniform(shape):
            return torch.rand(shape, device="cuda", dtype=torch.float32, generator=g).mul_(2).sub_(1).to(dt)
        q, k, v = uniform(q_shape(p)), uniform(kv_shape(p)), uniform(kv_shape(p))
        b = backends[r["backend"]]
        ms, mhz = clocks.during(
            lambda: triton.testing.do_bench(lambda: b.run(p, q, k, v), warmup=25, rep=100, return_mode="median"))
        ours = r["latency_us"]["median"]
        ratio = ours / (ms * 1e3)
        ok = abs(ratio - 1) <= args.tolerance
        outside += not ok
        graph = graph_replay_ms(torch, triton, lambda: b.run(p, q, k, v))
        tail = f"{graph * 1e3:9.1f} {ours / (graph * 1e3):10.3f}" if graph else f"{'n/a':>9} {'':>10}"
        qn, kn, vn = (torch.randn(x.shape, device="cuda", dtype=dt, generator=g) for x in (q, k, v))
        randn = triton.testing.do_bench(lambda: b.run(p, qn, kn, vn), warmup=25, rep=100, return_mode="median")
        del qn, kn, vn
        ours_mhz = r.get("sm_clock_mhz")
        print(f"{r['backend']:>28} {'yes' if p['causal'] else 'no':>6} {ours:10.1f} {ms * 1e3:12.1f} {ratio:14.3f}  "
              f"{'yes' if ok else 'NO':>9}  {tail}  {randn * 1e3:9.1f}  "
              f"{ours_mhz or 0:8.0f} {mhz or 0:12.0f}")
        if args.kernels:
            print(f"  kernels here:   {[n[:90] for n in kernels_of(torch, lambda: b.run(p, q, k, v))]}")
            print(f"  kernels ours:   {[n[:90] for n in r.get('kernels', [])]}")
        if args.contexts and r.get("kernels"):
            l2_bytes = torch.cuda.get_device_properties(0).L2_cache_size
            spans = kernel_us_in_contexts(torch, lambda: b.run(p, q, k, v), r["kernels"][-1], l2_bytes)
            print("  kernel µs:      " + ", ".join(f"{label} {us:.1f}" if us else f"{label} n/a"
                                                    for label, us in spans.items()))
        del q, k, v
        torch.cuda.empty_cache()
    print(f"{len(points) - outside} of {len(points)} within ±{args.tolerance:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
