# Source this on the GPU machine (from the repository root): points CMake and the loader at the
# header-only and BLAS packages carried in .deps (extracted Debian packages; the GPU image has none).
# Locally (Debian with the packages installed) it changes nothing.
if [ -d "$PWD/.deps/usr" ]; then
  export ATTNSCOPE_DEPS="$PWD/.deps/usr"
  export CMAKE_PREFIX_PATH="$ATTNSCOPE_DEPS${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
  export LD_LIBRARY_PATH="$ATTNSCOPE_DEPS/lib/x86_64-linux-gnu:$ATTNSCOPE_DEPS/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  ATTNSCOPE_CMAKE_DEPS_ARGS=(-DBLAS_LIBRARIES="$ATTNSCOPE_DEPS/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so")
else
  ATTNSCOPE_CMAKE_DEPS_ARGS=()
fi
