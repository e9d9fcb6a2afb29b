#!/usr/bin/env bash
# The device call the next session should make first (~380 s on an H100). 2026-12-07 had one call (whole GPU suite
# 297/297 on main e9ebf0b, H100); twelve later requests were refused (no machine), so nothing below has run:
#   1. flash3's call 4 (kernels/flash3/NOTES.md, docs/performance.md "Call 4"): clusters of two sharing K/V by TMA
#      multicast, 128x160x2p, 128x192x2c2, the long causal tile (default from 16k keys, float16 never run), the float16
#      grid of the d=64 persistent default — `sanity` first: a cluster deadlock traps there, not in the tests;
#   2. issue 13's do_bench gap: torch-cudnn reads 0.89x of do_bench at bf16 d=128 N=8k (same kernel, same NVML
#      clock, not host work, not the inputs). `--contexts` times the kernel itself (profiler) after do_bench's L2
#      clear (zeroing 256 MB: dirty lines), after a read like ours (clean lines) and after nothing, back to back and
#      with a 2 ms pause between calls; the A/B runs main's executor (a) against docs/handoff/batch-20ms.patch (b),
#      batches of ~20 ms of GPU work instead of ~2 ms, so the GPU is not idle a quarter of the time between samples.
#      Keep the patch only if b closes the gap and the contexts say pauses are the cause;
#   3. the GPU tests of what landed after e9ebf0b (flash3 clusters and long tile; nothing else touched GPU code).
# Also pending: on a 2-GPU kind, scripts/shard_bench.sh (issue 17's <= 0.6x target).
#
# Prepare here (no GPU needed), from a checkout at /work/wt/final (the tests compile in absolute paths):
#   cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_WITH_GUI=OFF -DCMAKE_CUDA_ARCHITECTURES=90a-real
#   cmake --build build-gpu -j2 && cp build-gpu/bin/attnscope-cli /tmp/attnscope-cli-a
#   git apply docs/handoff/batch-20ms.patch && cmake --build build-gpu -j2 --target attnscope-cli && git checkout engine/cuda
#   D=/work/main/.gpu/final; rm -rf $D/tree; mkdir -p $D/tree && git ls-files -co --exclude-standard \
#     | grep -v '^docs/results\|\.png$' | tar -cf - -T - | tar -C $D/tree -xf -
#   tar -cf - build-gpu/bin/attnscope-cli build-gpu/tests/attnscope_gpu_tests | xz -T2 -6 > $D/bin.tar.xz
#   xz -T2 -6 -c /tmp/attnscope-cli-a > $D/attnscope-cli-a.xz
# Then on the device (carry [".gpu/final"]): bash .gpu/final/tree/docs/handoff/next-device-call.sh
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
T0=$(date +%s); t() { echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz; xz -dc ../attnscope-cli-a.xz > build-gpu/bin/attnscope-cli-a; chmod +x build-gpu/bin/attnscope-cli-a
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "flash3 sanity (each new kernel once at 1k, 20 s timeout)"
# TRIM=2 (shorter still): no flash3 at all, only the A/B and do_bench.
S=9; [ "${TRIM:-0}" = 2 ] || { $F3 sanity 2>&1 | tail -8; S=$?; }
t "A/B at bf16 d=128 N=8k: a = main's executor (2 ms batches), b = batch-20ms.patch"
A="--device cuda:0 --tokens 16384 --hidden 2048 --seq 8192 --head-dim 128 --dtype bfloat16 --backends cudnn,torch-cudnn,torch-flash,triton-flash,flash3 --stream"
for v in a b; do C=build-gpu/bin/attnscope-cli; [ $v = a ] && C=$C-a
  timeout 25 $C run $A >> $OUT/lib8k_$v.jsonl 2>> $OUT/run_$v.log; timeout 20 $C run $A --causal >> $OUT/lib8k_$v.jsonl 2>> $OUT/run_$v.log
done
python3 - <<'PY' | tee $OUT/ab.txt
import json
for v in "ab":
    for line in open(f"/tmp/o/lib8k_{v}.jsonl"):
        m = json.loads(line)
        if m.get("type") == "record":
            r = m["record"]
            print(v, f"{r['backend']:>14} causal={r['problem']['causal']!s:5} median {r['latency_us']['median']:8.1f} µs "
                     f"{r.get('tflops', 0):6.1f} TFLOP/s n={r['latency_us']['n']} {r.get('sm_clock_mhz', 0):.0f} MHz {r['status']}")
PY
t "do_bench, with the kernel's own duration in each context"
timeout 120 python3 scripts/do_bench_check.py --records $OUT/lib8k_a.jsonl --contexts 2>&1 \
  | grep -v "XFORMERS\|UserWarning\|_warn_once" | tee $OUT/do_bench.txt
t "flash3 call 4: cells against cudnn, variants, then the flash3/flash2/executor GPU tests"
# TRIM=1 (short of device time): only the d=128 non-causal cells and clusters, the long tile's off switch, and the new tests.
if [ "${TRIM:-0}" = 1 ]; then
  export TESTS='*Flash3GpuGrid.Clusters*:*Flash3GpuGrid.LongSequence*:*Executor*:*Cupti*'
  export CELLS='bfloat16:0:128:1024:16384:x2;bfloat16:1:128:8192:16384:x2'
  export VGRID='c2:bfloat16:0:128:ATTNSCOPE_FLASH3_CLUSTER=2;long-off:bfloat16:1:128:ATTNSCOPE_FLASH3_LONG=off:8192:16384:x2'
else
export TESTS='*Flash3*:*Flash2*:*Executor*:*Cupti*:*AccuracyCheck*:*L2Flush*'
export CELLS='bfloat16:0:128:1024:16384:x2;float16:0:128:1024:16384:x2;float16:0:64:1024:16384:x2;bfloat16:1:128:8192:16384:x2;float16:1:128:8192:16384:x2'
export VGRID='c2:bfloat16:0:128:ATTNSCOPE_FLASH3_CLUSTER=2;c2:float16:0:128:ATTNSCOPE_FLASH3_CLUSTER=2;tile-128x192x2c2:bfloat16:0:128:ATTNSCOPE_FLASH3_TILE=128x192x2c2:4096:16384:x2;tile-128x160x2p:bfloat16:0:128:ATTNSCOPE_FLASH3_TILE=128x160x2p:4096:16384:x2;long-off:bfloat16:1:128:ATTNSCOPE_FLASH3_LONG=off:8192:16384:x2;long-off:float16:1:128:ATTNSCOPE_FLASH3_LONG=off:8192:16384:x2'
fi
[ "$S" = 0 ] && timeout 260 $F3 cells vgrid tests 2>&1 | tail -70
t done
# At most 8 files come back: everything in one archive, the two tables beside it.
tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/ab.txt $OUT/do_bench.txt "$FINAL_OUT/" 2>/dev/null
