#!/usr/bin/env bash
# serve_soak.sh: the robustness soak of `bertkit serve`. A valid load (wrk_predict.lua, SST-2 dev
# sentences) and, beside it, a paced stream of malformed requests (benchmarks/wrk_malformed.lua:
# random bytes, truncated JSON, wrong types, empty text, too many inputs, a 2 MiB field, deep
# nesting), for $DURATION; the server's RSS sampled every 10 s into $OUT/rss.tsv.
#
#   MODEL=/tmp/ft21/serve-model/sst2-pooler/best bash benchmarks/serve_soak.sh [duration=600] [delay_ms=100]
#
# PRECISION=bf16 soaks `bertkit serve --precision bf16` (default fp32).
# Passes when every malformed request got a 4xx, every valid one a 2xx, the server is still up,
# and its RSS at the end is within 5% of its RSS after the first minute.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MODEL="${MODEL:?set MODEL to a fine-tuned checkpoint}"
DATA="${BERTKIT_DATA:-../shared/data}"
PEER_DIR="${PEER_DIR:-../shared/perf/peer}"
OUT="${OUT:-/tmp/serve-soak}"
BERTKIT="${BERTKIT:-.build/release/bertkit}"
DURATION="${1:-600}"; DELAY_MS="${2:-100}"; PORT="${PORT:-8099}"
mkdir -p "$OUT"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$BERTKIT" serve --model "$MODEL" --port "$PORT" --threads 2 \
  --precision "${PRECISION:-fp32}" 2> "$OUT/server.log" &
pid=$!
trap 'kill -TERM $pid 2> /dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/health" > /dev/null; do
  kill -0 "$pid" || { echo "the server exited; see $OUT/server.log" >&2; exit 1; }
  sleep 0.5
done
printf 'seconds\trss_kib\n' > "$OUT/rss.tsv"
( start=$(date +%s)
  while kill -0 "$pid" 2> /dev/null; do
    printf '%s\t%s\n' "$(( $(date +%s) - start ))" "$(awk '/^VmRSS/ {print $2}' /proc/$pid/status)" >> "$OUT/rss.tsv"
    sleep 10
  done ) &
sampler=$!
wrk -t1 -c2 -d"${DURATION}s" -s benchmarks/wrk_malformed.lua "http://127.0.0.1:$PORT" -- "$DELAY_MS" > "$OUT/malformed.txt" &
bad=$!
wrk -t2 -c16 -d"${DURATION}s" --latency -s "$PEER_DIR/wrk_predict.lua" "http://127.0.0.1:$PORT" -- "$DATA/sst2/dev.tsv" > "$OUT/valid.txt"
wait "$bad"
alive=$(kill -0 "$pid" 2> /dev/null && echo yes || echo no)
curl -s "http://127.0.0.1:$PORT/metrics" > "$OUT/metrics.txt" || true
kill -TERM "$pid"; wait "$pid" && status=0 || status=$?
kill "$sampler" 2> /dev/null || true
echo "server alive at the end: $alive; exit status after SIGTERM: $status"
grep -E "^requests|^latency|Requests/sec" "$OUT/valid.txt"
cat "$OUT/malformed.txt" | grep "^malformed"
python3 - "$OUT/rss.tsv" <<'PY'
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]).read().splitlines()[1:] if l.strip()]
first = next(r for r in rows if r[0] >= 60)
last = rows[-1]
print(f"RSS after the first minute {first[1] / 1024:.1f} MiB (t={first[0]} s), at the end {last[1] / 1024:.1f} MiB (t={last[0]} s): {last[1] / first[1]:.3f}x")
PY
