#!/usr/bin/env bash
# Checks an installed AttnScope (a `cmake --install` prefix or the .deb's /usr) the way a user meets it:
#  0. the licence is installed: share/doc/attnscope/LICENSE (GPL-3) and copyright naming GPL-3.0-or-later;
#  1. the installed CLI links none of the CUDA libraries (they are opened at run time);
#  2. `attnscope-cli devices` and a CPU sweep run from the installed path, and `backends` finds the
#     library backends' Python bridge installed beside it;
#  3. with every CUDA library hidden (a private mount namespace with an empty tmpfs over each CUDA
#     folder and /dev/null over CUDA libraries in shared folders), the CLI still starts, names each
#     missing library with its fix, greys every GPU backend with the missing-driver reason (cublas-math
#     also with cuBLAS's) and runs a CPU sweep. (A CPU-only build opens no CUDA library; there every GPU
#     backend must say the build has no CUDA support.)
# Usage: check_installed.sh PREFIX [WORK_DIR]. Exit 77 (CTest: skipped) only when this machine allows no
# mount namespace for step 3, after steps 1-2 passed.
set -euo pipefail
PREFIX="$1"
WORK="${2:-$(mktemp -d)}"
mkdir -p "$WORK"
CLI="$PREFIX/bin/attnscope-cli"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$CLI" ] || fail "$CLI is not an installed executable"
for f in share/applications/attnscope.desktop share/icons/hicolor/scalable/apps/attnscope.svg \
         share/doc/attnscope/README.md share/doc/attnscope/copyright; do
  [ -f "$PREFIX/$f" ] || [ ! -x "$PREFIX/bin/attnscope" ] || fail "$PREFIX/$f is missing"
done
# The licence (GPL-3.0-or-later) with the program: the GPL text and the Debian copyright file naming it.
doc="$PREFIX/share/doc/attnscope"
[ -f "$doc/LICENSE" ] || fail "$doc/LICENSE is missing"
head -n 3 "$doc/LICENSE" | grep -q "GNU GENERAL PUBLIC LICENSE" && head -n 3 "$doc/LICENSE" | grep -q "Version 3, 29 June 2007" ||
  fail "$doc/LICENSE is not the GPL-3 text"
grep -q "^License: GPL-3.0-or-later" "$doc/copyright" || fail "$doc/copyright does not name AttnScope's licence"
grep -q "either version 3 of the License" "$doc/copyright" || fail "$doc/copyright lacks the GPL-3+ notice"
"$CLI" --version | grep -q "License GPL-3.0-or-later" || fail "attnscope-cli --version does not name the licence"
echo "ok: $doc has LICENSE (GPL-3) and copyright naming GPL-3.0-or-later; --version names it"
if command -v help2man >/dev/null; then
  [ -f "$PREFIX/share/man/man1/attnscope-cli.1.gz" ] || fail "no man page attnscope-cli.1.gz"
  zcat "$PREFIX/share/man/man1/attnscope-cli.1.gz" | grep -q "seq" || fail "the man page lacks the subcommands' options"
  zcat "$PREFIX/share/man/man1/attnscope-cli.1.gz" | grep -q 'GPL\\-3.0\\-or\\-later' || fail "the man page does not name the licence"
fi

# 1. No CUDA library among the CLI's dependencies.
linked="$(ldd "$CLI")"
if grep -E "lib(cudart|cupti|cuda|cublas|cublasLt|cudnn)\.so" <<<"$linked"; then
  fail "$CLI links CUDA libraries (above); they must be opened at run time"
fi
echo "ok: ldd $CLI shows no libcudart/libcupti/libcuda/libcublas"

# 2. Devices and a CPU sweep from the installed path.
"$CLI" devices >"$WORK/devices.txt" || fail "attnscope-cli devices failed: $(cat "$WORK/devices.txt")"
check_cpu_records() {  # $1: a result file of the CPU sweep below
  for b in cpu-reference cpu-math; do
    [ "$(grep -o "\"backend\": *\"$b\"" "$1" | wc -l)" -ge 2 ] || fail "$1 lacks two $b points"
  done
  grep -q '"status": *"ok"' "$1" || fail "$1 has no measured point"
}
"$CLI" run --device cpu --seq 64,128 --head-dim 32 --dtype float32 --json "$WORK/cpu.json" >"$WORK/cpu.log" 2>&1 ||
  fail "CPU run failed: $(cat "$WORK/cpu.log")"
check_cpu_records "$WORK/cpu.json"
echo "ok: devices and a CPU sweep from $PREFIX/bin"
# The library backends' Python bridge is installed with the programs and found beside them (no source tree).
"$CLI" backends --device cpu --seq 64 --head-dim 32 >"$WORK/backends.txt" 2>&1 || fail "attnscope-cli backends failed"
if grep -q "bridge module did not import" "$WORK/backends.txt"; then
  fail "the installed CLI did not find its Python bridge: $(grep -m1 "bridge module" "$WORK/backends.txt")"
fi
grep -q "triton-flash\|python-libraries" "$WORK/backends.txt" || fail "backends lists no library row"
echo "ok: the library rows are listed from the installed bridge (or greyed for want of Python)"

# 3. The same with the CUDA libraries hidden.
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then ns=(unshare -m)
elif unshare -rm true 2>/dev/null; then ns=(unshare -rm)
else echo "SKIP: no mount namespace here (unshare -m needs root, unshare -rm user namespaces)"; exit 77; fi

# What to hide: each CUDA folder, and any CUDA library the loader knows elsewhere.
cuda_libs='lib(cuda|cudart|cupti|cublas|cublasLt|cudnn[a-z_]*|nvidia-ml)\.so'
mapfile -t known < <(ldconfig -p | grep -E "$cuda_libs" | sed 's/.* => //' | sort -u)
mapfile -t dirs < <(for d in /usr/local/cuda /usr/local/cuda-* /opt/nvidia; do [ -d "$d" ] && readlink -f "$d"; done | sort -u)
cat >"$WORK/hidden.sh" <<EOF
set -euo pipefail
for d in ${dirs[*]:-}; do mount -t tmpfs tmpfs "\$d"; done
for f in ${known[*]:-}; do [ -e "\$f" ] && mount --bind /dev/null "\$f"; done
# Prove it: every CUDA library the loader's cache names is now empty, and so is every CUDA folder (where
# the build found CUPTI and cuBLAS); the devices listing below must also report each one missing.
for f in ${known[*]:-}; do [ ! -s "\$f" ] || { echo "still visible: \$f"; exit 3; }; done
for d in ${dirs[*]:-}; do [ -z "\$(ls -A "\$d")" ] || { echo "still visible: \$d"; exit 3; }; done
"$CLI" devices >"$WORK/hidden-devices.txt" 2>&1
"$CLI" backends --device cpu --seq 128 --head-dim 64 --dtype float16 >"$WORK/hidden-backends.txt" 2>&1 || true
"$CLI" run --device cpu --seq 64,128 --head-dim 32 --dtype float32 --json "$WORK/hidden-cpu.json" >"$WORK/hidden-cpu.json.log" 2>&1
EOF
"${ns[@]}" bash "$WORK/hidden.sh" || fail "with CUDA hidden: $(cat "$WORK"/hidden-*.txt "$WORK"/hidden-cpu.json.log 2>/dev/null)"

if grep -q "configured without a CUDA toolkit" "$WORK/devices.txt"; then
  cuda_build=0  # a CPU-only build opens no CUDA library: its GPU backends say the build lacks CUDA
  driver_reason="has no CUDA support"
else
  cuda_build=1
  driver_reason="NVIDIA driver not found"
fi
[ "$cuda_build" = 0 ] || for lib in "NVIDIA driver" CUPTI cuBLAS; do
  grep -q "^  $lib: not found" "$WORK/hidden-devices.txt" || fail "devices does not report $lib missing: $(cat "$WORK/hidden-devices.txt")"
done
if [ "$cuda_build" = 1 ]; then
  grep -q "CUPTI not found: timing falls back to CUDA events" "$WORK/hidden-devices.txt" || fail "no CUPTI reason"
  grep -q "fix: install the CUDA toolkit's CUPTI" "$WORK/hidden-devices.txt" || fail "no CUPTI fix"
fi
# Every CUDA backend greyed, each with the missing-driver reason; cublas-math also with cuBLAS's.
awk -v driver="$driver_reason" -v cuda_build="$cuda_build" '
  function flush() {
    if (head ~ /, cuda\)$/) {
      n++
      if (head !~ /\[ineligible\]/) { print "eligible with CUDA hidden: " head; bad = 1 }
      if (index(body, driver) == 0) { print "no \"" driver "\" reason: " head; bad = 1 }
      if (cuda_build && head ~ / cublas-math / && body !~ /cuBLAS not found/) { print "no cuBLAS reason: " head; bad = 1 }
    }
  }
  /^  \[(eligible|ineligible)\]/ { flush(); head = $0; body = ""; next }
  { body = body "\n" $0 }
  END { flush(); if (n < 5) { print "only " n " CUDA backends listed"; bad = 1 } exit bad }
' "$WORK/hidden-backends.txt" || fail "backends with CUDA hidden: $(cat "$WORK/hidden-backends.txt")"
check_cpu_records "$WORK/hidden-cpu.json"
echo "ok: with the CUDA libraries hidden the installed CLI starts, greys $(grep -c ', cuda)$' "$WORK/hidden-backends.txt") GPU backends with the missing-library reasons and runs a CPU sweep"
