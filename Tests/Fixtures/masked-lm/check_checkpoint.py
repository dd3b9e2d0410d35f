#!/usr/bin/env python3
"""Loads a masked-LM checkpoint BertKit wrote (bertkit run's best/ or last/) in transformers and
compares transformers' fill-mask pipeline with `bertkit predict` on the same inputs:

    bertkit predict --model DIR < inputs.jsonl > bertkit.jsonl
    /tmp/venv-torch/bin/python Tests/Fixtures/masked-lm/check_checkpoint.py DIR inputs.jsonl bertkit.jsonl

It fails unless BertForMaskedLM loads every tensor of the folder and needs none it lacks (a pooler,
which BertForMaskedLM has none of, may be left over), the decoder is tied to the word embeddings,
and, per [MASK], the top tokens are the same, in the same order, with probabilities within 1e-4.
"""
import json, os, sys
os.environ.setdefault("HF_HUB_OFFLINE", "1")
from transformers import AutoTokenizer, BertForMaskedLM, pipeline


def main(folder, inputs_path, bertkit_path):
    model, info = BertForMaskedLM.from_pretrained(folder, output_loading_info=True)
    assert not info["missing_keys"], info["missing_keys"]
    unexpected = [k for k in info["unexpected_keys"] if not k.startswith("bert.pooler.")]
    assert not unexpected, unexpected
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    with open(inputs_path) as f:
        inputs = [json.loads(line) for line in f if line.strip()]
    with open(bertkit_path) as f:
        outputs = [json.loads(line) for line in f if line.strip()]
    assert len(inputs) == len(outputs)
    top_k = len(outputs[0]["masks"][0]["tokens"])
    fill = pipeline("fill-mask", model=model, tokenizer=AutoTokenizer.from_pretrained(folder), top_k=top_k)
    worst = 0.0
    for item, ours in zip(inputs, outputs):
        theirs = fill(item["text"])
        theirs = theirs if isinstance(theirs[0], list) else [theirs]
        assert len(theirs) == len(ours["masks"]), item
        for expected, mask in zip(theirs, ours["masks"]):
            assert [d["token"] for d in expected] == [d["token"] for d in mask["tokens"]], (item, expected, mask)
            for d, e in zip(mask["tokens"], expected):
                assert d["sequence"] == e["sequence"] and d["token_str"] == e["token_str"], (d, e)
                worst = max(worst, abs(d["score"] - e["score"]))
    assert worst <= 1e-4, worst
    print(f"{folder}: transformers loads it; {len(inputs)} inputs, the same top {top_k} per [MASK], probabilities within {worst:.2e}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
