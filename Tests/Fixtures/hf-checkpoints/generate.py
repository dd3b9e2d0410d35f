#!/usr/bin/env python3
"""transformers-written checkpoints of the three tiny-bert heads, and what transformers computes
on them; writes the folders and reference files beside this script (README.md says what each is).

Needs torch, transformers (5.x: save_pretrained writes tokenizer.json and no vocab.txt) and
numpy. Reads only the project's own fixture ../tiny-bert: its BertFor* weights, unchanged, and its
vocabulary, where the [unusedN] lines after [PAD] become real words and `##` pieces (the tiny
vocabulary has no `##` pieces at all, so that every longer word would be [UNK] and WordPiece's
longest match would never be exercised). The embedding rows keep their values.

    /tmp/venv-torch/bin/python Tests/Fixtures/hf-checkpoints/generate.py
"""
import json, os, platform, random, shutil
import numpy as np
import torch
import transformers
from transformers import (AutoModel, AutoModelForQuestionAnswering, AutoModelForSequenceClassification,
                          AutoModelForTokenClassification, AutoTokenizer, BertForQuestionAnswering,
                          BertForSequenceClassification, BertForTokenClassification, BertTokenizer)

HERE = os.path.dirname(os.path.abspath(__file__))
TINY = os.path.join(os.path.dirname(HERE), "tiny-bert")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch.use_deterministic_algorithms(True)
MAX_LENGTH = 64            # tiny-bert's max_position_embeddings
QA_STRIDE = MAX_LENGTH // 2  # BertKit's default for a transformers folder: min(128, max length / 2)
QA_MAX_ANSWER, QA_N_BEST = 30, 20

# Real words and `##` pieces in place of [unused0], [unused1], ... (ids 1, 2, ...).
WORDS = ["paris", "london", "berlin", "rome", "john", "mary", "smith", "river", "city", "lives", "works", "born",
         "who", "where", "what", "when", "is", "was", "to", "at", "on", "near", "bank", "cafe", "north", "old",
         "new", "york", "anna", "met"]
PIECES = ["##" + c for c in "abcdefghijklmnopqrstuvwxyz"] + ["##ed", "##ing", "##er", "##on", "##ia", "##0", "##1"]


def versions():
    import tokenizers
    return {"torch": torch.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
            "numpy": np.__version__, "python": platform.python_version()}


def vocabulary():
    with open(os.path.join(TINY, "vocab.txt"), encoding="utf-8") as f:
        tokens = f.read().split("\n")
    if tokens[-1] == "":
        tokens.pop()
    new = WORDS + PIECES
    for i, token in enumerate(new, start=1):
        assert tokens[i].startswith("[unused"), tokens[i]
        assert token not in tokens, token
        tokens[i] = token
    return tokens


def make_tokenizer(tokens):
    vocab = {token: i for i, token in enumerate(tokens)}
    return BertTokenizer(vocab=vocab, do_lower_case=True, model_max_length=MAX_LENGTH)


def write_v4_layout(folder, tokens):
    """vocab.txt and special_tokens_map.json beside tokenizer.json, as transformers 4 wrote them."""
    with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in tokens))
    specials = {"cls_token": "[CLS]", "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]", "unk_token": "[UNK]"}
    with open(os.path.join(folder, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump(specials, f, indent=2, sort_keys=True)


def random_class_names(rng, count):
    pool = ["plum", "kiwi", "fig", "yuzu", "lime", "pear", "date", "sloe"]
    return rng.sample(pool, count)


def random_tags(rng, count):
    """O and B-/I- tags of random three-letter types, in a random order (O is not first)."""
    types = []
    while len(types) < (count - 1) // 2:
        name = "".join(rng.choice("ABCDEFGHJKLMNPQRSTVWXZ") for _ in range(3))
        if name not in types:
            types.append(name)
    tags = ["O"] + [p + "-" + t for t in types for p in ("B", "I")]
    assert len(tags) == count
    while tags[0] == "O":
        rng.shuffle(tags)
    return tags


def spread_classifier(model, tokenizer, texts):
    """Re-draws the token classifier (seeded) without its component along the mean hidden state:
    tiny-bert's random backbone gives every token nearly the same state, and its random
    classifier then the same tag to almost every word, which would test no decoding."""
    model.eval()
    with torch.no_grad():
        enc = tokenizer(texts, return_tensors="pt", padding=True)
        states = model.bert(**enc).last_hidden_state[enc["attention_mask"].bool()]
        u = states.mean(dim=0)
        u = u / u.norm()
        weight = torch.randn(model.classifier.weight.shape, generator=torch.Generator().manual_seed(22))
        weight = weight - (weight @ u)[:, None] * u[None, :]
        model.classifier.weight.copy_(0.5 * weight)
        model.classifier.bias.zero_()


def save(model_class, source, folder, tokenizer, id2label, adjust=None):
    model = model_class.from_pretrained(os.path.join(TINY, source))
    if adjust is not None:
        adjust(model)
    if id2label is not None:
        model.config.id2label = dict(enumerate(id2label))
        model.config.label2id = {name: i for i, name in enumerate(id2label)}
    shutil.rmtree(folder, ignore_errors=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def floats(tensor):
    return [float(x) for x in tensor.reshape(-1).tolist()]


def margin(values):
    """The best value's lead over the second best."""
    top = np.sort(np.asarray(values, dtype=np.float64))[-2:]
    return top[1] - top[0]


def softmax(values):
    values = np.asarray(values, dtype=np.float64)
    e = np.exp(values - values.max())
    return e / e.sum()


# ------------------------------------------------------------------------------------ classification
CLASSIFICATION_INPUTS = [
    {"text": "John lives in Paris."},
    {"text": "the old bank of the river"},
    {"text": "Where was Mary born?", "text_pair": "Mary was born in Rome, near the river."},
    {"text": "Café au lait, naïve Zoë!"},
    # longer than 64 tokens: truncated (longest first)
    {"text": " ".join(["the city of london is old and new"] * 9)},
]


def classification(folder):
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    examples = []
    for item in CLASSIFICATION_INPUTS:
        enc = tokenizer(item["text"], item.get("text_pair"), truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
        with torch.no_grad():
            logits = model(**enc).logits[0]
        assert margin(logits.numpy()) > 1e-3, "a near tie: the argmax would be fragile"
        p = softmax(logits.numpy())
        best = int(p.argmax())
        examples.append({"input": item, "ids": enc["input_ids"][0].tolist(), "type_ids": enc["token_type_ids"][0].tolist(),
                         "logits": floats(logits), "label": labels[best], "score": float(p[best])})
    return {"labels": labels, "examples": examples}


# ------------------------------------------------------------------------------- token classification
NER_TEXTS = [
    "John Smith lives in Paris.",
    "Anna met Mary at the cafe near the North bank in Berlin!",
    "new york city, rome and london",
    # longer than 64 tokens: windows
    " ".join(["John works at the old bank in London, Mary lives near the river in Rome."] * 4),
]


def ner_windows(counts, budget):
    """BertKit's NERWindows.pieces and owners (Sources/Tasks/NER/NERWindows.swift), re-implemented:
    windows of whole words that fill the budget, the next starting at least half a budget later;
    each word owned by the window where it is farthest from a cut edge (ties: the earlier)."""
    n = len(counts)
    cumulative = [0]
    for c in counts:
        cumulative.append(cumulative[-1] + c)
    if cumulative[n] <= budget:
        pieces = [(0, n)]
    else:
        stride, pieces, start = max(1, budget // 2), [], 0
        while True:
            end = start
            while end < n and cumulative[end + 1] - cumulative[start] <= budget:
                end += 1
            pieces.append((start, end))
            if end == n:
                break
            nxt = start + 1
            while nxt < end and cumulative[nxt] - cumulative[start] < stride:
                nxt += 1
            while cumulative[end + 1] - cumulative[nxt] > budget:
                nxt += 1
            start = nxt
    owner, best = [0] * n, [-1] * n
    for k, (lo, hi) in enumerate(pieces):
        for w in range(lo, hi):
            left = float("inf") if lo == 0 else cumulative[w] - cumulative[lo]
            right = float("inf") if hi == n else cumulative[hi] - cumulative[w + 1]
            if min(left, right) > best[w]:
                best[w], owner[w] = min(left, right), k
    return pieces, owner


def token_classification(folder):
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForTokenClassification.from_pretrained(folder).eval()
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    examples = []
    for text in NER_TEXTS:
        full = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        word_ids = full.word_ids()
        words = sorted({w for w in word_ids if w is not None})
        assert words == list(range(len(words)))
        per_word = [[tid for tid, w in zip(full["input_ids"], word_ids) if w == word] for word in words]
        spans = [(min(o[0] for o, w in zip(full["offset_mapping"], word_ids) if w == word),
                  max(o[1] for o, w in zip(full["offset_mapping"], word_ids) if w == word)) for word in words]
        pieces, owner = ner_windows([len(t) for t in per_word], MAX_LENGTH - 2)
        windows, word_logits = [], [None] * len(words)
        for k, (lo, hi) in enumerate(pieces):
            ids = [cls] + [t for w in range(lo, hi) for t in per_word[w]] + [sep]
            with torch.no_grad():
                logits = model(input_ids=torch.tensor([ids]), token_type_ids=torch.zeros(1, len(ids), dtype=torch.long)).logits[0]
            windows.append({"ids": ids, "logits": floats(logits)})
            position = 1
            for w in range(lo, hi):
                if owner[w] == k:
                    word_logits[w] = logits[position].numpy()
                position += len(per_word[w])
        if len(pieces) == 1:
            # one window: the ids transformers' tokenizer gives the text with its special tokens
            assert windows[0]["ids"] == tokenizer(text)["input_ids"]
        for l in word_logits:
            assert margin(l) > 1e-3, "a near tie: the argmax would be fragile"
        tags = [labels[int(np.argmax(l))] for l in word_logits]
        scores = [float(softmax(l).max()) for l in word_logits]
        examples.append({"input": {"text": text}, "windows": windows, "words": [text[a:b] for a, b in spans],
                         "spans": [list(s) for s in spans], "tags": tags, "scores": scores})
    return {"labels": labels, "examples": examples}


# ------------------------------------------------------------------------------- question answering
QA_INPUTS = [
    {"question": "Where does John live?", "context": "John Smith lives in Paris, near the river."},
    {"question": "Who met Anna?", "context": "Anna met Mary at the cafe in Berlin."},
    # a context longer than one window: several windows sharing QA_STRIDE tokens
    {"question": "Where was Mary born?",
     "context": " ".join(["John works at the old bank in London and Mary was born in Rome near the river."] * 4)},
]


def best_answer(context, windows):
    """utils_qa.postprocess_qa_predictions (v1) on an example's windows, re-implemented: the
    n-best start and end logits per window, spans inside the context with end >= start and at
    most QA_MAX_ANSWER tokens, scored start + end; the n-best overall; probability = softmax."""
    candidates = []
    for window in windows:
        start, end, offsets = np.array(window["start_logits"]), np.array(window["end_logits"]), window["offsets"]
        starts = np.argsort(start)[-1:-QA_N_BEST - 1:-1].tolist()
        ends = np.argsort(end)[-1:-QA_N_BEST - 1:-1].tolist()
        for s in starts:
            for e in ends:
                if offsets[s] is None or offsets[e] is None or e < s or e - s + 1 > QA_MAX_ANSWER:
                    continue
                candidates.append((float(start[s] + end[e]), offsets[s][0], offsets[e][1]))
    candidates = sorted(candidates, key=lambda c: c[0], reverse=True)[:QA_N_BEST]
    assert candidates[0][0] - candidates[1][0] > 1e-3, "a near tie: the best span would be fragile"
    p = softmax([c[0] for c in candidates])
    score, a, b = candidates[0]
    return {"answer": context[a:b], "start": a, "end": b, "score": float(p[0])}


def question_answering(folder):
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForQuestionAnswering.from_pretrained(folder).eval()
    examples = []
    for item in QA_INPUTS:
        enc = tokenizer(item["question"], item["context"], truncation="only_second", max_length=MAX_LENGTH,
                        stride=QA_STRIDE, return_overflowing_tokens=True, return_offsets_mapping=True)
        windows = []
        for i in range(len(enc["input_ids"])):
            ids, types = enc["input_ids"][i], enc["token_type_ids"][i]
            with torch.no_grad():
                out = model(input_ids=torch.tensor([ids]), token_type_ids=torch.tensor([types]))
            sequence_ids = enc.sequence_ids(i)
            offsets = [list(o) if s == 1 else None for o, s in zip(enc["offset_mapping"][i], sequence_ids)]
            windows.append({"ids": ids, "type_ids": types, "start_logits": floats(out.start_logits[0]),
                            "end_logits": floats(out.end_logits[0]), "offsets": offsets})
        examples.append({"input": item, "windows": windows, **best_answer(item["context"], windows)})
    return {"examples": examples}


# ------------------------------------------------------------------------------------------ tokenizer
TOKENIZER_TEXTS = [
    "Hello, World!", "Johnson's workers worked in PARIS.", "Café naïve Zoë résumé", "北京 and 東京 are cities",
    "tabs\tand\nnewlines\u00a0here", "the [MASK] and [SEP] stay whole", "unknownwordxyz", "3.14 + 2 = 5.14",
    "Ünïcödé ﬁ ligature", "",
]


def tokenizer_reference(folder):
    tokenizer = AutoTokenizer.from_pretrained(folder)
    out = []
    for text in TOKENIZER_TEXTS:
        enc = tokenizer(text, return_offsets_mapping=True)
        out.append({"text": text, "ids": enc["input_ids"], "offsets": [list(o) for o in enc["offset_mapping"]]})
    pair = tokenizer("Who lives here?", "Mary lives in Rome.")
    return {"texts": out, "pair": {"text": "Who lives here?", "text_pair": "Mary lives in Rome.",
                                   "ids": pair["input_ids"], "type_ids": pair["token_type_ids"]}}


def embeddings(folder, texts):
    """Mean of the last hidden states over the mask, L2-normalised (bertkit embed's default)."""
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    out = []
    for text in texts:
        enc = tokenizer(text, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
        with torch.no_grad():
            hidden = model(**enc).last_hidden_state[0]
        mean = hidden.mean(dim=0)
        out.append({"text": text, "embedding": floats(mean / mean.norm())})
    return out


def write_json(name, value):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def main():
    rng = random.Random(22)
    tokens = vocabulary()
    tokenizer = make_tokenizer(tokens)
    seq, tok, qa = (os.path.join(HERE, name) for name in ("sequence-classification", "token-classification", "question-answering"))
    save(BertForSequenceClassification, "sequence-classification", seq, tokenizer, random_class_names(rng, 3))
    save(BertForTokenClassification, "token-classification", tok, tokenizer, random_tags(rng, 5),
         adjust=lambda model: spread_classifier(model, tokenizer, NER_TEXTS[:3]))
    save(BertForQuestionAnswering, "question-answering", qa, tokenizer, None)
    # transformers 5 writes tokenizer.json and tokenizer_config.json only; two folders get the
    # files transformers 4 wrote beside them, token-classification stays as transformers 5 wrote it
    write_v4_layout(seq, tokens)
    write_v4_layout(qa, tokens)
    assert not os.path.exists(os.path.join(tok, "vocab.txt"))

    meta = versions()
    reference_tokens = tokenizer_reference(tok)
    for folder in (seq, qa):
        assert tokenizer_reference(folder) == reference_tokens, folder
    write_json("sequence-classification.reference.json", {"versions": meta, **classification(seq)})
    write_json("token-classification.reference.json", {"versions": meta, **token_classification(tok),
                                                       "embeddings": embeddings(tok, NER_TEXTS[:2])})
    write_json("question-answering.reference.json", {"versions": meta, **question_answering(qa)})
    write_json("tokenizer.reference.json", {"versions": meta, **reference_tokens})
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
