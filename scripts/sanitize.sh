#!/usr/bin/env bash
# sanitize.sh: the test suite under the sanitizers (docs/reliability.md, "Sanitizers").
#
#   scripts/sanitize.sh address [FILTER]   AddressSanitizer and UndefinedBehaviorSanitizer, and
#                                          LeakSanitizer in the bertkit processes the tests start
#   scripts/sanitize.sh thread [FILTER]    ThreadSanitizer
#
# Each builds the tests in a scratch folder of its own (.build-asan, .build-tsan: a sanitized
# build shares nothing with .build), then runs them: the whole suite, or swift test's --filter
# FILTER. The engine's parallel paths alone, under ThreadSanitizer in minutes instead of the
# suite's half hour: Parallel's fork-join and splits, attention's runs of pairs, the GEMM row
# blocks, the buffer pool shared by threads, per-thread engine state and the tokenizer's batch
# workers (TensorTests, TokenizersTests), then a training task and the server's batcher, which
# run all of them together:
#   scripts/sanitize.sh thread 'TensorTests|TokenizersTests|TaskThreadsTests|RunEndToEndTests|ServingBatchingTests'
# The bertkit executable the end-to-end tests spawn is the one beside the test bundle, so it is
# the sanitized build too, and so are the ranks mpirun starts; every process writes its reports
# to $SCRATCH/sanitizer-logs/report.PID, since a report on the stderr of a child that a test
# expects to fail would otherwise pass unseen. Exits non-zero when a test failed or any process
# reported anything. Run it niced on a shared machine: a first build takes 10-20 minutes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode=${1:-}
filter=${2:-}
case "$mode" in
  address)
    scratch=.build-asan
    # Swift code gets AddressSanitizer (swiftc has no UndefinedBehaviorSanitizer on Linux: Swift
    # checks overflow, bounds and nil itself); C targets (CKernels, COneDNN's and CMPI's loaders)
    # get both, SwiftPM adding -fsanitize=address and -Xcc the rest.
    flags=(--sanitize address -Xcc -fsanitize=undefined)
    runtime_symbols=(__asan_ __ubsan_handle_)
    ;;
  thread)
    scratch=.build-tsan
    flags=(--sanitize thread)
    runtime_symbols=(__tsan_)
    ;;
  *)
    echo "usage: scripts/sanitize.sh address|thread [FILTER]" >&2
    exit 2
    ;;
esac
here=$(pwd)
logs="$here/$scratch/sanitizer-logs"
options="$here/$scratch/sanitizer-options"
supp="$here/scripts/sanitizers"

started=$SECONDS
swift build --build-tests --scratch-path "$scratch" "${flags[@]}"
built=$SECONDS

# The C kernels must be instrumented, not merely linked with the runtime: their objects call it
# (UndefinedBehaviorSanitizer's handlers in every kernel with arithmetic to check: all but
# vector_target.c, a CPU query).
for object in "$scratch"/debug/CKernels.build/*.c.o; do
  for symbol in "${runtime_symbols[@]}"; do
    case "$symbol:$object" in __ubsan_*:*/vector_target.c.o) continue ;; esac
    nm -u "$object" | grep -q "$symbol" || { echo "sanitize.sh: $object calls no $symbol*: the C kernels are not instrumented" >&2; exit 1; }
  done
done

rm -rf "$logs" "$options"
mkdir -p "$logs" "$options"
# Options per executable (%b is its name). LeakSanitizer checks the bertkit processes (train,
# evaluate, predict, serve: the program as users run it, start to exit; the mpirun ranks below),
# not the XCTest bundle itself: XCTest keeps every test case object, with what its setUp and teardown
# blocks captured, in reference cycles that are never freed, so the bundle's leak report is
# hundreds of test-owned allocations that no suppression could tell from a real leak by stack.
echo "detect_leaks=0" > "$options/BertKitPackageTests.xctest"
common="halt_on_error=1:print_stacktrace=1:log_path=$logs/report:include_if_exists=$options/%b"
export ASAN_OPTIONS="$common:detect_leaks=1"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="$common"
export TSAN_OPTIONS="$common:suppressions=$supp/tsan.supp:second_deadlock_stack=1"
# The ranks mpirun starts (OMPI_MCA_mca_base_env_list sets their environment): Open MPI's
# libraries keep no frame pointers and MPI_Finalize unloads its components, so its start-up
# allocations, left for the exit by design, show in a leak report as a frame or two of no known
# module, which no suppression can match. The ranks run without LeakSanitizer by default (the
# same training code is leak-checked in the single-process runs); RANK_LEAKS=1 checks them too,
# unwinding every allocation's stack from its DWARF tables, which names Open MPI's libraries in
# the stacks for lsan.supp to match, and makes the ranks several times slower.
if [ "${RANK_LEAKS:-0}" = 1 ]; then
  export OMPI_MCA_mca_base_env_list="ASAN_OPTIONS=$ASAN_OPTIONS:fast_unwind_on_malloc=0"
else
  export OMPI_MCA_mca_base_env_list="ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0"
fi

# Which process wrote a report: the bertkit the tests start (and mpirun's ranks) goes through a
# wrapper that logs its PID, the time and its arguments before exec'ing the real binary (exec
# keeps the PID), so each report below is shown with its command. The next build relinks bertkit
# over the wrapper, and the wrapper is put back.
bin="$scratch/debug/bertkit"
if ! grep -q "sanitize.sh's wrapper" "$bin" 2>/dev/null; then mv "$bin" "$bin.real"; fi
cat > "$bin" <<WRAPPER
#!/bin/sh
# sanitize.sh's wrapper: the real binary is bertkit.real
printf '%s\t%s\t%s\n' "\$\$" "\$(date -u +%H:%M:%S)" "\$*" >> "$logs/processes.tsv"
exec "$here/$bin.real" "\$@"
WRAPPER
chmod +x "$bin"

status=0
swift test --skip-build --scratch-path "$scratch" "${flags[@]}" ${filter:+--filter "$filter"} || status=$?
finished=$SECONDS

reports=$(grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|WARNING: ThreadSanitizer' "$logs"/report.* 2>/dev/null || true)
echo "sanitize.sh $mode: build $((built - started)) s, tests $((finished - built)) s, swift test exit $status"
if [ -n "$reports" ]; then
  echo "sanitize.sh $mode: reports in $(echo "$reports" | wc -l) process(es):" >&2
  for report in $reports; do
    pid=${report##*.}
    echo "== $report: $(awk -F'\t' -v pid="$pid" '$1 == pid { print $2 " bertkit " $3 }' "$logs/processes.tsv" 2>/dev/null)" >&2
    head -40 "$report" >&2
  done
  exit 1
fi
echo "sanitize.sh $mode: no sanitizer reports"
exit "$status"
