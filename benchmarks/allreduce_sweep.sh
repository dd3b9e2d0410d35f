#!/usr/bin/env bash
# allreduce_sweep.sh: the allreduce inputs of docs/distributed.md's scaling model. MPI_Allreduce of
# MiniLM-L12's and bert-base's float32 gradients (their parameter counts, from
# benchmarks/scaling_model.py) on 2 ranks, over three paths, alternated round by round so that all
# see the same machine noise:
#   shm       mpirun -np 2 on this machine, Open MPI's default transports (shared memory)
#   tcp-lo    the same over TCP on loopback (--mca btl tcp,self)
#   veth      one rank in each of two network namespaces, TCP over a veth pair
#             (scripts/two-hosts.sh allreduce; needs root)
#
#   bash benchmarks/allreduce_sweep.sh            # ROUNDS=3 REPS=7 OUT=/tmp/allreduce-sweep PATHS="shm tcp-lo veth"
# Each round is one mpirun per (path, model), REPS timed allreduces after 2 warm-ups; one JSON file
# each in $OUT, named PATH-MODEL-ROUND.json. The summary is the median over every sample of every
# round. Quiet machine only: nothing else running.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT="${OUT:-/tmp/allreduce-sweep}"
ROUNDS="${ROUNDS:-3}"
REPS="${REPS:-7}"
PATHS="${PATHS:-shm tcp-lo veth}"
mkdir -p "$OUT"
binary=$(mktemp -d /tmp/allreduce-sweep-bin.XXXXXX)/allreduce_time
trap 'rm -rf "$(dirname "$binary")"' EXIT
mpicc -O2 -o "$binary" benchmarks/allreduce_time.c

# the parameter counts, from the configurations (not typed in twice)
declare -A COUNT
while read -r model count; do COUNT[$model]=$count; done < <(python3 - <<'PY'
import importlib.util
spec = importlib.util.spec_from_file_location("scaling_model", "benchmarks/scaling_model.py")
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
for key in ("minilm", "base"):
    print(key, sum(c for _, c, _ in m.parameter_groups(m.CONFIGS[key])))
PY
)

run() {
  local path=$1 model=$2
  case "$path" in
    shm) mpirun --allow-run-as-root --oversubscribe -np 2 "$binary" "${COUNT[$model]}" "$REPS" 2 ;;
    tcp-lo) mpirun --allow-run-as-root --oversubscribe -np 2 --mca btl tcp,self "$binary" "${COUNT[$model]}" "$REPS" 2 ;;
    veth) scripts/two-hosts.sh allreduce "${COUNT[$model]}" "$REPS" 2 2>/dev/null ;;
    *) echo "allreduce_sweep.sh: PATHS may hold shm, tcp-lo and veth, found $path" >&2; exit 2 ;;
  esac
}

for round in $(seq 1 "$ROUNDS"); do
  for model in minilm base; do
    for path in $PATHS; do
      echo "round $round: $path $model (${COUNT[$model]} floats)" >&2
      run "$path" "$model" | grep '^{' > "$OUT/$path-$model-$round.json"
    done
  done
done

python3 - "$OUT" $PATHS <<'PY'
import glob, json, os, statistics, sys
out, paths = sys.argv[1], sys.argv[2:]
print("| path | model | MB | median ms [min..max] | samples | algorithm Gbit/s |")
print("|---|---|---|---|---|---|")
for model in ("minilm", "base"):
    for path in paths:
        runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(out, f"{path}-{model}-*.json")))]
        if not runs:
            continue
        s = [x for r in runs for x in r["samples_s"]]
        m = statistics.median(s)
        print(f"| {path} | {model} | {runs[0]['bytes'] / 1e6:.1f} | {1000 * m:.1f} [{1000 * min(s):.1f}..{1000 * max(s):.1f}] "
              f"| {len(s)} | {8 * runs[0]['bytes'] / m / 1e9:.2f} |")
PY
