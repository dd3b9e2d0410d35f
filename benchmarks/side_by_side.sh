#!/usr/bin/env bash
# side_by_side.sh: the PyTorch peer (../shared/perf/peer/torch_baseline.py) and `bertkit bench`,
# alternated process by process so that both see the same machine noise, 2 threads.
#
#   PY=/tmp/venv-torch/bin/python REPS=3 bash benchmarks/side_by_side.sh [models] [tasks]
#   models: base,minilm (default)   tasks: train,infer (default)
# Raw JSON per run goes to $OUT (default /tmp/bench-side); summarize with
#   python3 benchmarks/summarize_side_by_side.py $OUT
# PRECISION=bf16 runs the peer's train_bf16 / infer_bf16 / latency_bf16 (torch.autocast) and
# `bertkit bench --precision bf16`, into files named ...-bf16-<rep>.json.
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
PRECISION="${PRECISION:-fp32}"
case "$PRECISION" in fp32) peer_suffix="" ; file_suffix="" ;; bf16) peer_suffix="_bf16" ; file_suffix="-bf16" ;;
  *) echo "side_by_side.sh: PRECISION must be fp32 or bf16, found $PRECISION" >&2; exit 2 ;; esac
mkdir -p "$OUT"
bertkit() {
  if [ "${KERNEL:-}" = auto ]; then env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .build/release/bertkit "$@"
  else .build/release/bertkit "$@"; fi
}
# REP_OFFSET numbers the files from REP_OFFSET+1, so that calls with PRECISION=fp32 and bf16 can
# alternate rep by rep into one $OUT
for rep in $(seq $((1 + ${REP_OFFSET:-0})) $((REPS + ${REP_OFFSET:-0}))); do
  for model in ${MODELS//,/ }; do
    case "$model" in base) config=bert-base ;; minilm) config=minilm-l12 ;; *) config=$model ;; esac
    for task in ${TASKS//,/ }; do
      echo "rep $rep: peer $model $task$peer_suffix" >&2
      "$PY" "$PEER" worker --model "$model" --task "$task$peer_suffix" --threads 2 > "$OUT/peer-$model-$task$file_suffix-$rep.json"
      if [ "$task" = infer ]; then
        "$PY" "$PEER" worker --model "$model" --task "latency$peer_suffix" --threads 2 > "$OUT/peer-$model-latency$file_suffix-$rep.json"
      fi
      echo "rep $rep: bertkit $config $task $PRECISION" >&2
      bertkit bench "$task" --config "$config" --threads 2 --precision "$PRECISION" --json > "$OUT/bertkit-$model-$task$file_suffix-$rep.json"
    done
  done
done
