#!/usr/bin/env bash
# mlm_side_by_side.sh: issue 24's speed line, BertKit's masked-LM training step against the
# PyTorch peer with run_mlm.py's semantics (benchmarks/mlm_peer.py), alternated process by process
# so that both see the same machine noise. Both train BertForMaskedLM on all-MiniLM-L6-v2's
# weights, batch 16 x 128 tokens cut from the same text (the WNUT-17 training tweets, made by
# benchmarks/wnut17_text.sh), masked as DataCollatorForLanguageModeling masks (15%), AdamW,
# dropout 0.1, 2 threads each; tokens/s is 16 x 128 over the step, the median of the timed steps.
#
#   bash benchmarks/mlm_side_by_side.sh            # after swift build -c release
#   PY=/tmp/venv-torch/bin/python REPS=3 STEPS=7 PRECISIONS="fp32 bf16" OUT=/tmp/bench-mlm
# bf16: the peer's forward and loss under torch.autocast("cpu", bfloat16) (mlm_peer.py --bf16),
# BertKit's `bench train --precision bf16`; on a CPU without bf16 units BertKit refuses bf16 unless
# BERTKIT_BF16_EMULATION=1 is set (oneDNN then emulates it, slower than fp32). Raw JSON per run goes to $OUT
# ({peer,bertkit}-mlm-<precision>-<rep>.json); the medians and ratios are printed at the end.
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed for BertKit's process alone (BertKit picks
# the kernel itself); the peer runs with the environment as it is.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY="${PY:-/tmp/venv-torch/bin/python}"
BERTKIT="${BERTKIT:-.build/release/bertkit}"
MODEL="${MODEL:-models/all-MiniLM-L6-v2}"
TEXT="${TEXT:-runs/wnut17-text/train.txt}"
OUT="${OUT:-/tmp/bench-mlm}"
REPS="${REPS:-3}"
STEPS="${STEPS:-7}"
PRECISIONS="${PRECISIONS:-fp32 bf16}"
[ -f "$TEXT" ] || bash benchmarks/wnut17_text.sh "$(dirname "$TEXT")"
mkdir -p "$OUT"
for rep in $(seq 1 "$REPS"); do
  for precision in $PRECISIONS; do
    case "$precision" in fp32) peer_flag=() ;; bf16) peer_flag=(--bf16) ;;
      *) echo "mlm_side_by_side.sh: PRECISIONS holds fp32 and bf16, found $precision" >&2; exit 2 ;; esac
    echo "rep $rep: peer $precision" >&2
    "$PY" benchmarks/mlm_peer.py --model "$MODEL" --text "$TEXT" --threads 2 --steps "$STEPS" --warmup 2 ${peer_flag[@]+"${peer_flag[@]}"} \
      > "$OUT/peer-mlm-$precision-$rep.json"
    echo "rep $rep: bertkit $precision" >&2
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$BERTKIT" bench train --model "$MODEL" --head masked-lm --text "$TEXT" \
      --threads 2 --steps "$STEPS" --precision "$precision" --json > "$OUT/bertkit-mlm-$precision-$rep.json"
  done
done
python3 - "$OUT" $PRECISIONS <<'SUMMARY'
import glob, json, os, statistics, sys
out, precisions = sys.argv[1], sys.argv[2:]
# issue 24's bars: BertKit fp32 >= 2.5x the peer's fp32 step, BertKit bf16 >= 2.0x the peer's bf16 one
bars = {"fp32": 2.5, "bf16": 2.0}
def runs(side, precision):
    rows = []
    for path in sorted(glob.glob(os.path.join(out, f"{side}-mlm-{precision}-[0-9]*.json"))):
        with open(path) as f:
            data = json.load(f)
        rows.append(data["tokens_per_s"] if side == "peer" else data["throughput"]["median"])
    return rows
for precision in precisions:
    peer, ours = runs("peer", precision), runs("bertkit", precision)
    if not peer or not ours:
        continue
    ratio = statistics.median(ours) / statistics.median(peer)
    print(f"MiniLM-L6 masked-LM training, {precision}, batch 16 x 128, 2 threads, tokens/s: "
          f"peer {statistics.median(peer):.1f} (runs {', '.join(f'{x:.1f}' for x in peer)}), "
          f"BertKit {statistics.median(ours):.1f} (runs {', '.join(f'{x:.1f}' for x in ours)}): "
          f"{ratio:.2f}x (bar {bars[precision]:.1f}x)")
SUMMARY
