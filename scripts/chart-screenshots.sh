#!/bin/sh
# The README's chart pictures: real windows of the app under Xvfb (1920×1080, no window manager) opened on
# the project's H100 result files, captured with ImageMagick's `import` and cropped to the chart (the hero
# picture keeps the whole window). Needs xvfb-run and ImageMagick; run from the repository root after a build:
#   scripts/chart-screenshots.sh [build/bin/attnscope]
set -eu
app=${1:-build/bin/attnscope}
final=docs/results/final-h100-2026-11-26
libs=docs/results/issue13-h100-2026-12-06
config=$(mktemp -d)
settings=
trap 'rm -rf "$config"' EXIT

# mem-efficient-3xtf32 is hidden: an id these files carry from an earlier build, n/a at every point shown.
# shot NAME CROP ARGS...: the window with ARGS, saved as docs/NAME.png; CROP is WxH+X+Y or "window";
# $settings, when set, is the app's saved state to start from (the problem and device).
shot() {
  name=$1 crop=$2
  shift 2
  rm -rf "$config/AttnScope"
  if [ -n "${settings:-}" ]; then mkdir -p "$config/AttnScope" && printf '%s\n' "$settings" > "$config/AttnScope/attnscope.conf"; fi
  XDG_CONFIG_HOME=$config xvfb-run -a -s "-screen 0 1920x1080x24" sh -c \
    "\"$app\" \"\$@\" & pid=\$!; sleep 12; import -window root \"$config/shot.png\"; kill \$pid" sh "$@"
  if [ "$crop" = window ]; then convert "$config/shot.png" -trim +repage "docs/$name.png"
  else convert "$config/shot.png" -crop "$crop" +repage "docs/$name.png"; fi
  echo "wrote docs/$name.png"
}

chart=742x736+470+50  # the chart area of the window as it opens on 1920×1080 (bar, plot and legend; white from x = 475 to 1206)
shot chart-grid-bars window $final/bench_full.jsonl $final/bench_causal.jsonl --kind bars --panels tflops --hide mem-efficient-3xtf32 --show-backend flash2
shot chart-decode-gbs "$chart" $final/decode.jsonl --panels gbs
shot chart-roofline "$chart" $final/bench_full.jsonl $final/decode.jsonl --kind roofline --only dtype=bfloat16 --hide mem-efficient-3xtf32
shot chart-speedup "$chart" $final/bench_full.jsonl $final/bench_causal.jsonl --kind bars --panels speedup --baseline cublas-math --hide mem-efficient-3xtf32
shot chart-libraries-h100 "$chart" $libs/grid_full.jsonl $libs/grid_causal.jsonl --kind bars --panels tflops
# What-if H100: nothing runs; the chart is each backend's predicted memory against N (d = 64 and 128).
settings='[problem]
qHeads=16
kvHeads=16
qLen=1024:65536:x2
headDim="64,128"
dtypes=float16
device=profile:h100'
shot chart-whatif-memory window --show-backend naive
