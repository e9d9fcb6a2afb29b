# Shared by setup-and-run.sh and test.sh: configure and build AttnScope in $ATTNSCOPE_BUILD_DIR.
# Environment knobs: ATTNSCOPE_BUILD_DIR (default: build), ATTNSCOPE_JOBS (default: all cores),
# ATTNSCOPE_CMAKE_ARGS (extra cmake arguments, e.g. "-DATTNSCOPE_WITH_CUDA=OFF").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${ATTNSCOPE_BUILD_DIR:-$ROOT/build}"
JOBS="${ATTNSCOPE_JOBS:-$(nproc)}"

# The CUDA toolkit's default location is not on PATH on a fresh Debian install.
if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi

configure_and_build() {
  local extra=()
  # The GUI is optional: a checkout without app/ builds the engine, CLI and tests only.
  if [ ! -f "$ROOT/app/CMakeLists.txt" ]; then extra+=(-DATTNSCOPE_WITH_GUI=OFF); fi
  if [ -n "${ATTNSCOPE_CMAKE_ARGS:-}" ]; then read -r -a more <<<"$ATTNSCOPE_CMAKE_ARGS"; extra+=("${more[@]}"); fi
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "${extra[@]}"
  cmake --build "$BUILD_DIR" -j "$JOBS" "$@"
}
