#!/usr/bin/env python3
"""scaling_model.py - the step time and scaling efficiency of data-parallel BERT training on N ranks,
from measured figures, for docs/distributed.md.

One rank per machine, the per-rank batch fixed (the global batch grows with N), ring allreduce of
the gradients in buckets that start while the backward still runs:

  T(N)            = T_compute + T_optimizer + exposed(N)
  T_ring(b, N)    = 2 (N-1)/N * b / bandwidth + 2 (N-1) * latency       (one bucket of b bytes)
  exposed(N)      = when the last bucket's allreduce ends, counted from the end of the backward
                    (0 when the backward outlasts the communication of all buckets but the last
                    and the last one is instant; never less than T_ring(last bucket, N), since the
                    last bucket is ready only when the backward ends)
  efficiency(N)   = T(1) / T(N) = (T_compute + T_optimizer) / T(N)   (throughput over N x one rank's)

exposed(N) comes from replaying the backward: the gradients of the layers are ready in backward
order (classifier and pooler first, the embeddings last), one encoder layer every T_backward / L;
the buckets fill in that order up to --bucket-mib (as BertKit's GradientBuckets and DDP do) and are allreduced one after the other. The
"no overlap" figure allreduces all the gradient bytes after the backward, in one piece.

Inputs (each per model, every one of them a measurement you pass in; nothing is built in but the
BERT configurations, whose parameters are counted here):
  --compute MODEL=bertkit:FILE  `bertkit bench train --config CONFIG --threads T --json` output:
                                T_optimizer = breakdownSeconds.optimizer, T_compute = the median
                                step (tokens / median throughput) minus it
  --compute MODEL=torch:FILE    benchmarks/torch_ddp_step.py output: T_compute = the median
                                forward_backward_no_sync, T_optimizer = the median optimizer
  --compute MODEL=COMPUTE,OPTIMIZER   seconds, typed in
  --allreduce LABEL=FILE        benchmarks/allreduce_time.c outputs (repeatable): printed with the
                                bandwidth and latency they imply, and, for each, the efficiency on a
                                link of that measured speed ("link" column)
MODEL is base (bert-base, 109.5M parameters) or minilm (MiniLM-L12-H384, 33.4M), or
NAME:path/to/config.json for another BERT.

  python3 benchmarks/scaling_model.py --compute base=bertkit:/tmp/bk-base.json \\
      --compute minilm=torch:/tmp/ddp-minilm.json --allreduce veth=/tmp/ar-veth-base.json
  python3 benchmarks/scaling_model.py --params      # the parameter counts alone
"""
import argparse
import json
import math
import os
import statistics
import sys

CONFIGS = {
    "base": dict(vocab_size=30522, max_position_embeddings=512, type_vocab_size=2, hidden_size=768,
                 num_hidden_layers=12, intermediate_size=3072),
    "minilm": dict(vocab_size=30522, max_position_embeddings=512, type_vocab_size=2, hidden_size=384,
                   num_hidden_layers=12, intermediate_size=1536),
}
NAMES = {"base": "bert-base", "minilm": "MiniLM-L12"}


def parameter_groups(config, labels=2):
    """[(name, parameters, layer)] in backward order (the order gradients become ready); layer is
    the encoder layer's index, -1 for what comes after the encoder (pooler, classifier), None for
    the embeddings. Counts BertForSequenceClassification's tensors, named as transformers does."""
    h, inter = config["hidden_size"], config["intermediate_size"]
    layers = config["num_hidden_layers"]
    groups = [("classifier", h * labels + labels, -1), ("bert.pooler", h * h + h, -1)]
    for i in reversed(range(layers)):
        attention = 4 * (h * h + h) + 2 * h   # query, key, value, output dense + their layer norm
        feed_forward = (h * inter + inter) + (inter * h + h) + 2 * h   # intermediate, output, layer norm
        groups.append((f"bert.encoder.layer.{i}", attention + feed_forward, i))
    # the embeddings' tensors in the reverse of their registration order, as the buckets take them
    groups += [("bert.embeddings.LayerNorm", 2 * h, None),
               ("bert.embeddings.token_type_embeddings", config["type_vocab_size"] * h, None),
               ("bert.embeddings.position_embeddings", config["max_position_embeddings"] * h, None),
               ("bert.embeddings.word_embeddings", config["vocab_size"] * h, None)]
    return groups


def load_config(spec):
    if spec in CONFIGS:
        return spec, NAMES[spec], CONFIGS[spec]
    if ":" in spec:
        name, path = spec.split(":", 1)
        with open(path) as f:
            return name, name, json.load(f)
    sys.exit(f"scaling_model.py: unknown model '{spec}': base, minilm or NAME:path/to/config.json")


def read_json(path):
    """One JSON object: a whole file, or its last line that is one (console output around it)."""
    with open(path) as f:
        text = f.read().strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        lines = [line for line in text.splitlines() if line.startswith("{")]
        if not lines:
            sys.exit(f"scaling_model.py: {path} holds no JSON object")
        return json.loads(lines[-1])


def compute_times(spec):
    """(T_compute, T_optimizer, where from) for one --compute value."""
    if spec.startswith("bertkit:"):
        path = spec[len("bertkit:"):]
        r = read_json(path)
        tokens = r["batch"] * r["sequenceLength"]
        step = tokens / r["throughput"]["median"]
        optimizer = r["breakdownSeconds"].get("optimizer", 0.0)
        return step - optimizer, optimizer, f"bertkit bench train, {r['threads']} thread(s): {os.path.basename(path)}"
    if spec.startswith("torch:"):
        path = spec[len("torch:"):]
        r = read_json(path)
        splits = r["split_samples_s"]
        compute = statistics.median(splits["forward_backward_no_sync"])
        optimizer = statistics.median(splits["optimizer"])
        return compute, optimizer, (f"torch_ddp_step.py, {r['world_size']} rank(s) x {r['threads'][0]} thread(s): "
                                    f"{os.path.basename(path)}")
    try:
        compute, optimizer = (float(x) for x in spec.split(","))
    except ValueError:
        sys.exit(f"scaling_model.py: --compute wants MODEL=bertkit:FILE, MODEL=torch:FILE or MODEL=COMPUTE,OPTIMIZER; found '{spec}'")
    return compute, optimizer, "typed in"


def ring_seconds(size_bytes, ranks, bandwidth_bytes, latency):
    if ranks <= 1:
        return 0.0
    return 2 * (ranks - 1) / ranks * size_bytes / bandwidth_bytes + 2 * (ranks - 1) * latency


def buckets(groups, bucket_bytes):
    """[(bytes, layer of its last gradient)] in backward order, filled up to bucket_bytes; a group
    larger than a bucket is a bucket of its own."""
    out, size, last = [], 0, None
    for _, count, layer in groups:
        b = 4 * count
        if size and size + b > bucket_bytes:
            out.append((size, last))
            size = 0
        size += b
        last = layer
    if size:
        out.append((size, last))
    return out


def exposed_seconds(bucket_list, layers, backward, ranks, bandwidth_bytes, latency):
    """Seconds between the end of the backward and the end of the last bucket's allreduce."""
    def ready(layer):
        if layer == -1:
            return 0.0   # pooler and classifier: the first gradients of the backward
        if layer is None:
            return backward   # the embeddings: the last
        return (layers - layer) / layers * backward   # layer L-1 ends first
    end = 0.0
    for size, layer in bucket_list:
        end = max(end, ready(layer)) + ring_seconds(size, ranks, bandwidth_bytes, latency)
    return max(0.0, end - backward)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compute", action="append", default=[], metavar="MODEL=SOURCE")
    ap.add_argument("--allreduce", action="append", default=[], metavar="LABEL=FILE")
    ap.add_argument("--ranks", default="2,4,8,16,32,64")
    ap.add_argument("--gbits", default="10,25,100", help="link speeds, Gbit/s (default 10,25,100)")
    ap.add_argument("--link-efficiency", type=float, default=0.9,
                    help="share of the line rate TCP reaches (default 0.9)")
    ap.add_argument("--latency-us", type=float, default=25.0,
                    help="one message's latency between two machines, microseconds (default 25)")
    ap.add_argument("--bucket-mib", type=float, default=25.0,
                    help="gradient bucket size, MiB (default 25: BertKit's BERTKIT_BUCKET_MIB and DDP's bucket_cap_mb)")
    ap.add_argument("--backward-fraction", type=float, default=2 / 3,
                    help="share of T_compute that is the backward (default 2/3: 4 of 6 FLOPs per parameter and token)")
    ap.add_argument("--speedup", type=float, default=1.0,
                    help="divide T_compute and T_optimizer by this: faster ranks (more cores each) against the same link")
    ap.add_argument("--labels", type=int, default=2)
    ap.add_argument("--params", action="store_true", help="print the parameter counts and stop")
    ap.add_argument("--json", action="store_true", help="also print every figure as one JSON object")
    a = ap.parse_args()

    if a.params or not a.compute:
        for key in CONFIGS:
            groups = parameter_groups(CONFIGS[key], a.labels)
            total = sum(c for _, c, _ in groups)
            emb = sum(c for _, c, layer in groups if layer is None)
            bl = buckets(groups, a.bucket_mib * 2**20)
            print(f"{NAMES[key]}: {total:,} parameters = {4 * total / 1e6:.1f} MB of float32 gradients; "
                  f"embeddings {emb:,} ({100 * emb / total:.0f}%); {len(bl)} buckets of <= {a.bucket_mib:g} MiB, "
                  f"the last {bl[-1][0] / 1e6:.1f} MB")
        if not a.compute:
            print("(no --compute given: the model needs measured compute times; see --help)")
        return

    ranks = [int(x) for x in a.ranks.split(",")]
    gbits = [float(x) for x in a.gbits.split(",")]
    latency = a.latency_us * 1e-6
    result = {"assumptions": {k: v for k, v in vars(a).items() if k not in ("compute", "allreduce", "json", "params")},
              "models": {}, "allreduce_measured": {}}

    links = {}   # label -> (bytes/s, latency) implied by a measured 2-rank allreduce
    if a.allreduce:
        print("Measured allreduce (benchmarks/allreduce_time.c), 2 ranks:")
        for spec in a.allreduce:
            label, path = spec.split("=", 1)
            r = read_json(path)
            # 2 ranks: T = bytes / bandwidth + 2 latency
            bandwidth = r["bytes"] / max(1e-12, r["median_s"] - 2 * latency)
            links[label] = bandwidth
            result["allreduce_measured"][label] = {"bytes": r["bytes"], "median_s": r["median_s"],
                                                   "samples": len(r["samples_s"]), "implied_gbit_s": 8 * bandwidth / 1e9}
            print(f"  {label:28s} {r['bytes'] / 1e6:7.1f} MB  median {1000 * r['median_s']:8.1f} ms "
                  f"({len(r['samples_s'])} samples)  -> {8 * bandwidth / 1e9:6.2f} Gbit/s")
        print()

    for spec in a.compute:
        model_spec, source = spec.split("=", 1)
        key, name, config = load_config(model_spec)
        compute, optimizer, origin = compute_times(source)
        compute, optimizer = compute / a.speedup, optimizer / a.speedup
        groups = parameter_groups(config, a.labels)
        total = sum(c for _, c, _ in groups)
        size = 4 * total
        bl = buckets(groups, a.bucket_mib * 2**20)
        backward = a.backward_fraction * compute
        alone = compute + optimizer
        columns = [(f"{g:g} Gbit/s", g * 1e9 / 8 * a.link_efficiency) for g in gbits]
        columns += [(f"{label} link", bw) for label, bw in links.items() if "veth" in label or len(links) == 1]
        print(f"{name}: {total / 1e6:.1f}M parameters, {size / 1e6:.1f} MB of gradients in {len(bl)} buckets "
              f"(last {bl[-1][0] / 1e6:.1f} MB); T_compute {compute:.3f} s (backward {backward:.3f} s), "
              f"T_optimizer {optimizer:.3f} s per step" + (f" [divided by {a.speedup:g}]" if a.speedup != 1 else "")
              + f"; from {origin}")
        print()
        print("| N | " + " | ".join(f"{c} overlap / none" for c, _ in columns) + " | exposed at " + columns[0][0] + " |")
        print("|---|" + "---|" * len(columns) + "---|")
        rows = []
        for n in ranks:
            cells, row = [], {"ranks": n}
            for label, bw in columns:
                exposed = exposed_seconds(bl, config["num_hidden_layers"], backward, n, bw, latency)
                flat = ring_seconds(size, n, bw, latency)
                eff, eff_none = alone / (alone + exposed), alone / (alone + flat)
                cells.append(f"{100 * eff:.0f}% / {100 * eff_none:.0f}%")
                row[label] = {"efficiency_overlap": eff, "efficiency_no_overlap": eff_none,
                              "exposed_s": exposed, "allreduce_all_s": flat,
                              "last_bucket_s": ring_seconds(bl[-1][0], n, bw, latency)}
            first = row[columns[0][0]]
            print(f"| {n} | " + " | ".join(cells) +
                  f" | {1000 * first['exposed_s']:.0f} ms of {1000 * first['allreduce_all_s']:.0f} ms |")
            rows.append(row)
        print()
        result["models"][name] = {"parameters": total, "gradient_bytes": size, "buckets": len(bl),
                                  "last_bucket_bytes": bl[-1][0], "compute_s": compute, "optimizer_s": optimizer,
                                  "backward_s": backward, "source": origin, "rows": rows}
    if a.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
