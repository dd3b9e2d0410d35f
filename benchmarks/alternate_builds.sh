#!/usr/bin/env bash
# alternate_builds.sh: two or more bertkit builds, benchmarked process by process in turn, so that
# each sees the same machine noise (these 2-core machines drift by several percent a minute).
#
#   REPS=3 bash benchmarks/alternate_builds.sh train minilm-l12 /tmp/bk-before /tmp/bk-after
#
# One line per run: build, tokens/s or sequences/s (median step), the sgemm reference (GFLOP/s;
# in brackets the same GEMMs in the engine's row blocks, where the build reports it), MFU vs GEMM,
# and the step's breakdown in seconds. Runs with OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE removed, so that BertKit picks the OpenBLAS kernel itself.
set -euo pipefail
mode="$1"; config="$2"; shift 2
reps="${REPS:-3}"; steps="${STEPS:-8}"
json="$(mktemp)"
trap 'rm -f "$json"' EXIT
for rep in $(seq 1 "$reps"); do
  for build in "$@"; do
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$build" bench "$mode" --config "$config" --steps "$steps" --json > "$json"
    python3 - "$build" "$json" <<'EOF'
import json, sys
build, path = sys.argv[1], sys.argv[2]
d = json.load(open(path))
parts = " ".join(f"{k.split(' ')[0]}={v:.3f}" for k, v in d["breakdownSeconds"].items() if v > 0.0005)
engine = f" (row blocks {d['engineGEMMGFLOPs']:.1f})" if "engineGEMMGFLOPs" in d else ""
print(f"{build} {d['mode']} {d['model']} {d['throughput']['median']:.1f} {d['unit']} "
      f"ref {d['gemmGFLOPs']:.1f}{engine} MFU {d['mfuVersusGEMM']:.3f} {parts}")
EOF
  done
done
