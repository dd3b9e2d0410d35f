#!/usr/bin/env python3
"""Summarise benchmarks/data_parallel_side_by_side.sh's JSON files: per configuration the median
over all measured steps of every repetition, the per-repetition medians, and issue 23's ratios:
BertKit's 2 ranks x 1 thread over its 1 process x 2 threads (bar 0.90), and BertKit's lead over
PyTorch with 2 processes (BertKit 2 ranks / DDP 2 ranks) against its lead with one
(BertKit / torch, 2 threads each).

    python3 benchmarks/summarize_data_parallel.py /tmp/bench-dp [base|minilm]
"""
import glob
import json
import os
import statistics
import sys

out = sys.argv[1]
model = sys.argv[2] if len(sys.argv) > 2 else "base"
TOKENS = 16 * 128


def runs(kind):
    files = sorted(glob.glob(os.path.join(out, f"{kind}-{model}-*.json")))
    return [json.load(open(f)) for f in files if os.path.getsize(f) > 0]


def rates(kind):
    """tokens/s of every measured step, and the median of each repetition."""
    per_step, per_rep = [], []
    for r in runs(kind):
        if kind == "torch-1p":
            steps = [TOKENS / s for s in r["samples_s"]["2"]]
        elif kind == "torch-ddp":
            steps = [r["tokens_per_step"] / s for s in r["samples_s"]["1"]]
        else:
            ranks = (r.get("dataParallel") or {}).get("ranks", 1)
            steps = [TOKENS * ranks / s for s in r["throughput"].get("samples", [])] or [r["throughput"]["median"]]
        per_step += steps
        per_rep.append(statistics.median(steps))
    return per_step, per_rep


medians = {}
print(f"model {model}, batch 16 x seq 128 per process; tokens/s of the whole job")
for kind, label in (("torch-1p", "PyTorch 1 process x 2 threads"), ("bertkit-1p", "BertKit 1 process x 2 threads"),
                    ("torch-ddp", "PyTorch DDP 2 ranks x 1 thread"), ("bertkit-2r", "BertKit 2 ranks x 1 thread")):
    steps, reps = rates(kind)
    if not steps:
        print(f"  {label:34s} no runs")
        continue
    medians[kind] = statistics.median(reps)
    print(f"  {label:34s} median of repetitions {medians[kind]:8.1f}  (repetitions: {', '.join(f'{x:.1f}' for x in reps)})")
if {"bertkit-1p", "bertkit-2r"} <= medians.keys():
    print(f"BertKit 2 ranks x 1 thread / 1 process x 2 threads: {medians['bertkit-2r'] / medians['bertkit-1p']:.3f} (bar 0.90)")
if {"torch-1p", "torch-ddp"} <= medians.keys():
    print(f"PyTorch DDP 2 ranks / 1 process x 2 threads: {medians['torch-ddp'] / medians['torch-1p']:.3f}")
if len(medians) == 4:
    lead1 = medians["bertkit-1p"] / medians["torch-1p"]
    lead2 = medians["bertkit-2r"] / medians["torch-ddp"]
    print(f"BertKit's lead with 1 process: {lead1:.3f}; with 2 ranks: {lead2:.3f} (bar: at least the first)")
for r in runs("bertkit-2r"):
    d = r["dataParallel"]
    b = r["breakdownSeconds"]
    step = d["stepSeconds"]["median"]
    comm, exposed = d["communicationSeconds"]["median"], d["exposedCommunicationSeconds"]["median"]
    print(f"  BertKit 2 ranks: step {step:.3f} s; {d['buckets']} buckets, {d['gradientMiB']:.0f} MiB; sums {comm:.3f} s "
          f"({100 * comm / step:.1f}% of the step), exposed {exposed:.3f} s ({100 * exposed / step:.1f}%), "
          f"hidden {max(0, comm - exposed):.3f} s ({100 * max(0, 1 - exposed / comm) if comm else 0:.0f}% of the sums); "
          f"optimizer {b.get('optimizer', 0):.3f} s ({100 * b.get('optimizer', 0) / step:.1f}%)")
for r in runs("torch-ddp"):
    d = r["derived"]
    print(f"  DDP: step {r['median_s']['step']:.3f} s; bare allreduce {r['median_s']['allreduce_bare']:.3f} s, "
          f"exposed {d['exposed_communication_s']:.3f} s, optimizer {r['median_s']['optimizer']:.3f} s ({100 * d['optimizer_share_of_step']:.1f}%)")
