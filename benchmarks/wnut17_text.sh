#!/usr/bin/env bash
# wnut17_text.sh: the WNUT-17 tweets as plain text for masked language modelling (issue 24), the
# in-domain text that benchmarks/dapt.yaml pre-trains on and benchmarks/mlm_side_by_side.sh times.
# Each sentence of the CoNLL files (word TAB tag, a blank line between sentences) becomes one line:
# its words joined by single spaces, the tags dropped ("It 's the view from where I 'm living").
#
#   bash benchmarks/wnut17_text.sh [OUT]
# reads ${BERTKIT_DATA:-../shared/data}/wnut17/{wnut17train,emerging.dev}.conll (relative to the
# repository) and writes OUT/train.txt (3,394 tweets) and OUT/dev.txt (1,009); OUT defaults to
# runs/wnut17-text, where dapt.yaml looks.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DATA="${BERTKIT_DATA:-../shared/data}/wnut17"
OUT="${1:-runs/wnut17-text}"
mkdir -p "$OUT"
words_per_line() {
  # a line that is empty or only whitespace ends a sentence; the word is the first column
  awk -F'\t' '/^[ \t\r]*$/ { if (line != "") print line; line = ""; next }
              { line = (line == "" ? $1 : line " " $1) }
              END { if (line != "") print line }' "$1"
}
words_per_line "$DATA/wnut17train.conll" > "$OUT/train.txt"
words_per_line "$DATA/emerging.dev.conll" > "$OUT/dev.txt"
echo "wnut17_text.sh: $(wc -l < "$OUT/train.txt") training and $(wc -l < "$OUT/dev.txt") dev tweets in $OUT" >&2
