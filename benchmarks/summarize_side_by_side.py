#!/usr/bin/env python3
"""Summarise benchmarks/side_by_side.sh's JSON files: medians over the repetitions, BertKit's
ratio to the peer, MFU vs GEMM for both (the peer's model FLOP rate over the GEMM rate BertKit
measured in the same run, threaded by OpenBLAS; and over the same GEMMs in BertKit's row blocks
when the files have it), peak RSS.  Usage: python3 summarize_side_by_side.py /tmp/bench-side"""
import glob, json, os, statistics, sys

out = sys.argv[1]

def load(pattern):
    rows = []
    for path in sorted(glob.glob(os.path.join(out, pattern))):
        with open(path) as f:
            text = f.read().strip()
        if text:
            rows.append(json.loads(text.splitlines()[-1]) if not text.startswith("{\n") else json.loads(text))
    return rows

def med(xs):
    return statistics.median(xs) if xs else float("nan")

for model, task, suffix in [(m, t, p) for p in ("", "-bf16") for m in ("base", "minilm") for t in ("train", "infer")]:
    # "-bf16": side_by_side.sh with PRECISION=bf16 (peer under torch.autocast, BertKit --precision bf16)
    peer = load(f"peer-{model}-{task}{suffix}-[0-9]*.json")
    ours = load(f"bertkit-{model}-{task}{suffix}-[0-9]*.json")
    if not peer or not ours:
        continue
    if task == "train":
        peer_rate = [2048 / s for p in peer for s in p["samples_s"]["2"]]
        unit = "tokens/s"
    else:
        peer_rate = [32 / s for p in peer for s in p["samples_s"]["2"]]
        unit = "sequences/s"
    our_rate = [o["throughput"]["median"] for o in ours]
    flops = peer[0]["train_flops_per_token"] / (1 if task == "train" else 3)
    tokens = 2048 if task == "train" else 32 * 128
    gemm = med([o["gemmGFLOPs"] for o in ours])
    peer_gflops = med(peer_rate) * (flops if task == "train" else flops * 128) / 1e9
    line = (f"{model} {task}{suffix}: peer {med(peer_rate):.1f} [{min(peer_rate):.1f}..{max(peer_rate):.1f}] {unit}, "
            f"BertKit {med(our_rate):.1f} [{min(our_rate):.1f}..{max(our_rate):.1f}] -> {med(our_rate) / med(peer_rate):.2f}x; "
            f"MFU vs GEMM ({gemm:.0f} GFLOP/s): BertKit {med([o['mfuVersusGEMM'] for o in ours]):.2f}, peer {peer_gflops / gemm:.2f}; "
            f"peak RSS BertKit {med([o['peakRSSMiB'] for o in ours]):.0f} MiB, peer {med([p['rss_peak_mib'] for p in peer]):.0f} MiB")
    print(line)
    if all(o.get("bf16") for o in ours):
        bf16 = [o["bf16"] for o in ours]
        print(f"   oneDNN {bf16[0]['oneDNNVersion']} bf16 GEMM ({bf16[0]['implementation']}): "
              f"{med([b['gemmGFLOPs'] for b in bf16]):.0f} GFLOP/s; MFU vs bf16 GEMM: BertKit "
              f"{med([b['mfuVersusBF16GEMM'] for b in bf16]):.2f}")
    if all("engineGEMMGFLOPs" in o for o in ours):
        engine = med([o["engineGEMMGFLOPs"] for o in ours])
        print(f"   the same GEMMs in BertKit's row blocks: {engine:.0f} GFLOP/s; model over that: "
              f"BertKit {med([o['mfuVersusEngineGEMM'] for o in ours]):.2f}, peer {peer_gflops / engine:.2f}")
    if task == "infer":
        lat_peer = load(f"peer-{model}-latency{suffix}-[0-9]*.json")
        if lat_peer:
            pl = [1000 * s for p in lat_peer for s in p["samples_s"]["2"]]
            ol = [o["latencyMilliseconds"]["median"] for o in ours if o.get("latencyMilliseconds")]
            print(f"{model} latency{suffix} batch 1: peer {med(pl):.1f} ms, BertKit {med(ol):.1f} ms -> {med(pl) / med(ol):.2f}x faster")
    bd = ours[len(ours) // 2]["breakdownSeconds"]
    total = sum(bd.values())
    print("   BertKit breakdown: " + ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in sorted(bd.items(), key=lambda kv: -kv[1])))
