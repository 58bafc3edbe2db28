#!/usr/bin/env bash
# The model-guard benchmark on a GPU machine, as one short command: the base
# GLiClass guard at 128, 512 and 1024 tokens in float16, bfloat16 and float32
# (the Opir card reports 13.30 ms p50 at 1024 tokens). Results land in $OUT
# (or ./gpu-results). The machine needs torch and transformers; the other
# Python packages travel as wheels in .whl/ (see benchmarks/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu-results}"
mkdir -p "$out" /tmp/pkg/sluicegate
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl
    export PYTHONPATH="/tmp/site:${PYTHONPATH:-}"
fi
# The repo's three folders as the sluicegate package, without installing it.
for part in proxy guards policies; do ln -sfn "$PWD/$part" "/tmp/pkg/sluicegate/$part"; done
export PYTHONPATH="/tmp/pkg:${PYTHONPATH:-}" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"
for dtype in float16 bfloat16 float32; do
    python3 benchmarks/guards.py --device cuda --dtype "$dtype" --tokens 128 512 1024 \
        --latency-requests 50 --throughput-requests 256 --no-results-md \
        --output "$out/guards-gpu-$dtype.json" 2>&1 | grep -v "Loading weights\|Writing model"
done
