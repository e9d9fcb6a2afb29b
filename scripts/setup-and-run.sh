#!/usr/bin/env bash
# One command from a fresh Debian 12 checkout: install what is missing, build, and start AttnScope —
# the desktop app when it was built and a display is available, otherwise the CLI's CPU demo
# (devices, backend eligibility, a short measured sweep written to build/results/).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

scripts_dir="$(dirname "${BASH_SOURCE[0]}")"
"$scripts_dir/install-deps.sh"

configure_and_build

CLI="$BUILD_DIR/bin/attnscope-cli"
GUI="$BUILD_DIR/bin/attnscope"
if [ -x "$GUI" ] && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }; then
  exec "$GUI" "$@"
fi
if [ -x "$GUI" ]; then
  echo "The desktop app is built ($GUI) but there is no display; running the CLI demo instead."
else
  echo "The desktop app is not part of this build; running the CLI demo on the CPU."
fi
RESULTS="$BUILD_DIR/results"
mkdir -p "$RESULTS"
"$CLI" devices
echo
"$CLI" backends --device cpu --seq 4096 --head-dim 64 --dtype float32
echo
"$CLI" run --device cpu --seq 128:1024:x2 --head-dim 64 --dtype float32 \
  --json "$RESULTS/cpu-demo.json" --csv "$RESULTS/cpu-demo.csv"
echo "Results: $RESULTS/cpu-demo.json (open it in the app) and cpu-demo.csv"
