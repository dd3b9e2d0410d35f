#!/usr/bin/env bash
# CI for the plugin example: build this package against the BertKit beside it (../..), run its
# own tests, then train and evaluate its head end to end on the tiny multi-label sample and
# predict with the saved checkpoint. Fails when any step fails or eval micro F1 < 0.8.
# (Debug build: the whole sample trains in a few seconds.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
swift build --build-tests
swift test --skip-build
tool=.build/debug/bertkit-multilabel
output=$(mktemp -d)
trap 'rm -rf "$output"' EXIT
"$tool" validate tasks.yaml
"$tool" run tasks.yaml --output "$output" 2>&1 | tee "$output/run.log"
f1=$(grep '^  eval: ' "$output/run.log" | tail -1 | grep -o 'micro_f1 [0-9.]*' | awk '{print $2}')
echo "custom-head: eval micro_f1 ${f1:-missing}"
awk -v f1="${f1:-0}" 'BEGIN { exit !(f1 >= 0.8) }' || { echo "custom-head: micro_f1 below 0.8" >&2; exit 1; }
prediction=$(echo '{"text": "a x b"}' | "$tool" predict --model "$output/letters/best")
echo "custom-head: predict -> $prediction"
case "$prediction" in *'"labels":['*) ;; *) echo "custom-head: predict gave no labels list" >&2; exit 1 ;; esac
