#!/usr/bin/env bash
# Fuzzes BertKit's readers of outside input with libFuzzer (docs/reliability.md, "Fuzzing").
#
#   scripts/fuzz.sh --list               the targets, one a line, with what each checks
#   scripts/fuzz.sh [TARGET[,TARGET...]|all] [SECONDS]
#                                        build Fuzz/ (-sanitize=fuzzer,address), then fuzz TARGET
#                                        (default all, one after the other) for SECONDS each (60)
#
# Per target: the corpus grows in .fuzz/corpus/<target> (seeded from Fuzz/corpus/<target> and the
# small files of Tests/Fixtures it reads), then every corpus input is run once more under
# LeakSanitizer; crashes, hangs, leaks and out-of-memory inputs land in .fuzz/crashes/<target>/,
# the log in .fuzz/logs/<target>.log, and one line
#   target  seconds  executions  exec/s  cov  ft  corpus  crashes
# (seconds and executions of fuzzing, the leak pass not counted; cov and ft of the final corpus;
# crashes counts every new file in crashes/: crashes, hangs, leaks, out-of-memory)
# goes to .fuzz/summary.tsv (started afresh by each invocation) and to the terminal.
# An input that crashed belongs in Tests/Fixtures/fuzz/<target>/ once it is fixed: the test suite
# replays every file there (Tests/FuzzRegressionTests).
#
# Environment:
#   FUZZ_MIN_EXECS=N    keep fuzzing a target after SECONDS until it has run N inputs in all
#                       (the acceptance runs: `FUZZ_MIN_EXECS=2000000 scripts/fuzz.sh all 600`)
#   FUZZ_MAX_SECONDS=S  but stop going on for FUZZ_MIN_EXECS once a target has fuzzed S seconds
#                       (a slow target's 2,000,000 can take hours; its line then says how far it got)
#   FUZZ_KEEP_GOING=1   fuzz in a child process that is restarted after a crash, hang or
#                       out-of-memory (libFuzzer's -fork=1 -ignore_*): every finding of the
#                       SECONDS is kept in .fuzz/crashes/<target>/, not only the first
#   FUZZ_CONFIG=debug   build without optimization (default: release, with asserts kept)
#   FUZZ_FLAGS="..."    more libFuzzer flags (e.g. -only_ascii=1)
#   FUZZ_JOBS=N         fuzz N targets at a time (default 1): the targets are dealt in turn to N
#                       slots, each pinned to a core of its own (taskset), so a reader that
#                       spreads work over the cores it sees (the tokenizer's batches) stays on one
# Runs niced, and waits while /tmp/QUIET exists (someone is timing on this machine).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
config="${FUZZ_CONFIG:-release}"
binary="Fuzz/.build/$config/bertkit-fuzz"
work=".fuzz"

wait_quiet() { while [ -e /tmp/QUIET ]; do sleep 20; done; }

# target -> dictionary files (Fuzz/dictionaries), the longest input libFuzzer makes, and the
# fixture files (globs under Tests/Fixtures) that seed it besides Fuzz/corpus/<target>.
dictionaries() {
    case "$1" in
        safetensors-header|safetensors-file) echo "json safetensors" ;;
        config-json) echo "json config" ;;
        tokenizer-json|tokenizer-config) echo "json tokenizer" ;;
        vocab-txt|tokenizer-text) echo "text" ;;
        task-file) echo "taskfile" ;;
        tsv|csv) echo "delimited text" ;;
        jsonl) echo "json jsonl text" ;;
        conll-*) echo "conll" ;;
        squad-*) echo "json squad" ;;
        text-lines) echo "text" ;;
        bertkit-json) echo "json manifest" ;;
        trainer-state) echo "json trainerstate" ;;
        serving-body) echo "json serving text" ;;
    esac
}
max_len() {
    case "$1" in
        tokenizer-json|squad-*|task-file) echo 8192 ;;
        *) echo 4096 ;;
    esac
}
fixture_globs() {
    case "$1" in
        config-json) echo "*/config.json */*/config.json" ;;
        tokenizer-config) echo "*/tokenizer_config.json */*/tokenizer_config.json" ;;
        vocab-txt) echo "taskfile/validate/model/vocab.txt" ;;
        tokenizer-text) echo "minilm/sentences.json readers/*.tsv" ;;
        task-file) echo "YAML/*.yaml taskfile/*/*.yaml taskfile/*/*/*.yaml" ;;
        tsv) echo "readers/*.tsv taskfile/validate/data/train.tsv" ;;
        csv) echo "readers/*.csv" ;;
        jsonl) echo "readers/*.jsonl" ;;
        squad-*) echo "metrics/squad-v2-small/data.json" ;;
        text-lines) echo "readers/*.tsv" ;;
    esac
}

build() {
    wait_quiet
    echo "building Fuzz/ ($config, -sanitize=fuzzer,address)..." >&2
    # -parse-as-library: the executable's entry is `@main` (it calls libFuzzer's driver);
    # lld: gold fails on the instrumented link (an internal error in its DWARF reader)
    local flags=(-c "$config" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
                 -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld)
    # release keeps assert(): a broken internal invariant is a finding too
    [ "$config" = release ] && flags+=(-Xswiftc -assert-config -Xswiftc Debug)
    (cd Fuzz && nice -n 5 swift build "${flags[@]}" --product bertkit-fuzz) >&2
}

list() {
    if [ -x "$binary" ]; then
        BERTKIT_FUZZ_LIST=1 "$binary" 2>/dev/null
    else
        ls Fuzz/corpus
    fi
}

# Seeds the working corpus: Fuzz/corpus/<target> and the fixtures that fit in max_len.
seed() {
    local target="$1" corpus="$2" limit="$3"
    cp -n Fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
    local glob file
    for glob in $(fixture_globs "$target"); do
        for file in Tests/Fixtures/$glob; do
            [ -f "$file" ] && [ "$(stat -c %s "$file")" -le "$limit" ] || continue
            cp -n "$file" "$corpus/fixture-$(echo "${file#Tests/Fixtures/}" | tr / -)"
        done
    done
    # CoNLL-2003 itself, whose licence keeps it out of the repository: its first documents, read
    # from $BERTKIT_DATA (../shared/data by default) when it is there, into the working corpus only
    local data="${BERTKIT_DATA:-../shared/data}/conll2003" source=""
    case "$target" in
        conll-iob1) source="$data/iob1/eng.train" ;;
        conll-iob2|conll-bioes) source="$data/iob2/train.txt" ;;
    esac
    if [ -n "$source" ] && [ -f "$source" ]; then
        head -c "$limit" "$source" > "$corpus/conll2003-head.txt"
    fi
}

# The merged dictionary of a target.
dictionary() {
    local target="$1" out="$work/dictionaries/$1.dict" name
    mkdir -p "$work/dictionaries"
    : > "$out"
    for name in $(dictionaries "$target"); do cat "Fuzz/dictionaries/$name.dict" >> "$out"; done
    echo "$out"
}

# Fuzzes one target for `seconds` (then on to FUZZ_MIN_EXECS), on core `cpu` when one is given;
# appends its summary line.
fuzz() {
    local target="$1" seconds="$2" cpu="${3:-}"
    local corpus="$work/corpus/$target" crashes="$work/crashes/$target" log="$work/logs/$target.log"
    local limit; limit="$(max_len "$target")"
    mkdir -p "$corpus" "$crashes" "$work/logs"
    seed "$target" "$corpus" "$limit"
    local before; before="$(ls "$crashes" | wc -l)"
    local dict; dict="$(dictionary "$target")"
    local executions=0 elapsed=0 round=0 status=0 start; start="$(date +%s)"
    : > "$log"
    local pin=()
    [ -n "$cpu" ] && pin=(taskset -c "$cpu")
    local keep_going=()
    [ -n "${FUZZ_KEEP_GOING:-}" ] && keep_going=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    while :; do
        wait_quiet
        local limits=(-max_total_time="$seconds")
        if [ "$round" -gt 0 ]; then
            limits=(-runs="$(( ${FUZZ_MIN_EXECS:-0} - executions ))")
            if [ -n "${FUZZ_MAX_SECONDS:-}" ]; then
                local left=$(( FUZZ_MAX_SECONDS - ($(date +%s) - start) ))
                [ "$left" -gt 0 ] || break
                limits+=(-max_total_time="$left")
            fi
        fi
        # -timeout: an input that takes 10 s is a hang; -rss_limit_mb (and libFuzzer's malloc
        # limit, the same) make a 2 GB allocation a finding; -close_fd_mask=1: readers that print
        # (bertkit validate's "ok") stay quiet. SWIFT_BACKTRACE: Swift's own crash report would
        # run under ASan and muddle its report. ASAN_OPTIONS=malloc_context_size=0: ASan keeps no
        # stack for each allocation and free (1.28x the inputs a second on tsv); detection is
        # the same, and a finding's report names the allocating stack when its input is replayed
        # (the leak pass below, the regression tests, or the binary on the file).
        set +e
        BERTKIT_FUZZ_TARGET="$target" SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="malloc_context_size=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
        LSAN_OPTIONS="suppressions=$root/Fuzz/lsan-suppressions.txt:print_suppressions=0" nice -n 10 "${pin[@]}" "$binary" \
            "${limits[@]}" "${keep_going[@]}" -detect_leaks=0 -timeout=10 -rss_limit_mb=2048 -max_len="$limit" -dict="$dict" \
            -artifact_prefix="$crashes/" -print_final_stats=1 -close_fd_mask=1 ${FUZZ_FLAGS:-} "$corpus" > "$log.round" 2>&1
        status=$?
        set -e
        cat "$log.round" >> "$log"
        # the executions of this round: its last status line, "#123456 ..." (or "#123456: ..." forked)
        local ran; ran="$(grep -E '^#[0-9]+' "$log.round" | tail -1 | sed -nE 's/^#([0-9]+).*/\1/p')"
        executions=$(( executions + ${ran:-0} ))
        round=$(( round + 1 ))
        [ "$status" -eq 0 ] && [ "$executions" -lt "${FUZZ_MIN_EXECS:-0}" ] || break
    done
    rm -f "$log.round"
    elapsed=$(( $(date +%s) - start ))
    # Leaks: every input of the corpus (one per behaviour found) run once more with LeakSanitizer
    # checking after each. Fuzzing itself runs without: libFuzzer's check after a mutation scans
    # the whole heap whenever a reader leaves an allocation in a cache, which halved the speed.
    if [ "$status" -eq 0 ]; then
        wait_quiet
        set +e
        BERTKIT_FUZZ_TARGET="$target" SWIFT_BACKTRACE=enable=no \
        LSAN_OPTIONS="suppressions=$root/Fuzz/lsan-suppressions.txt:print_suppressions=0" nice -n 10 "${pin[@]}" "$binary" \
            -runs=0 -detect_leaks=1 -timeout=10 -rss_limit_mb=2048 -max_len="$limit" -artifact_prefix="$crashes/" \
            -close_fd_mask=1 "$corpus" >> "$log" 2>&1
        status=$?
        set -e
    fi
    # the last status line: "#123456 ... cov: 812 ft: 2345 corp: 97/12Kb ..."
    local last; last="$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)"
    local cov ft corp
    cov="$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<< "$last")"
    ft="$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<< "$last")"
    corp="$(ls "$corpus" | wc -l)"
    local found=$(( $(ls "$crashes" | wc -l) - before ))
    local rate=$(( executions / (elapsed > 0 ? elapsed : 1) ))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$elapsed" "$executions" "$rate" "${cov:-?}" "${ft:-?}" "$corp" "$found" \
        | tee -a "$work/summary.tsv"
    if [ "$found" -gt 0 ] || [ "$status" -ne 0 ]; then
        echo "$target: $found new finding(s) in $crashes (libFuzzer's status $status); see $log" >&2
        return 1
    fi
}

main() {
    if [ "${1:-}" = "--list" ]; then list; return; fi
    local target="${1:-all}" seconds="${2:-60}"
    build
    local targets
    targets="$(BERTKIT_FUZZ_LIST=1 "$binary" 2>/dev/null | cut -f1)"
    if [ "$target" != all ]; then
        local wanted="${target//,/ }" one
        for one in $wanted; do
            if ! grep -qx "$one" <<< "$targets"; then
                echo "no fuzz target $one; scripts/fuzz.sh --list names them" >&2
                return 2
            fi
        done
        targets="$wanted"
    fi
    mkdir -p "$work"
    printf 'target\tseconds\texecutions\texec/s\tcov\tft\tcorpus\tcrashes\n' | tee "$work/summary.tsv"
    local failed=0 t jobs="${FUZZ_JOBS:-1}"
    if [ "$jobs" -le 1 ]; then
        for t in $targets; do fuzz "$t" "$seconds" || failed=$(( failed + 1 )); done
    else
        # slot i takes targets i, i+N, i+2N, ... one after the other, on core i (mod the cores)
        local cores slot i; cores="$(nproc)"
        for (( slot = 0; slot < jobs; slot++ )); do
            (
                i=0 bad=0
                for t in $targets; do
                    if [ $(( i % jobs )) -eq "$slot" ]; then fuzz "$t" "$seconds" $(( slot % cores )) || bad=$(( bad + 1 )); fi
                    i=$(( i + 1 ))
                done
                exit "$bad"
            ) &
        done
        while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || failed=$(( failed + 1 )); done
    fi
    echo "summary: $work/summary.tsv" >&2
    [ "$failed" -eq 0 ]
}

main "$@"
