#!/usr/bin/env python3
"""torch_ddp_step.py - the PyTorch DistributedDataParallel peer for `mpirun -np N bertkit`.

The model and the step are torch_baseline.py's (../shared/perf/peer, imported, not copied, so the
two cannot drift): BertForSequenceClassification randomly initialised from BertConfig, batch
16 x seq 128 per process, dropout 0.1, AdamW; one step = zero_grad + forward + backward + step.
Here the model is wrapped in torch.nn.parallel.DistributedDataParallel over gloo, one process per
rank started by torchrun, torch.set_num_threads(--threads) in each (default 1):

  /tmp/venv-torch/bin/torchrun --nproc_per_node 2 benchmarks/torch_ddp_step.py --model base
  /tmp/venv-torch/bin/python benchmarks/torch_ddp_step.py --model base --threads 2   # 1 process

Without torchrun's environment it runs one process without DDP: the same step, the same split,
so that the 1-process figure sits beside the N-process one (torch_baseline.py
`worker --model base --task train --threads 2` measures that step too).

What one job measures, medians after --warmup steps, every rank starting each sample at a barrier
and the job's time of a sample being the slowest rank's:
  step                 zero_grad + forward + backward + optimizer.step, DDP's bucketed
                       allreduce overlapped with the backward as DDP does it (samples_s)
  forward_backward     the part of that step before optimizer.step (with DDP: the backward waits
                       for the last bucket's allreduce, so this includes what overlap did not hide)
  optimizer            optimizer.step alone
  forward_backward_no_sync   forward + backward under DDP.no_sync(): the same compute, no
                       allreduce (no optimizer step follows, so the ranks stay identical)
  allreduce_bare       dist.all_reduce(SUM) of one flat float32 tensor of the model's parameter
                       count: the gradient bytes moved without any computation beside them
From these: exposed communication = forward_backward - forward_backward_no_sync, and the part of
the bare allreduce that overlap hid = allreduce_bare - exposed (both in "derived"; the latter is
negative when overlapping cost more than it hid, as when the cores are all busy computing).
tokens/s is the whole job's: world_size x 16 x 128 tokens per step / step time.

Rank 0 prints one JSON object on stdout, shaped like torch_baseline.py's worker output
(samples_s keyed by threads per rank, tokens_per_step, params_*, rss_peak_mib, steal_s) so that a
summarizer reads both; other ranks print nothing.
"""
import argparse
import importlib.util
import json
import os
import resource
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PEER = os.path.join(HERE, "..", "..", "shared", "perf", "peer", "torch_baseline.py")


def load_peer(path):
    """torch_baseline.py as a module: its MODELS, build_model, param_counts, SEQ, TRAIN_BATCH."""
    if not os.path.exists(path):
        sys.exit(f"torch_ddp_step.py: the peer {path} is missing (set --peer or TORCH_BASELINE)")
    spec = importlib.util.spec_from_file_location("torch_baseline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def median(xs):
    return statistics.median(xs) if xs else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="base", help="base, minilm or tiny (torch_baseline.py's MODELS)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per process (default 1)")
    ap.add_argument("--steps", type=int, default=5, help="measured samples of each kind (default 5)")
    ap.add_argument("--warmup", type=int, default=2, help="unmeasured steps first (default 2)")
    ap.add_argument("--allreduce-reps", type=int, default=0,
                    help="bare allreduce samples (default: as many as --steps)")
    ap.add_argument("--bucket-mb", type=float, default=25.0, help="DDP bucket_cap_mb (default 25, DDP's own)")
    ap.add_argument("--peer", default=os.environ.get("TORCH_BASELINE", DEFAULT_PEER),
                    help="path of torch_baseline.py (default ../shared/perf/peer/torch_baseline.py)")
    a = ap.parse_args()

    peer = load_peer(a.peer)
    if a.model not in peer.MODELS:
        sys.exit(f"torch_ddp_step.py: --model must be one of {', '.join(peer.MODELS)}, found {a.model}")

    import torch
    import torch.distributed as dist

    torch.set_num_threads(a.threads)
    distributed = "WORLD_SIZE" in os.environ
    if distributed:
        dist.init_process_group("gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1
    steal0 = peer.steal_seconds()
    t_start = time.perf_counter()

    cfg, model = peer.build_model(a.model)  # seeded inside: every rank starts from the same weights
    res = {"model": a.model, "task": "train_ddp" if distributed else "train", "threads": [a.threads],
           "world_size": world, "backend": "gloo" if distributed else None, "pid": os.getpid(),
           "torch": torch.__version__}
    res.update(peer.param_counts(model, cfg))
    params = res["params_total"]
    if distributed:
        model = torch.nn.parallel.DistributedDataParallel(model, bucket_cap_mb=a.bucket_mb)
        res["ddp"] = {"bucket_cap_mb": a.bucket_mb}

    # each rank its own batch: what rank r would take from the global batch
    B, SEQ = peer.TRAIN_BATCH, peer.SEQ
    g = torch.Generator().manual_seed(1 + rank)
    ids = torch.randint(0, cfg.vocab_size, (B, SEQ), generator=g)
    mask = torch.ones(B, SEQ, dtype=torch.long)
    tt = torch.zeros(B, SEQ, dtype=torch.long)
    labels = torch.randint(0, 2, (B,), generator=g)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)
    losses = []

    def barrier():
        if distributed:
            dist.barrier()

    def forward_backward():
        opt.zero_grad(set_to_none=True)
        out = model(input_ids=ids, attention_mask=mask, token_type_ids=tt, labels=labels)
        out.loss.backward()
        return out.loss

    def timed_step():
        """(step, forward_backward, optimizer) seconds of one full step."""
        barrier()
        t0 = time.perf_counter()
        loss = forward_backward()
        t1 = time.perf_counter()
        opt.step()
        t2 = time.perf_counter()
        losses.append(loss.item())
        return t2 - t0, t1 - t0, t2 - t1

    def timed_no_sync():
        barrier()
        t0 = time.perf_counter()
        if distributed:
            with model.no_sync():
                forward_backward()
        else:
            forward_backward()
        elapsed = time.perf_counter() - t0
        opt.zero_grad(set_to_none=True)  # these gradients are one rank's alone: never applied
        return elapsed

    flat = torch.ones(params, dtype=torch.float32)

    def timed_allreduce():
        barrier()
        t0 = time.perf_counter()
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        return time.perf_counter() - t0

    for _ in range(a.warmup):
        timed_step()
    res["rss_after_warmup_mib"] = peer.rss_mib()
    samples = {"step": [], "forward_backward": [], "optimizer": [], "forward_backward_no_sync": []}
    # a full step and a no_sync forward+backward alternate, so both see the same machine noise
    for _ in range(a.steps):
        step, fb, optimizer = timed_step()
        samples["step"].append(step)
        samples["forward_backward"].append(fb)
        samples["optimizer"].append(optimizer)
        samples["forward_backward_no_sync"].append(timed_no_sync())
    if distributed:
        timed_allreduce()  # warm-up: gloo's first collective of a size sets up its buffers
        samples["allreduce_bare"] = [timed_allreduce() for _ in range(a.allreduce_reps or a.steps)]

    # a sample of the job lasts as long as its slowest rank
    per_rank = {k: list(v) for k, v in samples.items()}
    if distributed:
        for k in samples:
            t = torch.tensor(samples[k], dtype=torch.float64)
            dist.all_reduce(t, op=dist.ReduceOp.MAX)
            samples[k] = t.tolist()
        rss = torch.tensor([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024], dtype=torch.float64)
        dist.all_reduce(rss, op=dist.ReduceOp.MAX)
        res["rss_peak_mib"] = rss.item()
    else:
        res["rss_peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    tokens = world * B * SEQ
    med = {k: median(v) for k, v in samples.items()}
    res["samples_s"] = {str(a.threads): samples["step"]}
    res["split_samples_s"] = {k: v for k, v in samples.items() if k != "step"}
    res["rank0_samples_s"] = per_rank
    res["median_s"] = med
    res["tokens_per_step"] = tokens
    res["tokens_per_second"] = tokens / med["step"]
    res["gradient_bytes"] = 4 * params
    derived = {"compute_s": med["forward_backward_no_sync"]}
    if distributed:
        exposed = max(0.0, med["forward_backward"] - med["forward_backward_no_sync"])
        derived.update({
            "exposed_communication_s": exposed,
            # negative when the overlapped allreduce cost more than a bare one (its threads and
            # copies competing with the backward for the cores)
            "hidden_by_overlap_s": med["allreduce_bare"] - exposed,
            "allreduce_bandwidth_gbit_s": 8 * 4 * params / med["allreduce_bare"] / 1e9,
            "allreduce_share_of_step": med["allreduce_bare"] / med["step"],
            "exposed_share_of_step": exposed / med["step"],
        })
    derived["optimizer_share_of_step"] = med["optimizer"] / med["step"]
    res["derived"] = derived
    res["loss_first_last"] = [losses[0], losses[-1]]
    res["wall_s"] = time.perf_counter() - t_start
    res["steal_s"] = peer.steal_seconds() - steal0
    if distributed:
        dist.destroy_process_group()
    if rank == 0:
        print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
