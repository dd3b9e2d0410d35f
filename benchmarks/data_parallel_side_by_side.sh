#!/usr/bin/env bash
# data_parallel_side_by_side.sh: issue 23's speed lines on one machine, alternated process by
# process so that all four see the same machine noise:
#   PyTorch, 1 process x 2 threads    (../shared/perf/peer/torch_baseline.py worker --task train)
#   BertKit, 1 process x 2 threads    (bertkit bench train --threads 2)
#   PyTorch DDP, 2 ranks x 1 thread   (torchrun --nproc_per_node 2 benchmarks/torch_ddp_step.py, gloo)
#   BertKit, 2 ranks x 1 thread       (mpirun -np 2 bertkit bench train --threads 1)
# Every process trains batch 16 x seq 128 (per rank); throughput is the whole job's tokens/s.
#
#   PY=/tmp/venv-torch/bin/python REPS=3 bash benchmarks/data_parallel_side_by_side.sh [model]
#   model: base (default) or minilm; JSON per run into $OUT (default /tmp/bench-dp), then
#   python3 benchmarks/summarize_data_parallel.py $OUT
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed for BertKit's processes alone (BertKit picks
# the kernel itself); mpirun runs with --bind-to none (each rank's communication thread may run
# on either core).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY="${PY:-/tmp/venv-torch/bin/python}"
TORCHRUN="${TORCHRUN:-$(dirname "$PY")/torchrun}"
PEER="${PEER:-../shared/perf/peer/torch_baseline.py}"
BERTKIT="${BERTKIT:-.build/release/bertkit}"
OUT="${OUT:-/tmp/bench-dp}"
REPS="${REPS:-3}"
MODEL="${1:-base}"
case "$MODEL" in base) config=bert-base ;; minilm) config=minilm-l12 ;; *) echo "model must be base or minilm" >&2; exit 2 ;; esac
MPIRUN=(mpirun --bind-to none -np 2)
[ "$(id -u)" -eq 0 ] && MPIRUN=(mpirun --allow-run-as-root --bind-to none -np 2)
bertkit() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@"; }
mkdir -p "$OUT"
for rep in $(seq 1 "$REPS"); do
  echo "rep $rep: torch 1 process x 2 threads" >&2
  "$PY" "$PEER" worker --model "$MODEL" --task train --threads 2 > "$OUT/torch-1p-$MODEL-$rep.json"
  echo "rep $rep: bertkit 1 process x 2 threads" >&2
  bertkit "$BERTKIT" bench train --config "$config" --threads 2 --json > "$OUT/bertkit-1p-$MODEL-$rep.json"
  echo "rep $rep: torch DDP 2 ranks x 1 thread" >&2
  "$TORCHRUN" --nproc_per_node 2 benchmarks/torch_ddp_step.py --model "$MODEL" --threads 1 --peer "$PEER" > "$OUT/torch-ddp-$MODEL-$rep.json" 2> "$OUT/torch-ddp-$MODEL-$rep.err"
  echo "rep $rep: bertkit 2 ranks x 1 thread" >&2
  bertkit "${MPIRUN[@]}" "$BERTKIT" bench train --config "$config" --threads 1 --json > "$OUT/bertkit-2r-$MODEL-$rep.json"
done
python3 benchmarks/summarize_data_parallel.py "$OUT" "$MODEL"
