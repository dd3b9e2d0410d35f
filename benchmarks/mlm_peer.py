#!/usr/bin/env python3
"""mlm_peer.py - the PyTorch peer of BertKit's masked-LM training step (issue 24).

run_mlm.py's semantics, timed step by step: BertForMaskedLM on a model folder's weights
(all-MiniLM-L6-v2 has no cls.* tensors: transformers starts the head fresh, as BertKit does),
the texts of a plain-text file (one text a line) tokenized with their special tokens and cut
into blocks of --seq tokens as run_mlm.py's group_texts does (groups of 1,000 texts, each
dropping its remainder), DataCollatorForLanguageModeling (mlm_probability 0.15: 80% [MASK],
10% random, 10% kept), torch.optim.AdamW (weight decay 0.01), dropout as the config says (0.1).

One step = zero_grad + forward (with the loss) + backward + AdamW step on a batch of --batch
blocks; with --bf16 the forward and the loss run under torch.autocast("cpu", bfloat16), as
transformers' Trainer does with bf16=True. The collator runs before each step, outside the
timed part (run_mlm.py's Trainer collates in the data loader, in the same process: the timing
here leaves that cost out, in the peer's favour). Each step takes the next --batch blocks
(cycling), masked anew. --warmup steps, then --steps timed ones.

Prints one JSON object: tokens_per_s (median over the timed steps, batch x seq tokens a step;
min and max beside it), the step seconds, the masked tokens per step, versions, peak RSS.

  /tmp/venv-torch/bin/python benchmarks/mlm_peer.py --model models/all-MiniLM-L6-v2 \\
      --text runs/wnut17-text/train.txt --threads 2 [--bf16] [--steps 7 --warmup 2]
"""
import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# datasets' map(batched=True) default batch size, within which run_mlm.py's group_texts groups
TEXTS_PER_GROUP = 1000


def group_texts(texts, tokenizer, block_size):
    """run_mlm.py's tokenize_function + group_texts, without the datasets library."""
    blocks = []
    for start in range(0, len(texts), TEXTS_PER_GROUP):
        group = texts[start:start + TEXTS_PER_GROUP]
        ids = [i for row in tokenizer(group, return_special_tokens_mask=False)["input_ids"] for i in row]
        usable = len(ids) // block_size * block_size if len(ids) >= block_size else len(ids)
        blocks += [ids[i:i + block_size] for i in range(0, usable, block_size)]
    return blocks


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="a BERT model folder (config.json, model.safetensors, tokenizer)")
    parser.add_argument("--text", required=True, help="plain text, one text a line")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--steps", type=int, default=7, help="timed steps (default 7)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    parser.add_argument("--bf16", action="store_true", help="forward and loss under torch.autocast(cpu, bfloat16)")
    parser.add_argument("--mlm-probability", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=42)
    a = parser.parse_args()

    import torch
    import transformers
    from transformers import AutoTokenizer, BertForMaskedLM, DataCollatorForLanguageModeling

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    transformers.logging.set_verbosity_error()   # "newly initialized: cls.predictions..." is expected
    transformers.logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(a.model)
    model = BertForMaskedLM.from_pretrained(a.model)
    model.train()
    with open(a.text, encoding="utf-8") as f:
        texts = f.read().split("\n")
    if texts and texts[-1] == "":
        texts.pop()   # the file's last newline ends a line, it does not start one
    blocks = [b for b in group_texts(texts, tokenizer, a.seq) if len(b) == a.seq]
    if len(blocks) < a.batch:
        sys.exit(f"mlm_peer.py: {a.text} gives {len(blocks)} blocks of {a.seq} tokens, fewer than --batch {a.batch}")
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=a.mlm_probability, return_tensors="pt")
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01)

    seconds, masked, losses = [], [], []
    collate_seconds = []
    for number in range(a.warmup + a.steps):
        start = number * a.batch % (len(blocks) - a.batch + 1)
        t0 = time.perf_counter()
        batch = collator([{"input_ids": b} for b in blocks[start:start + a.batch]])
        collate_seconds.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        elapsed = time.perf_counter() - t0
        if number >= a.warmup:
            seconds.append(elapsed)
            masked.append(int((batch["labels"] != -100).sum()))
        losses.append(loss.item())

    tokens = a.batch * a.seq
    rates = [tokens / s for s in seconds]
    print(json.dumps({
        "peer": "mlm_peer.py", "model": a.model, "text": a.text, "blocks": len(blocks),
        "batch": a.batch, "sequence_length": a.seq, "threads": a.threads, "precision": "bf16" if a.bf16 else "fp32",
        "tokens_per_s": statistics.median(rates), "tokens_per_s_min": min(rates), "tokens_per_s_max": max(rates),
        "step_seconds": seconds, "collate_seconds_median": statistics.median(collate_seconds),
        "masked_tokens_per_step": masked, "loss_first_last": [losses[0], losses[-1]],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch": torch.__version__, "transformers": transformers.__version__, "python": platform.python_version(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }, indent=1))


if __name__ == "__main__":
    main()
