#!/usr/bin/env bash
# Installs the Debian 12 packages AttnScope builds and tests with, when any is missing (help2man for the
# man pages, dpkg-dev and file for the .deb's dependencies; the CUDA
# toolkit is expected at /usr/local/cuda and is optional: without it the build is CPU-only). python3 and
# its shared runtime let the worker embed Python for the library backends (docs/python-backends.md).
# Used by setup-and-run.sh and by CI (.ci/run) before the tests.
set -euo pipefail
PACKAGES=(cmake ninja-build g++ pkg-config qt6-base-dev qt6-svg-dev libqcustomplot-dev libqcustomplot2.1-qt6 nlohmann-json3-dev
          libcli11-dev libgtest-dev libopenblas-dev xvfb xauth poppler-utils help2man dpkg-dev file python3 libpython3.11)
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
