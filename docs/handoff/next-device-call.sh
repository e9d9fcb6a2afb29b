#!/usr/bin/env bash
# The device call the next session should make first (~120 s on an H100). Flash3's call 4 and this session's additions
# ran on 2026-12-07 (third session, docs/performance.md "Call 5"; results/issue15-h100-2026-12-07c/run.sh is that call).
# What is left to look at on a GPU for issue 15:
#   * Nsight Compute with source-level warp-stall sampling on flash3's and cudnn's d=128 kernels (bf16 N=8k, both
#     masks). Both keep the tensor pipe busy ~74 % of the cycles; which wait the idle quarter is decides the next
#     d=128 change (kernels/flash3/NOTES.md, "Next" 1).
#   * The flash3 GPU tests and sanity, so that a regression in the shared kernel shows first.
# Also pending: on a 2-GPU kind, scripts/shard_bench.sh (issue 17's <= 0.6x target).
#
# Prepare here (no GPU needed), from a checkout of main at /work/wt/final (the tests compile in absolute paths):
#   cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_WITH_GUI=OFF -DCMAKE_CUDA_ARCHITECTURES=90a-real
#   cmake --build build-gpu -j2
#   D=/work/main/.gpu/final; rm -rf $D/tree; mkdir -p $D/tree && git ls-files -co --exclude-standard \
#     | grep -v '^docs/results\|\.png$' | tar -cf - -T - | tar -C $D/tree -xf -
#   tar -cf - build-gpu/bin/attnscope-cli build-gpu/tests/attnscope_gpu_tests | xz -T2 -6 > $D/bin.tar.xz
# Then on the device (carry [".gpu/final"]): bash .gpu/final/tree/docs/handoff/next-device-call.sh
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
# Each step's start saves what is there so far: a call cut by its time limit still brings back the steps before.
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/flash3/*.md "$FINAL_OUT/" 2>/dev/null; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz
# A binary from before the d=96 kernel, the unspecialized rung or the FMA 2^x fails the sanity and test steps.
grep -q ATTNSCOPE_FLASH3_EXP2 build-gpu/bin/attnscope-cli && grep -q unspecialized build-gpu/bin/attnscope-cli ||
  { echo "build-gpu/bin/attnscope-cli predates this call's kernels"; exit 4; }
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "flash3 sanity (every kernel once at 1k, 20 s timeout)"
$F3 sanity 2>&1 | tail -8; S=$?
[ "$S" = 0 ] || { t "sanity failed: nothing else runs"; exit 3; }
t "Nsight Compute, full set with source-level stall sampling: flash3 and cudnn, bf16 d=128 N=8k, both masks"
NCU_SET=full PROFILE_CAUSAL="0 1" PROFILE_ENTRIES='flash3 flash3 forward_kernel X=;cudnn cudnn sdpa|fprop|fmha X=' \
  timeout 300 $F3 profile 2>&1 | tail -60
t "flash3 GPU tests"
TESTS='*Flash3*' timeout 120 $F3 tests 2>&1 | tail -12
t done  # at most 8 files come back: everything in one archive (save), the flash3 tables beside it
