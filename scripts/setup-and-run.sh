#!/usr/bin/env bash
# One command from a fresh Debian 12 checkout: install what is missing, build, and start AttnScope —
# the desktop app when it was built and a display is available, otherwise the CLI's CPU demo
# (devices, backend eligibility, a short measured sweep written to build/results/).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PACKAGES=(cmake ninja-build g++ pkg-config qt6-base-dev qt6-svg-dev libqcustomplot-dev nlohmann-json3-dev
          libcli11-dev libgtest-dev libopenblas-dev xvfb xauth)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing missing packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

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
