#!/usr/bin/env bash
# side_by_side.sh: the PyTorch peer (../shared/perf/peer/torch_baseline.py) and `bertkit bench`,
# alternated process by process so that both see the same machine noise, 2 threads.
#
#   PY=/tmp/venv-torch/bin/python REPS=3 bash benchmarks/side_by_side.sh [models] [tasks]
#   models: base,minilm (default)   tasks: train,infer (default)
# Raw JSON per run goes to $OUT (default /tmp/bench-side); summarize with
#   python3 benchmarks/summarize_side_by_side.py $OUT
# BertKit runs with the environment as it is, unless KERNEL=auto: then OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE are removed for its process alone, so that BertKit picks the kernel itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY="${PY:-/tmp/venv-torch/bin/python}"
PEER="${PEER:-../shared/perf/peer/torch_baseline.py}"
OUT="${OUT:-/tmp/bench-side}"
REPS="${REPS:-3}"
MODELS="${1:-base,minilm}"
TASKS="${2:-train,infer}"
mkdir -p "$OUT"
bertkit() {
  if [ "${KERNEL:-}" = auto ]; then env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .build/release/bertkit "$@"
  else .build/release/bertkit "$@"; fi
}
for rep in $(seq 1 "$REPS"); do
  for model in ${MODELS//,/ }; do
    case "$model" in base) config=bert-base ;; minilm) config=minilm-l12 ;; *) config=$model ;; esac
    for task in ${TASKS//,/ }; do
      echo "rep $rep: peer $model $task" >&2
      "$PY" "$PEER" worker --model "$model" --task "$task" --threads 2 > "$OUT/peer-$model-$task-$rep.json"
      if [ "$task" = infer ]; then
        "$PY" "$PEER" worker --model "$model" --task latency --threads 2 > "$OUT/peer-$model-latency-$rep.json"
      fi
      echo "rep $rep: bertkit $config $task" >&2
      bertkit bench "$task" --config "$config" --threads 2 --json > "$OUT/bertkit-$model-$task-$rep.json"
    done
  done
done
