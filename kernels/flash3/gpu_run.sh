#!/usr/bin/env bash
# One device call for flash3 with prebuilt binaries (nothing compiled there). Run from the repository
# root:  OUT=dir kernels/flash3/gpu_run.sh STEPS...   where STEPS are any of
#   sanity  flash3 at N=1k (bfloat16, d=64, 96, 128 and 256, causal and not, default and persistent grid; d=96's alternative
#           tiles, the length tiles at 1k) under a short timeout: a hang stops the script here (exit 3) instead of eating the call;
#   tests   the flash3 GPU tests (TESTS: another gtest filter) (fp64 reference, poisoned outputs, every schedule and alternative tile,
#           the HGMMA check via cuobjdump) and the kernels' resource usage;
#   ladder  bfloat16 N=8k (B·N = 16k, H·d = 2048): flash3 and every variant compiled for the point (`run --each-plan`:
#           the schedules, both grids, clusters, 2^x splits, alternative and length tiles, order; records
#           flash3[<variant>]), d=128 and 64, causal and not; its table joins
#           the grid step's N=8k rows (default flash3, flash2, cudnn, BEFORE), so run grid first;
#   grid    the standard grid for flash3, flash2 and cudnn in DTYPES (default bfloat16), causal and not,
#           and BEFORE's flash3 on the same grid;
#   altgrid the standard grid for flash3 alone on alternative tiles (ALTS="causal d tile,..." triples; default
#           d=128 non-causal 128x192x2 and d=64 non-causal 128x128x4, the two-consumer tile), bfloat16;
#   variants the standard grid for flash3 alone under environment settings (VARIANTS="label:causal:dims:VAR=x+VAR=y;...";
#           default: both grids and both causal orders against the table's defaults), bfloat16;
#   cells   parts of the standard grid for flash3 and cudnn (GRID_BACKENDS) at the defaults (CELLS="dtype:causal:dims:seq;...",
#           seq as attnscope-cli takes it, e.g. 1024:16384:x2), and BEFORE's flash3 beside them, written as grid_cells.jsonl
#           for the tables;
#   abba    parts of the standard grid (CELLS as for cells) for flash3 and cudnn in the order flash3, cudnn, cudnn, flash3,
#           each run with the same wall-clock budget (ABBA_TIME seconds per point, default 0.1; no early stop on
#           convergence), accuracy unchecked: a comparison that a drifting clock cannot tilt (an H100 under its power
#           cap steps its clock down while a long point runs, and the convergence rule keeps sampling a drifting
#           backend longer, deeper into the drop). Records flash3[abba1], cudnn[abba2], …; table.py abba averages each pair;
#   rotate  parts of the standard grid (CELLS as for cells) for several runs in rotation, V1 … Vn Vn … V1, each with the same
#           wall-clock budget (ABBA_TIME) as abba: ROTATE="label|binary|backend|VAR=x+VAR=y;…" (binary empty: this build's
#           CLI; backend empty: flash3; settings optional), e.g. two binaries, a switch and cudnn. Records
#           <backend>[<label>-<n>]; table.py runs gives each label's mean and its ratio to the first label;
#   vgrid   the standard grid for flash3 alone under environment settings in any dtype (VGRID=
#           "label:dtype:causal:dims:VAR=x+VAR=y[:seq];...", e.g. clusters, alternative tiles, the length tiles;
#           HIDDEN=1536 for d=96);
#   d256    the standard grid at head dim 256 (H = 8) for flash3 and cudnn, both masks, in DTYPES (and flash3 on the
#           one-block-per-tile grid beside its persistent rows);
#   profile Nsight Compute on one launch of flash3's (also with ATTNSCOPE_FLASH3_EXP2=fma1) and of cudnn's kernel, bfloat16
#           d=128 N=8k (PROFILE_CAUSAL="0 1" adds
#           causal): tensor-pipe, MUFU (xu) and issue-slot use, warp stalls — where the time short of the tensor-core peak
#           goes (ncu takes CUPTI for itself: the CLI then times with CUDA events; ncu's clocks are locked to base);
#   padded  head dims 80, 96 and 112 (B·N = 16k, H = 16, N = 8k) for flash3, flash2 and cudnn, and BEFORE's flash3: 96 on
#           its own kernel (64-byte swizzle), 80 padded to 96, 112 to 128 (BEFORE, a binary without the d=96 kernel, runs
#           80 and 96 padded to 128).
# cudnn runs on PyTorch's libcudnn when the device has it (the library the issue's bar is measured with).
set -uo pipefail
BUILD="${BUILD:-build}"
OUT="${OUT:-$PWD/flash3-out}"
DTYPES="${DTYPES:-bfloat16}"
mkdir -p "$OUT"
CLI="$BUILD/bin/attnscope-cli"
# Records of another binary or setting are told apart by their backend id, "flash3[before]" as `run --each-plan` writes
# "flash3[serial]": the app draws them as series of their own (a tag beside the record was invisible to it, so a file
# holding two binaries' flash3 showed one of them), and table.py names the column "flash3 before".
tag() { sed "s/\"backend\":\"\([^\"[]*\)\"/\"backend\":\"\1[$1]\"/"; }
T0=$(date +%s); t() { echo "== $(( $(date +%s) - T0 )) s: $*"; }
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
TIMING=(--min-samples 10 --min-time 0.05 --max-time 0.5)
# One point for the abba and rotate steps: CLI $1, backend $2, cell $dt/$dims/$seq/$flag, sampled for a fixed wall-clock
# budget (ABBA_TIME seconds, no early stop on convergence), accuracy unchecked; records on stdout.
budget_run() {
  timeout 120 "$1" run --device cuda:0 --tokens 16384 --hidden "${HIDDEN:-2048}" --min-samples 10 --min-time 0 \
    --max-time "${ABBA_TIME:-0.1}" --noise 0.0001 --no-check --stream --seq "$seq" --head-dim "$dims" --dtype "$dt" \
    "${flag[@]}" --backends "$2" 2>>"$OUT/run.log"
}
GRID=(--device cuda:0 --tokens 16384 --hidden "${HIDDEN:-2048}" "${TIMING[@]}" --stream)
# d=96 does not divide 2048: its grid keeps H = 16 (HIDDEN=1536); D96 is the same for the sanity step.
D96=(--device cuda:0 --tokens 16384 --hidden 1536 "${TIMING[@]}" --stream)
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,power.draw,temperature.gpu --format=csv | tee -a "$OUT/env.txt"

for step in "$@"; do
  case $step in
    sanity)
      t sanity
      for grid in "" persistent; do
        for flag in "" --causal; do
          ATTNSCOPE_FLASH3_GRID=$grid timeout 20 "$CLI" run "${GRID[@]}" --seq 1024 --head-dim 64,128,256 --dtype bfloat16 $flag \
            --backends flash3 >>"$OUT/sanity.jsonl" 2>>"$OUT/run.log" || { echo "sanity failed (exit $?)"; tail -5 "$OUT/run.log"; exit 3; }
          ATTNSCOPE_FLASH3_GRID=$grid timeout 20 "$CLI" run "${D96[@]}" --seq 1024 --head-dim 96 --dtype bfloat16 $flag \
            --backends flash3 >>"$OUT/sanity.jsonl" 2>>"$OUT/run.log" || { echo "sanity d=96 failed (exit $?)"; tail -5 "$OUT/run.log"; exit 3; }
        done
      done
      # Clusters of two (multicast K/V), the alternative tiles and the self-loading rung: a hang would show here first.
      for envs in ATTNSCOPE_FLASH3_CLUSTER=2 ATTNSCOPE_FLASH3_TILE=128x192x2c2 ATTNSCOPE_FLASH3_TILE=128x160x2p \
                  ATTNSCOPE_FLASH3_SCHEDULE=unspecialized ATTNSCOPE_FLASH3_TILE=192x80x3p; do
        env $envs timeout 20 "$CLI" run "${GRID[@]}" --seq 1024 --head-dim 128 --dtype bfloat16 --backends flash3 \
          >>"$OUT/sanity.jsonl" 2>>"$OUT/run.log" || { echo "sanity $envs failed (exit $?)"; tail -5 "$OUT/run.log"; exit 3; }
      done
      ATTNSCOPE_FLASH3_TILE=192x64x4p timeout 20 "$CLI" run "${GRID[@]}" --seq 1024 --head-dim 128 --dtype bfloat16 --causal \
        --backends flash3 >>"$OUT/sanity.jsonl" 2>>"$OUT/run.log" || { echo "sanity 192x64x4p failed (exit $?)"; tail -5 "$OUT/run.log"; exit 3; }
      for alt in :128x176x2 --causal:192x112x3; do  # d=96's alternative tiles: [flag]:tile
        ATTNSCOPE_FLASH3_TILE=${alt#*:} timeout 20 "$CLI" run "${D96[@]}" --seq 1024 --head-dim 96 --dtype bfloat16 ${alt%%:*} \
          --backends flash3 >>"$OUT/sanity.jsonl" 2>>"$OUT/run.log" || { echo "sanity d=96 ${alt#*:} failed (exit $?)"; tail -5 "$OUT/run.log"; exit 3; }
      done
      ATTNSCOPE_FLASH3_LENGTH=always timeout 20 "$CLI" run "${D96[@]}" --seq 1024 --head-dim 96 --dtype float16 --causal \
        --backends flash3 >>"$OUT/sanity.jsonl" 2>>"$OUT/run.log" || { echo "sanity long d=96 failed (exit $?)"; tail -5 "$OUT/run.log"; exit 3; }
      grep -o '"status":"[a-z_]*"\|"pass":[a-z]*\|"tflops":[0-9.]*' "$OUT/sanity.jsonl" | sort | uniq -c
      ;;
    tests)
      t tests
      timeout "${TESTS_TIMEOUT:-200}" "$BUILD/tests/attnscope_gpu_tests" --gtest_filter="${TESTS:-*Flash3*}" >"$OUT/tests.log" 2>&1
      echo "tests exit code $?" | tee -a "$OUT/tests.log"
      grep -E "^\[  (FAILED|PASSED|SKIPPED) +\]|^\[==========\]|Failure|error" "$OUT/tests.log" | head -30
      /usr/local/cuda/bin/cuobjdump --dump-resource-usage "$CLI" 2>&1 | grep -A1 "flash3" >"$OUT/resources.txt"
      ;;
    ladder)
      t ladder
      # flash2, cudnn and BEFORE at this point come from the grid step (same call). The lower rungs run on the
      # one-block-per-tile grid; "+ persistent" is the last rung (pingpong-persistent).
      for d in 128 64; do
        for flag in "" --causal; do
          timeout 150 "$CLI" run "${GRID[@]}" --seq 8192 --head-dim $d --dtype bfloat16 $flag --backends flash3 --each-plan \
            >>"$OUT/ladder.jsonl" 2>>"$OUT/run.log" || echo "ladder d=$d $flag failed (exit $?)"
        done
      done
      python3 kernels/flash3/table.py ladder "$OUT/ladder.jsonl" "$OUT"/grid_*.jsonl | tee "$OUT/ladder.md"
      ;;
    grid)
      for dt in $DTYPES; do
        for c in full causal; do
          flag=(); [[ $c == causal ]] && flag=(--causal)
          t "grid $dt $c"
          timeout 60 "$CLI" run "${GRID[@]}" --seq 1024:16384:x2 --head-dim "${HEAD_DIMS:-64,128}" --dtype "$dt" "${flag[@]}" \
            --backends "${GRID_BACKENDS:-flash3,flash2,cudnn}" >"$OUT/grid_${dt}_$c.jsonl" 2>>"$OUT/run.log"
          [ -n "${BEFORE:-}" ] && timeout 30 "$BEFORE" run "${GRID[@]}" --seq 1024:16384:x2 --head-dim "${HEAD_DIMS:-64,128}" --dtype "$dt" \
            "${flag[@]}" --backends "${BEFORE_BACKENDS:-flash3}" 2>>"$OUT/run.log" | tag before >>"$OUT/grid_${dt}_$c.jsonl"
        done
      done
      python3 kernels/flash3/table.py grid "$OUT"/grid_*.jsonl | tee "$OUT/grid.md"
      ;;
    altgrid)
      t altgrid
      alts=("0 128 128x192x2" "0 64 128x128x4")
      [ -n "${ALTS:-}" ] && IFS=',' read -ra alts <<<"$ALTS"
      for alt in "${alts[@]}"; do
        set -- $alt
        flag=(); [[ $1 == 1 ]] && flag=(--causal)
        ATTNSCOPE_FLASH3_TILE=$3 timeout 30 "$CLI" run "${GRID[@]}" --seq 1024:16384:x2 --head-dim "$2" --dtype bfloat16 \
          "${flag[@]}" --backends flash3 2>>"$OUT/run.log" | tag tile-$3 >>"$OUT/altgrid.jsonl"
      done
      python3 kernels/flash3/table.py grid "$OUT"/grid_*.jsonl "$OUT/altgrid.jsonl" | tee "$OUT/grid.md"
      ;;
    variants)
      t variants
      def="blocks-lpt:1:64,128:ATTNSCOPE_FLASH3_GRID=blocks;blocks-heads:1:64,128:ATTNSCOPE_FLASH3_GRID=blocks+ATTNSCOPE_FLASH3_ORDER=heads;persistent:0:64,128:ATTNSCOPE_FLASH3_GRID=persistent"
      IFS=';' read -ra vs <<<"${VARIANTS:-$def}"
      for v in "${vs[@]}"; do
        IFS=':' read -r label causal dims envs <<<"$v"
        flag=(); [[ $causal == 1 ]] && flag=(--causal)
        env ${envs//+/ } timeout 40 "$CLI" run "${GRID[@]}" --seq 1024:16384:x2 --head-dim "$dims" --dtype bfloat16 "${flag[@]}" \
          --backends flash3 2>>"$OUT/run.log" | tag $label >>"$OUT/variants.jsonl"
      done
      ;;
    cells)
      t cells
      IFS=';' read -ra cs <<<"${CELLS:?cells needs CELLS}"
      for c in "${cs[@]}"; do
        IFS=':' read -r dt causal dims seq <<<"$c"
        flag=(); [[ $causal == 1 ]] && flag=(--causal)
        timeout 60 "$CLI" run "${GRID[@]}" --seq "$seq" --head-dim "$dims" --dtype "$dt" "${flag[@]}" \
          --backends "${GRID_BACKENDS:-flash3,cudnn}" >>"$OUT/grid_cells.jsonl" 2>>"$OUT/run.log"
        [ -n "${BEFORE:-}" ] && timeout 60 "$BEFORE" run "${GRID[@]}" --seq "$seq" --head-dim "$dims" --dtype "$dt" "${flag[@]}" \
          --backends flash3 2>>"$OUT/run.log" | tag before >>"$OUT/grid_cells.jsonl"
      done
      python3 kernels/flash3/table.py grid "$OUT/grid_cells.jsonl" | tee "$OUT/grid.md"
      ;;
    abba)
      t abba
      IFS=';' read -ra cs <<<"${CELLS:?abba needs CELLS}"
      for c in "${cs[@]}"; do
        IFS=':' read -r dt causal dims seq <<<"$c"
        flag=(); [[ $causal == 1 ]] && flag=(--causal)
        declare -A seen=()
        for b in flash3 cudnn cudnn flash3; do
          seen[$b]=$(( ${seen[$b]:-0} + 1 ))
          budget_run "$CLI" "$b" | tag abba${seen[$b]} >>"$OUT/abba.jsonl"
        done
        unset seen
      done
      python3 kernels/flash3/table.py abba "$OUT/abba.jsonl" | tee "$OUT/abba.md"
      ;;
    rotate)
      t rotate
      IFS=';' read -ra cs <<<"${CELLS:?rotate needs CELLS}"
      IFS=';' read -ra runs <<<"${ROTATE:?rotate needs ROTATE}"
      order=("${runs[@]}")
      for ((i = ${#runs[@]} - 1; i >= 0; i--)); do order+=("${runs[$i]}"); done
      for c in "${cs[@]}"; do
        IFS=':' read -r dt causal dims seq <<<"$c"
        flag=(); [[ $causal == 1 ]] && flag=(--causal)
        n=0
        for r in "${order[@]}"; do
          IFS='|' read -r label bin backend envs <<<"$r"
          n=$((n + 1))
          (for e in ${envs//+/ }; do export "$e"; done; budget_run "${bin:-$CLI}" "${backend:-flash3}") | tag "$label-$n" >>"$OUT/rotate.jsonl"
        done
      done
      python3 kernels/flash3/table.py runs "$OUT/rotate.jsonl" | tee "$OUT/rotate.md"
      ;;
    vgrid)
      t vgrid
      IFS=';' read -ra vs <<<"${VGRID:?vgrid needs VGRID}"
      for v in "${vs[@]}"; do
        IFS=':' read -r label dt causal dims envs seq <<<"$v"
        flag=(); [[ $causal == 1 ]] && flag=(--causal)
        env ${envs//+/ } timeout 40 "$CLI" run "${GRID[@]}" --seq "${seq:-1024:16384:x2}" --head-dim "$dims" --dtype "$dt" "${flag[@]}" \
          --backends flash3 2>>"$OUT/run.log" | tag $label >>"$OUT/vgrid.jsonl"
      done
      python3 kernels/flash3/table.py grid "$OUT"/grid_*.jsonl "$OUT/vgrid.jsonl" | tee "$OUT/vgrid.md"
      ;;
    d256)
      t d256
      for dt in ${DTYPES//,/ }; do
        for c in full causal; do
          flag=(); [[ $c == causal ]] && flag=(--causal)
          timeout 40 "$CLI" run "${GRID[@]}" --seq 1024:16384:x2 --head-dim 256 --dtype "$dt" "${flag[@]}" \
            --backends flash3,cudnn >>"$OUT/d256.jsonl" 2>>"$OUT/run.log"
          # Both rows are persistent: the one-block-per-tile grid beside them, at every length.
          ATTNSCOPE_FLASH3_GRID=blocks timeout 40 "$CLI" run "${GRID[@]}" --seq 1024:16384:x2 --head-dim 256 --dtype "$dt" \
            "${flag[@]}" --backends flash3 2>>"$OUT/run.log" | tag blocks >>"$OUT/d256.jsonl"
        done
      done
      python3 kernels/flash3/table.py grid "$OUT/d256.jsonl" | tee "$OUT/d256.md"
      ;;
    profile)
      t profile
      NCU=$(command -v ncu || echo /usr/local/cuda/bin/ncu)
      for c in ${PROFILE_CAUSAL:-0}; do
        flag=(); [[ $c == 1 ]] && flag=(--causal)
        # PROFILE_ENTRIES: "label backend kernel-regex VAR=value;…"
        IFS=';' read -ra entries <<<"${PROFILE_ENTRIES:-flash3 flash3 forward_kernel X=;cudnn cudnn sdpa|fprop|fmha X=;flash3-fma1 flash3 forward_kernel ATTNSCOPE_FLASH3_EXP2=fma1}"
        for entry in "${entries[@]}"; do
          read -r label b regex envs <<<"$entry"
          # NCU_SET=full adds source-level warp-stall sampling (the kernels carry -lineinfo): which wait the idle tensor time is.
          sections=(--section SpeedOfLight --section ComputeWorkloadAnalysis --section SchedulerStats --section WarpStateStats
                    --section InstructionStats --section Occupancy --section LaunchStats)
          [ "${NCU_SET:-}" = full ] && sections=(--set full --import-source yes --print-details all)
          env "$envs" timeout 120 "$NCU" --target-processes all -k "regex:$regex" -c 1 "${sections[@]}" "$CLI" run --device cuda:0 --tokens 16384 --hidden 2048 --min-samples 1 \
            --max-time 1 --seq 8192 --head-dim 128 --dtype bfloat16 "${flag[@]}" --backends "$b" >"$OUT/ncu-$label-causal$c.txt" 2>&1 \
            || echo "ncu $label causal=$c failed (exit $?)"
          echo "-- $label causal=$c"
          grep -E "Duration|Compute \(SM\) Throughput|Issue Slots Busy|Executed Ipc Active|No Eligible|Registers Per|Stall|pipe" \
            "$OUT/ncu-$label-causal$c.txt" | head -24
        done
      done
      ;;
    padded)
      t padded
      for c in "" --causal; do
        timeout 40 "$CLI" run --device cuda:0 --tokens 16384 --heads 16 "${TIMING[@]}" --stream --seq 8192 --head-dim 80,96,112 \
          --dtype bfloat16 $c --backends flash3,flash2,cudnn >>"$OUT/padded.jsonl" 2>>"$OUT/run.log"
        [ -n "${BEFORE:-}" ] && timeout 30 "$BEFORE" run --device cuda:0 --tokens 16384 --heads 16 "${TIMING[@]}" --stream --seq 8192 \
          --head-dim 80,96,112 --dtype bfloat16 $c --backends flash3 2>>"$OUT/run.log" | tag before >>"$OUT/padded.jsonl"
      done
      python3 kernels/flash3/table.py grid "$OUT/padded.jsonl" | tee "$OUT/padded.md"
      ;;
  esac
done
[ -f "$OUT/variants.jsonl" ] && python3 kernels/flash3/table.py grid "$OUT"/grid_bfloat16_*.jsonl "$OUT/variants.jsonl" | tee "$OUT/variants.md"
t done
