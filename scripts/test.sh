#!/usr/bin/env bash
# Configure, build everything and run every test suite through CTest. GPU tests skip with their reason
# when there is no GPU; GUI tests run offscreen.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
configure_and_build
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" "$@"
