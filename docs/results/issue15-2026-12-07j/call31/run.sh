#!/usr/bin/env bash
# Call 31 (issue 15, 2026-12-07 tenth session; H100, 28 s on the machine call 30 left warm, with call 30's package):
# the d=128 cells below 4k in rotation, flash3 / cudnn (call 30's binary; its d=128 kernels are main's).
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final && tar -xJf ../bin.tar.xz && export PATH=/usr/local/cuda/bin:$PATH && CELLS="bfloat16:0:128:1024;float16:0:128:1024;bfloat16:0:128:2048;bfloat16:1:128:1024;float16:1:128:1024;bfloat16:1:128:2048" ROTATE="flash3|||;cudnn||cudnn|" ABBA_TIME=0.2 OUT=$OUT/flash3 BUILD=build-gpu timeout 200 bash kernels/flash3/gpu_run.sh rotate 2>&1 | grep -E "^\| (dtype|bfloat16|float16)"
