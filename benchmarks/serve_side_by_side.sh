#!/usr/bin/env bash
# serve_side_by_side.sh: `bertkit serve` and the serving peers (../shared/perf/peer/serve_peer.py,
# --backend torch and --backend ort) on one checkpoint, under the same wrk load, one server at a
# time, 2 threads each; then BertKit's offline rate (`bertkit predict`) on the same sentences.
#
#   MODEL=/tmp/ft21/serve-model/sst2-pooler/best PY=/tmp/venv-torch/bin/python \
#     bash benchmarks/serve_side_by_side.sh [duration=60s] [connections=16,1] [reps=1]
#
# The checkpoint must compute the same function in transformers as in BertKit: a
# sequence-classification head on the tanh pooler (benchmarks/sst2-pooler.yaml). Sentences: the
# SST-2 dev file ($BERTKIT_DATA/sst2/dev.tsv). One line per server and connection count goes to
# $OUT/summary.txt: requests/s, p50/p90/p99 latency, non-2xx. BertKit's process runs without
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, so that it picks the OpenBLAS kernel itself.
# SERVERS picks the servers and their order (default "bertkit torch ort"); `bertkit-bf16` is
# `bertkit serve --precision bf16` (and the offline rate is then measured in bf16 too).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY="${PY:-/tmp/venv-torch/bin/python}"
PEER_DIR="${PEER_DIR:-../shared/perf/peer}"
MODEL="${MODEL:?set MODEL to a fine-tuned sequence-classification checkpoint (pooling: pooler)}"
DATA="${BERTKIT_DATA:-../shared/data}"
OUT="${OUT:-/tmp/serve-side}"
DURATION="${1:-60s}"; CONNECTIONS="${2:-16,1}"; REPS="${3:-1}"
SENTENCES="$DATA/sst2/dev.tsv"
BERTKIT="${BERTKIT:-.build/release/bertkit}"
SERVERS="${SERVERS:-bertkit torch ort}"
mkdir -p "$OUT"
port=8090

wait_healthy() {  # port, pid
  for _ in $(seq 1 600); do
    if curl -sf "http://127.0.0.1:$1/health" > /dev/null; then return 0; fi
    if ! kill -0 "$2" 2> /dev/null; then echo "server exited before answering /health" >&2; return 1; fi
    sleep 0.5
  done
  echo "no /health after 300 s" >&2; return 1
}

load() {  # name, port
  for c in ${CONNECTIONS//,/ }; do
    threads=$(( c < 2 ? 1 : 2 ))
    # a short warm-up, then the measured run
    wrk -t"$threads" -c"$c" -d5s -s "$PEER_DIR/wrk_predict.lua" "http://127.0.0.1:$2" -- "$SENTENCES" > /dev/null
    wrk -t"$threads" -c"$c" -d"$DURATION" --latency -s "$PEER_DIR/wrk_predict.lua" "http://127.0.0.1:$2" -- "$SENTENCES" \
      > "$OUT/$1-c$c-$rep.txt"
    rps=$(awk '/^Requests\/sec/ {print $2}' "$OUT/$1-c$c-$rep.txt")
    lat=$(awk '/^latency p/ {printf "%s=%s ", $2, $3}' "$OUT/$1-c$c-$rep.txt")
    bad=$(awk '/^requests .* non-2xx/ {print $4}' "$OUT/$1-c$c-$rep.txt" | tr -d ,)
    echo "$(date -u +%FT%TZ) $1 c=$c rep=$rep requests/s=$rps ${lat}non-2xx=$bad" | tee -a "$OUT/summary.txt"
  done
}

for rep in $(seq 1 "$REPS"); do
  for server in $SERVERS; do
    port=$((port + 1))
    case "$server" in
      bertkit|bertkit-bf16)
        precision=fp32; [ "$server" = bertkit-bf16 ] && precision=bf16
        env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$BERTKIT" serve --model "$MODEL" --port "$port" --threads 2 \
          --precision "$precision" 2> "$OUT/$server-server-$rep.log" & ;;
      *) HF_HUB_OFFLINE=1 "$PY" "$PEER_DIR/serve_peer.py" --model "$MODEL" --backend "$server" --port "$port" --threads 2 \
                 > "$OUT/$server-server-$rep.log" 2>&1 & ;;
    esac
    pid=$!
    wait_healthy "$port" "$pid"
    load "$server" "$port"
    kill -TERM "$pid"; wait "$pid" || true
  done
  # the offline rate: every dev sentence through `bertkit predict`, batch 32, the same threads
  python3 -c 'import json,sys
for i, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    text = line.split("\t")[0]
    if i == 0 and text == "sentence": continue
    if text: print(json.dumps({"text": text}))' "$SENTENCES" > "$OUT/sentences.jsonl"
  n=$(wc -l < "$OUT/sentences.jsonl")
  for server in $SERVERS; do
    case "$server" in bertkit) precision=fp32 ;; bertkit-bf16) precision=bf16 ;; *) continue ;; esac
    start=$(date +%s.%N)
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$BERTKIT" predict --model "$MODEL" --input "$OUT/sentences.jsonl" \
      --precision "$precision" > /dev/null
    end=$(date +%s.%N)
    echo "$(date -u +%FT%TZ) bertkit-predict offline $precision rep=$rep sentences=$n seconds=$(echo "$end - $start" | bc -l) sentences/s=$(echo "$n / ($end - $start)" | bc -l)" | tee -a "$OUT/summary.txt"
  done
done
