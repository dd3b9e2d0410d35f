# Writes squad-normalize-python.jsonl: the official normalize_answer (evaluate-v1.1.py) on one
# probe string per sampled code point: up to 6 code points of every Unicode 14 general category,
# plus every Python whitespace character and every character whose lower() expands.
# Usage (from this folder): python3 make-squad-normalize-fixture.py squad-normalize-python.jsonl
# Code points assigned after Unicode 14 are left out: Python 3.11 does not know them.
import importlib.util, sys, json, unicodedata, random
OUT = sys.argv[1]
sys.argv = ["x"]
spec = importlib.util.spec_from_file_location("ev11", "/work/shared/data/squad/evaluate-v1.1.py")
ev = importlib.util.module_from_spec(spec); spec.loader.exec_module(ev)
rng = random.Random(5)
by_cat = {}
special = []
for c in range(0x30000):
    if 0xD800 <= c <= 0xDFFF or c == 0x295:  # U+0295 changed category after Unicode 14
        continue
    ch = chr(c)
    by_cat.setdefault(unicodedata.category(ch), []).append(c)
    if ch.isspace() or len(ch.lower()) > 1:
        special.append(c)
chosen = set(special)
for cat, cs in sorted(by_cat.items()):
    if cat == "Cn":
        continue
    chosen.update(rng.sample(cs, min(6, len(cs))))
with open(OUT, "w", encoding="utf-8") as f:
    for c in sorted(chosen):
        ch = chr(c)
        s = f"x{ch}the {ch}a{ch} \u03a3{ch} A\u03a3{ch}{ch}"
        f.write(json.dumps({"code_point": c, "text": s, "normalized": ev.normalize_answer(s)}) + "\n")
