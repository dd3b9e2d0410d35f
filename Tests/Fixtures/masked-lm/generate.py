#!/usr/bin/env python3
"""transformers' BertForMaskedLM on tiny-bert, and what it computes; writes the folder and the
reference files beside this script (README.md says what each is).

Needs torch, transformers 5.x (save_pretrained writes the tied decoder once, and tokenizer.json
without vocab.txt), safetensors and numpy. Reads only the project's own fixtures: ../tiny-bert's
BertModel weights and, through ../hf-checkpoints/generate.py, its vocabulary with real words and
`##` pieces in place of the [unusedN] lines.

    /tmp/venv-torch/bin/python Tests/Fixtures/masked-lm/generate.py
"""
import importlib.util, json, os, platform, shutil
import numpy as np
import torch
import transformers
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import AutoModelForMaskedLM, AutoTokenizer, BertForMaskedLM, pipeline

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)
TINY = os.path.join(FIXTURES, "tiny-bert")
FOLDER = os.path.join(HERE, "tiny-bert-mlm")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch.use_deterministic_algorithms(True)

spec = importlib.util.spec_from_file_location("hf_checkpoints", os.path.join(FIXTURES, "hf-checkpoints", "generate.py"))
hf_checkpoints = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hf_checkpoints)


def versions():
    import safetensors, tokenizers
    return {"torch": torch.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
            "safetensors": safetensors.__version__, "numpy": np.__version__, "python": platform.python_version()}


def make_folder(tokenizer):
    """tiny-bert's backbone with a seeded cls.predictions head (transformers would start it at
    N(0, 0.02) and zeros, where mistakes hide; LayerNorm weights near 3 spread the logits, so that
    the fill-mask rankings have no near ties), saved as transformers 5 saves it."""
    model = BertForMaskedLM.from_pretrained(TINY)
    g = torch.Generator().manual_seed(24)
    head = model.cls.predictions
    with torch.no_grad():
        head.transform.dense.weight.copy_(torch.randn(head.transform.dense.weight.shape, generator=g) * 0.3)
        head.transform.dense.bias.copy_(torch.rand(head.transform.dense.bias.shape, generator=g) * 0.2 - 0.1)
        head.transform.LayerNorm.weight.copy_(1.5 + torch.rand(head.transform.LayerNorm.weight.shape, generator=g) * 0.6 - 0.3)
        head.transform.LayerNorm.bias.copy_(torch.rand(head.transform.LayerNorm.bias.shape, generator=g) * 0.2 - 0.1)
        head.bias.copy_(torch.rand(head.bias.shape, generator=g) * 3.0 - 1.5)
    assert head.decoder.weight is model.bert.embeddings.word_embeddings.weight, "the decoder is tied"
    shutil.rmtree(FOLDER, ignore_errors=True)
    model.save_pretrained(FOLDER)
    tokenizer.save_pretrained(FOLDER)
    os.chmod(os.path.join(FOLDER, "model.safetensors"), 0o644)
    assert not os.path.exists(os.path.join(FOLDER, "vocab.txt")), "transformers 5 writes tokenizer.json only"
    with safe_open(os.path.join(FOLDER, "model.safetensors"), "pt") as f:
        names = set(f.keys())
    assert "cls.predictions.bias" in names and not any("decoder" in n for n in names), sorted(n for n in names if n.startswith("cls"))
    assert not any(n.startswith("bert.pooler") for n in names)
    return sorted(names)


# ------------------------------------------------------------------------------------------ parity
# tiny-bert's backbone-reference batch (3 x 12, with padding), with a fixed mask: per position,
# what the input becomes ("mask": [MASK], an id: that token, "keep": unchanged). The labels are
# the original ids there and -100 elsewhere.
MASKING = {(0, 2): "mask", (0, 5): 1700, (0, 9): "keep", (0, 10): "mask",
           (1, 1): "mask", (1, 4): "mask", (1, 7): 1205,
           (2, 3): "mask"}
LR, WEIGHT_DECAY, CLIP, STEPS = 1e-3, 0.01, 1.0, 3


def parity(tokenizer):
    with safe_open(os.path.join(TINY, "backbone-reference.safetensors"), "pt") as f:
        batch = {k: f.get_tensor(k) for k in ("input_ids", "attention_mask", "token_type_ids")}
    original = batch["input_ids"].clone()
    inputs = original.clone()
    labels = torch.full_like(original, -100)
    for (row, column), what in MASKING.items():
        assert batch["attention_mask"][row, column] == 1 and original[row, column] not in tokenizer.all_special_ids
        labels[row, column] = original[row, column]
        if what == "mask":
            inputs[row, column] = tokenizer.mask_token_id
        elif what != "keep":
            inputs[row, column] = what
    batch["input_ids"] = inputs

    model = AutoModelForMaskedLM.from_pretrained(FOLDER).eval()     # dropout off, as in BertKit's test
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    out = model(**batch, labels=labels)
    out.loss.backward()
    masked = labels != -100
    ref = {"input_ids": inputs, "attention_mask": batch["attention_mask"], "token_type_ids": batch["token_type_ids"],
           "labels": labels, "loss": out.loss.detach().reshape([]),
           "masked_logits": out.logits[masked].detach().contiguous()}
    names = [n for n, _ in model.named_parameters()]
    assert names.count("bert.embeddings.word_embeddings.weight") == 1 and not any("decoder" in n for n in names)
    for name, p in model.named_parameters():
        ref["grad." + name] = p.grad.detach().clone()

    # 3 AdamW steps on the same batch: decay except on biases and LayerNorm, global clip 1.0
    decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "LayerNorm" in n)]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=LR, betas=(0.9, 0.999), eps=1e-8)
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = model(**batch, labels=labels).loss
        losses.append(loss.item())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        optimizer.step()
    ref["adamw.losses"] = torch.tensor(losses)
    for name, p in model.named_parameters():
        ref["adamw.param." + name] = p.detach().clone()
    path = os.path.join(HERE, "reference.safetensors")
    save_file({k: v.contiguous() for k, v in ref.items()}, path, metadata={"versions": json.dumps(versions())})
    os.chmod(path, 0o644)


# -------------------------------------------------------------------------------------- fill-mask
FILL_MASK_TEXTS = [
    "paris is the [MASK] of france.",
    "John lives in [MASK].",
    "the [MASK] bank of the [MASK] in london",          # two masks: a list per mask
    "[MASK]",
    "the [PAD] bank of [MASK] [PAD] london",             # [PAD] in the text: dropped from the
    "[PAD] the [MASK] of the [MASK] [PAD]",              # sequences after the fill, one mask or two
]
TOP_K = 5


def fill_mask():
    fill = pipeline("fill-mask", model=FOLDER, tokenizer=FOLDER, top_k=TOP_K)
    tokenizer = AutoTokenizer.from_pretrained(FOLDER)
    model = AutoModelForMaskedLM.from_pretrained(FOLDER).eval()
    examples = []
    for text in FILL_MASK_TEXTS:
        result = fill(text)
        per_mask = result if isinstance(result[0], list) else [result]
        # the ranking BertKit must reproduce: every one of the top k + 1 probabilities leads the
        # next by more than 1e-4, so that probabilities within 1e-4 cannot reorder them
        enc = tokenizer(text, return_tensors="pt")
        with torch.no_grad():
            logits = model(**enc).logits[0]
        positions = (enc["input_ids"][0] == tokenizer.mask_token_id).nonzero().squeeze(-1).tolist()
        assert len(positions) == len(per_mask)
        for position, predictions in zip(positions, per_mask):
            p = logits[position].double().softmax(-1).numpy()
            top = np.sort(p)[::-1][:TOP_K + 1]
            assert np.all(np.diff(top) < -1e-4), f"{text}: near ties in the top {TOP_K}: {top}"
            assert [d["token"] for d in predictions] == np.argsort(-p)[:TOP_K].tolist()
        examples.append({"input": {"text": text}, "ids": enc["input_ids"][0].tolist(), "mask_positions": positions,
                         "masks": [[{"token": d["token"], "token_str": d["token_str"], "score": float(d["score"]),
                                     "sequence": d["sequence"]} for d in predictions] for predictions in per_mask]})
    return {"top_k": TOP_K, "examples": examples}


def main():
    tokenizer = hf_checkpoints.make_tokenizer(hf_checkpoints.vocabulary())
    names = make_folder(tokenizer)
    parity(AutoTokenizer.from_pretrained(FOLDER))
    with open(os.path.join(HERE, "fill-mask.reference.json"), "w", encoding="utf-8") as f:
        json.dump({"versions": versions(), "saved_tensors": names, **fill_mask()}, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(json.dumps(versions()))


if __name__ == "__main__":
    main()
