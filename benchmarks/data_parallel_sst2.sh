#!/usr/bin/env bash
# data_parallel_sst2.sh: issue 23's end-to-end check. benchmarks/sst2.yaml on one process (batch
# 32) and on 2 ranks of mpirun (batch 16 each: the same global batch of 32), seeds 42-44,
# alternated; prints each run's dev accuracy and wall time, and the two means.
#
#   BERTKIT=.build/release/bertkit OUT=/tmp/sst2-dp bash benchmarks/data_parallel_sst2.sh [seeds]
# OPENBLAS_CORETYPE is removed for BertKit's processes (BertKit picks the kernel itself).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BERTKIT="${BERTKIT:-.build/release/bertkit}"
OUT="${OUT:-/tmp/sst2-dp}"
SEEDS="${1:-42,43,44}"
MPIRUN=(mpirun --bind-to none -np 2)
[ "$(id -u)" -eq 0 ] && MPIRUN=(mpirun --allow-run-as-root --bind-to none -np 2)
mkdir -p "$OUT"
for seed in ${SEEDS//,/ }; do
  echo "seed $seed: 1 process x batch 32" >&2
  start=$(date +%s.%N)
  env -u OPENBLAS_CORETYPE "$BERTKIT" run benchmarks/sst2.yaml --output "$OUT/1p-$seed" --set seed="$seed" > "$OUT/1p-$seed.log" 2>&1
  echo "$start $(date +%s.%N)" > "$OUT/1p-$seed.seconds"
  echo "seed $seed: 2 ranks x batch 16" >&2
  start=$(date +%s.%N)
  env -u OPENBLAS_CORETYPE "${MPIRUN[@]}" "$BERTKIT" run benchmarks/sst2.yaml --output "$OUT/2r-$seed" --set seed="$seed" --set batch_size=16 > "$OUT/2r-$seed.log" 2>&1
  echo "$start $(date +%s.%N)" > "$OUT/2r-$seed.seconds"
done
python3 - "$OUT" "$SEEDS" <<'PY'
import json, os, statistics, sys
out, seeds = sys.argv[1], sys.argv[2].split(",")
means = {}
for kind, label in (("1p", "1 process x 32"), ("2r", "2 ranks x 16")):
    accuracies = []
    for seed in seeds:
        metrics = json.load(open(os.path.join(out, f"{kind}-{seed}", "sst2", "metrics.json")))
        accuracy = 100 * metrics["final"]["eval"]["accuracy"]
        start, end = map(float, open(os.path.join(out, f"{kind}-{seed}.seconds")).read().split())
        seconds = end - start
        accuracies.append(accuracy)
        print(f"{label:16s} seed {seed}: dev accuracy {accuracy:.2f}, ranks {metrics.get('ranks', 1)}, global batch {metrics.get('global_batch_size')}, {seconds:.1f} s")
    means[kind] = statistics.mean(accuracies)
    print(f"{label:16s} mean dev accuracy {means[kind]:.3f}")
print(f"difference (2 ranks - 1 process): {means['2r'] - means['1p']:+.3f} points")
PY
