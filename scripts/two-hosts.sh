#!/usr/bin/env bash
# two-hosts.sh: two "hosts" on one machine, for `mpirun` across a real (virtual) network link.
#
# Makes two network namespaces joined by a veth pair (10.23.0.1/24 and 10.23.0.2/24, lo up in
# each) and runs Open MPI with one rank in each over TCP (--mca btl tcp,self, both the MPI and the
# launcher's traffic on the veth), without ssh: mpirun runs in the first namespace and starts the
# second rank's daemon through scripts/netns-rsh-agent.sh (`--mca plm_rsh_agent`), which runs it
# under `ip netns exec`. The namespaces are removed on exit, however it exits. Needs root and `ip`.
#
#   sudo scripts/two-hosts.sh                      # the demo: see below
#   sudo scripts/two-hosts.sh hostname             # any command, one rank in each namespace
#   sudo scripts/two-hosts.sh allreduce COUNT [REPS] [WARMUP]
#        # benchmarks/allreduce_time.c (compiled into a temporary folder) across the veth
#
# The demo trains the task file on 2 ranks across the namespaces, then on 2 ranks over loopback
# (mpirun -np 2 on the machine itself: shared memory) and in one process, and prints each run's
# throughput, wall time and final metrics side by side. Settings (environment):
#   BERTKIT=.build/release/bertkit   the executable      TASKS=tasks.yaml   the task file
#   OUT=/tmp/two-hosts-runs          one folder a run (two-hosts/, loopback/, one-process/, *.log)
#   RUNS="two-hosts loopback one-process"   which runs, in this order
#   RANK_THREADS=cores/2  threads of each rank (the namespaces share this machine's cores, so each
#                         "host" must not take them all); ONE_PROCESS_THREADS=cores
#   DEMO_SET="epochs=1"   more --set overrides for every run, space-separated
#   RANK_SET="batch_size=16"   --set overrides for the 2-rank runs alone: by default half of
#                         tasks.yaml's batch 32, so that their global batch (2 x 16) is the
#                         one-process run's; set it to match another task file (or empty)
#   THROUGHPUT_KEY=tokens_per_second   the train_log.jsonl key whose median is reported, or
#   THROUGHPUT_REGEX='...([0-9.]+)'    a Python regex whose last match's group 1 in the run's
#                                      console output is reported instead
#   REPORT_METRICS=accuracy,f1   the final metrics shown (default: all)
#   TWO_HOSTS_BIND=halves  rank 0 bound to the first half of the cores, rank 1 to the second
#                          (as two machines would each have their own); none: not bound
#   YIELD_WHEN_IDLE=1  ranks waiting in MPI across the namespaces yield their core (see below)
#   MPIRUN_ARGS="..."  more mpirun options for the MPI runs; TWO_HOSTS_PREFIX=bk23 names the
#   namespaces (bk23a, bk23b) and their veth ends; TWO_HOSTS_SUBNET=10.23.0 their /24.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

fail() { echo "two-hosts.sh: $*" >&2; exit 2; }
case "${1:-}" in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
[ "$(id -u)" -eq 0 ] || fail "must run as root (it creates network namespaces and a veth pair): sudo $0 $*"
command -v ip >/dev/null 2>&1 || fail "the 'ip' command (iproute2) is missing: apt-get install iproute2"
command -v mpirun >/dev/null 2>&1 || fail "mpirun is missing: apt-get install openmpi-bin libopenmpi-dev (or scripts/setup.sh)"

PREFIX="${TWO_HOSTS_PREFIX:-bk23}"
NS_A="${PREFIX}a" NS_B="${PREFIX}b"
SUBNET="${TWO_HOSTS_SUBNET:-10.23.0}"
ADDR_A="$SUBNET.1" ADDR_B="$SUBNET.2"
AGENT="$ROOT/scripts/netns-rsh-agent.sh"
CORES=$(nproc)

for ns in "$NS_A" "$NS_B"; do
  if ip netns list | cut -d' ' -f1 | grep -qx "$ns"; then
    fail "the network namespace $ns exists already (another two-hosts.sh running, or one killed by SIGKILL); remove it with: ip netns del $ns"
  fi
done

WORK=$(mktemp -d /tmp/two-hosts.XXXXXX)
cleanup() {
  ip netns del "$NS_A" 2>/dev/null || true  # deleting a namespace deletes its veth end and the pair
  ip netns del "$NS_B" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
# Commands run in the background and are waited for, so that a signal reaches the trap at once (a
# foreground child would delay it until the child ends) and is passed on: mpirun stops its ranks on
# SIGTERM. Ctrl-C in a terminal also reaches mpirun itself, through the process group.
child=""
stop_child() {
  if [ -n "$child" ]; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  exit "$1"
}
trap 'stop_child 130' INT
trap 'stop_child 143' TERM
run_child() {
  "$@" &
  child=$!
  local status=0
  wait "$child" || status=$?
  child=""
  return "$status"
}

ip netns add "$NS_A"
ip netns add "$NS_B"
ip link add "$PREFIX-veth-a" type veth peer name "$PREFIX-veth-b"
ip link set "$PREFIX-veth-a" netns "$NS_A"
ip link set "$PREFIX-veth-b" netns "$NS_B"
ip -n "$NS_A" addr add "$ADDR_A/24" dev "$PREFIX-veth-a"
ip -n "$NS_B" addr add "$ADDR_B/24" dev "$PREFIX-veth-b"
for ns in "$NS_A" "$NS_B"; do
  ip -n "$ns" link set lo up
done
ip -n "$NS_A" link set "$PREFIX-veth-a" up
ip -n "$NS_B" link set "$PREFIX-veth-b" up
printf '%s slots=1\n%s slots=1\n' "$ADDR_A" "$ADDR_B" > "$WORK/hostfile"
# Each namespace's Open MPI daemon sees the whole machine and would bind its one rank to core 0,
# both ranks on the same core; a rank file gives each "host" its own half of the cores instead
# (TWO_HOSTS_BIND=none leaves the placement to the kernel).
HALF=$((CORES / 2 > 0 ? CORES / 2 : 1))
if [ "$CORES" -ge 2 ]; then
  printf 'rank 0=%s slot=0-%d\nrank 1=%s slot=%d-%d\n' "$ADDR_A" $((HALF - 1)) "$ADDR_B" "$HALF" $((2 * HALF - 1)) > "$WORK/rankfile"
else
  printf 'rank 0=%s slot=0\nrank 1=%s slot=0\n' "$ADDR_A" "$ADDR_B" > "$WORK/rankfile"
fi
case "${TWO_HOSTS_BIND:-halves}" in
  halves) PLACEMENT=(--rankfile "$WORK/rankfile") ;;
  none) PLACEMENT=(--map-by node --bind-to none) ;;
  *) fail "TWO_HOSTS_BIND must be halves or none, found ${TWO_HOSTS_BIND}" ;;
esac
echo "two-hosts.sh: namespaces $NS_A ($ADDR_A) and $NS_B ($ADDR_B) joined by a veth pair" >&2

# mpirun in the first namespace; rank 0 there, rank 1 in the second (the agent starts its daemon).
# Ranks waiting in MPI yield the core (mpi_yield_when_idle): a veth delivers what it receives
# from ksoftirqd, an ordinary thread, and ranks that spin on every core would leave it the CPU
# only at the next scheduler tick, some milliseconds per message (what a real NIC's interrupt
# does not suffer). YIELD_WHEN_IDLE=0 measures that.
across_namespaces() {
  # shellcheck disable=SC2086  # MPIRUN_ARGS is a list of words
  run_child ip netns exec "$NS_A" mpirun --allow-run-as-root --oversubscribe \
    --hostfile "$WORK/hostfile" -np 2 "${PLACEMENT[@]}" \
    --mca plm_rsh_agent "$AGENT" \
    --mca btl tcp,self --mca btl_tcp_if_include "$SUBNET.0/24" --mca oob_tcp_if_include "$SUBNET.0/24" \
    --mca mpi_yield_when_idle "${YIELD_WHEN_IDLE:-1}" \
    ${MPIRUN_ARGS:-} "$@"
}

# the same two ranks on the machine itself, each bound to its half of the cores as across the
# namespaces (Open MPI's default binds each of 2 ranks to one core, whatever its threads)
on_loopback() {
  # shellcheck disable=SC2086
  run_child mpirun --allow-run-as-root --oversubscribe -np 2 --map-by "slot:PE=$HALF" ${MPIRUN_ARGS:-} "$@"
}

compile_allreduce_time() {
  mpicc -O2 -o "$WORK/allreduce_time" "$ROOT/benchmarks/allreduce_time.c"
  echo "$WORK/allreduce_time"
}

# Throughput, wall time and final metrics of the runs in $OUT, one line each, then every run against
# the last one (the one-process run, by default): its throughput ratio and its largest metric gap.
report() {
  python3 - "$OUT" "${THROUGHPUT_KEY:-tokens_per_second}" "${THROUGHPUT_REGEX:-}" "${REPORT_METRICS:-}" "$@" <<'PY'
import glob, json, math, os, re, statistics, sys
out, key, regex, wanted, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
wanted = [w for w in wanted.split(",") if w]
rows = {}  # (run, task) -> (throughput, wall, {split.metric: value})
notes = []  # what each run said of its batches
for run in runs:
    log_path = os.path.join(out, run + ".log")
    console = open(log_path, errors="replace").read() if os.path.exists(log_path) else ""
    for task_dir in sorted(glob.glob(os.path.join(out, run, "*", ""))):
        task = os.path.basename(os.path.dirname(task_dir))
        if regex:
            found = re.findall(regex, console)
            throughput = float(found[-1].replace(",", "")) if found else math.nan  # "1,223" as ProgressReporter groups thousands
            how = "last match of THROUGHPUT_REGEX in the console"
        else:
            log = os.path.join(task_dir, "train_log.jsonl")
            entries = [json.loads(line) for line in open(log) if line.strip()] if os.path.exists(log) else []
            values = [e[key] for e in entries if key in e]
            throughput = statistics.median(values) if values else math.nan
            how = f"median of the train_log.jsonl {key} values"
        metrics_path = os.path.join(task_dir, "metrics.json")
        metrics = json.load(open(metrics_path)) if os.path.exists(metrics_path) else {}
        final = {f"{split}.{k}": v for split, m in metrics.get("final", {}).items() for k, v in m.items()
                 if not wanted or k in wanted}
        rows[(run, task)] = (throughput, metrics.get("wall_seconds", math.nan), final)
        batch = re.findall(rf"\[{re.escape(task)}\] (\d+ ranks x batch \d+ = global batch \d+.*)", console)
        notes.append(f"{run} [{task}]: {batch[-1] if batch else 'one process'}")
print(f"throughput: {how}")
print(f"{'run':12s} {'task':16s} {'throughput':>11s} {'wall s':>8s}  final metrics")
for (run, task), (throughput, wall, final) in rows.items():
    shown = ", ".join(f"{k} {v:.4f}" for k, v in sorted(final.items()))
    print(f"{run:12s} {task:16s} {throughput:11.1f} {wall:8.1f}  {shown}")
for note in notes:
    print(note)
reference = runs[-1]
for (run, task), (throughput, _, final) in rows.items():
    if run == reference or (reference, task) not in rows:
        continue
    ref_throughput, _, ref_final = rows[(reference, task)]
    gaps = {k: abs(v - ref_final[k]) for k, v in final.items() if k in ref_final}
    worst = max(gaps, key=gaps.get) if gaps else None
    gap = f"largest metric gap {worst} {gaps[worst]:.4f}" if worst else "no common metrics"
    print(f"{run} / {reference} [{task}]: throughput x{throughput / ref_throughput:.2f}; {gap}")
PY
}

demo() {
  BERTKIT="$(realpath "${BERTKIT:-.build/release/bertkit}")"
  TASKS="$(realpath "${TASKS:-tasks.yaml}")"
  OUT="${OUT:-/tmp/two-hosts-runs}"
  RUNS="${RUNS:-two-hosts loopback one-process}"
  local rank_threads=$((CORES / 2 > 0 ? CORES / 2 : 1))
  RANK_THREADS="${RANK_THREADS:-$rank_threads}"
  ONE_PROCESS_THREADS="${ONE_PROCESS_THREADS:-$CORES}"
  [ -x "$BERTKIT" ] || fail "no executable at $BERTKIT (swift build -c release, or set BERTKIT)"
  [ -f "$TASKS" ] || fail "no task file at $TASKS (set TASKS)"
  mkdir -p "$OUT"
  local sets=() rank_sets=()
  for s in ${DEMO_SET:-}; do sets+=(--set "$s"); done
  for s in ${RANK_SET-batch_size=16}; do rank_sets+=(--set "$s"); done
  # the runs read the task file's relative paths (model, data) from where it lies
  cd "$(dirname "$TASKS")"
  for run in $RUNS; do
    rm -rf "${OUT:?}/$run"
    echo "two-hosts.sh: $run run -> $OUT/$run (console: $OUT/$run.log)" >&2
    case "$run" in
      two-hosts) across_namespaces "$BERTKIT" run "$TASKS" --output "$OUT/$run" --set "threads=$RANK_THREADS" "${sets[@]}" "${rank_sets[@]}" ;;
      loopback) on_loopback "$BERTKIT" run "$TASKS" --output "$OUT/$run" --set "threads=$RANK_THREADS" "${sets[@]}" "${rank_sets[@]}" ;;
      one-process) run_child "$BERTKIT" run "$TASKS" --output "$OUT/$run" --set "threads=$ONE_PROCESS_THREADS" "${sets[@]}" ;;
      *) fail "RUNS may name two-hosts, loopback and one-process, found $run" ;;
    esac > "$OUT/$run.log" 2>&1 || { tail -20 "$OUT/$run.log" >&2; fail "the $run run failed (console: $OUT/$run.log)"; }
  done
  # shellcheck disable=SC2086
  report $RUNS
}

case "${1:-}" in
  "") demo ;;
  allreduce)
    shift
    [ $# -ge 1 ] || fail "usage: two-hosts.sh allreduce COUNT [REPS] [WARMUP]"
    command -v mpicc >/dev/null 2>&1 || fail "mpicc is missing: apt-get install libopenmpi-dev"
    binary=$(compile_allreduce_time)
    across_namespaces "$binary" "$@" ;;
  *) across_namespaces "$@" ;;
esac
