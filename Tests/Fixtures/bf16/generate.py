#!/usr/bin/env python3
"""PyTorch references for BertKit's bf16 mixed precision; writes the files beside this script.

Needs torch, transformers, safetensors and numpy. Reads only the project's own fixtures
(../tiny-bert, copies of shared/fixtures/tiny-bert); everything it writes is PyTorch's output:

- rounding.safetensors: float32 -> bfloat16 as `x.to(torch.bfloat16)` rounds (edge cases, then
  seeded random values), as bit patterns, so that NaN payloads and signed zeros survive.
- tiny-bert-<head>-autocast.safetensors: each tiny-bert head's loss, logits and every parameter's
  gradient under torch.autocast("cpu", dtype=torch.bfloat16), and the same run in fp32.

    python3 generate.py
"""
import json, os, platform
import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
TINY = os.path.join(os.path.dirname(HERE), "tiny-bert")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch.use_deterministic_algorithms(True)


def versions():
    import transformers
    return {"torch": torch.__version__, "transformers": transformers.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "cpu_capability": torch.backends.cpu.get_cpu_capability()}


# ---------------------------------------------------------------- float32 -> bfloat16 rounding
# (name, float32 bit pattern). bf16 keeps the top 16 bits; "tie" means the lower 16 are 0x8000.
EDGE_CASES = [
    ("+0", 0x00000000), ("-0", 0x80000000),
    ("1 + tie, even: down", 0x3F808000), ("1 + tie, odd: up", 0x3F818000),
    ("-1 - tie, even: down", 0xBF808000), ("-1 - tie, odd: up", 0xBF818000),
    ("just above tie, even", 0x3F808001), ("just below tie, even", 0x3F807FFF),
    ("just above tie, odd", 0x3F818001), ("just below tie, odd", 0x3F817FFF),
    ("negative just above tie", 0xBF808001), ("negative just below tie", 0xBF817FFF),
    ("large tie even", 0x4B008000), ("large tie odd", 0x4B018000),
    ("smallest subnormal", 0x00000001), ("-smallest subnormal", 0x80000001),
    ("subnormal tie even", 0x00008000), ("subnormal tie odd", 0x00018000),
    ("subnormal above tie", 0x00008001), ("smallest bf16 subnormal", 0x00010000),
    ("largest subnormal: up to smallest normal", 0x007FFFFF), ("-largest subnormal", 0x807FFFFF),
    ("largest subnormal below tie", 0x007F7FFF),
    ("smallest normal", 0x00800000), ("-smallest normal", 0x80800000),
    ("largest finite: rounds to inf", 0x7F7FFFFF), ("-largest finite: rounds to -inf", 0xFF7FFFFF),
    ("largest finite bf16 + tie (odd): inf", 0x7F7F8000), ("largest finite bf16 + below tie", 0x7F7F7FFF),
    ("largest finite bf16", 0x7F7F0000),
    ("1.99999: up into exponent 1", 0x3FFFFFFF), ("tie odd: up into exponent 1", 0x3FFF8000),
    ("-3.99999: up into exponent 2", 0xC07FFFFF), ("subnormal up into normal by tie", 0x007F8000),
    ("+inf", 0x7F800000), ("-inf", 0xFF800000),
    ("quiet NaN", 0x7FC00000), ("negative quiet NaN", 0xFFC00000),
    ("quiet NaN with payload", 0x7FC12345), ("negative quiet NaN with payload", 0xFFD5A5A5),
    ("signalling NaN, payload 1", 0x7F800001), ("signalling NaN, payload in low 16 bits", 0x7F80FFFF),
    ("signalling NaN, payload tie", 0x7F808000), ("signalling NaN, high payload", 0x7FA00000),
    ("negative signalling NaN", 0xFF800001), ("all-ones NaN", 0x7FFFFFFF), ("negative all-ones NaN", 0xFFFFFFFF),
    ("1", 0x3F800000), ("-2", 0xC0000000), ("pi", 0x40490FDB), ("e", 0x402DF854), ("0.1", 0x3DCCCCCD),
    ("65504", 0x477FE000), ("1e-38", 0x006CE3EE), ("3e38", 0x7F61B1E6),
]


def random_bits(seed):
    """Seeded bit patterns over every exponent: uniform bits (NaNs dropped: they are the edge
    cases' business), lower halves at and around the tie, and log-uniform magnitudes."""
    rng = np.random.default_rng(seed)
    uniform = rng.integers(0, 2**32, size=2048, dtype=np.uint64).astype(np.uint32)
    uniform = uniform[~np.isnan(uniform.view(np.float32))]
    near_tie = rng.integers(0, 2**32, size=1536, dtype=np.uint64).astype(np.uint32)
    near_tie = (near_tie & 0xFFFF0000) | (0x8000 + rng.integers(-3, 4, size=near_tie.size)).astype(np.uint32)
    near_tie = near_tie[np.isfinite(near_tie.view(np.float32))]
    magnitude = 10.0 ** rng.uniform(-44, 38.5, size=1536)
    sign = rng.choice([-1.0, 1.0], size=magnitude.size)
    log_uniform = (sign * magnitude).astype(np.float32).view(np.uint32)
    return np.concatenate([uniform, near_tie, log_uniform]).astype(np.uint32)


def torch_bf16_bits(bits):
    """torch's float32 -> bfloat16 of each bit pattern, two ways that differ for NaN only:
    `scalar`, element by element through 0-d tensors, is c10::BFloat16's round_to_nearest_even
    (every NaN -> 0x7FC0); `vectorised`, the whole array in one `x.to(torch.bfloat16)`, runs the
    kernel of the CPU capability torch dispatched to (AVX2 and AVX512 give 0xFFFF for every NaN,
    and so do one-element tensors; ATEN_CPU_CAPABILITY=default gives 0x7FC0)."""
    x = torch.from_numpy(bits.view(np.float32).copy())
    vectorised = x.to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16).astype(np.int64)
    scalar = np.array([int(x[i].to(torch.bfloat16).view(torch.int16).item()) & 0xFFFF for i in range(x.numel())],
                      dtype=np.int64)
    return scalar, vectorised


def gen_rounding():
    edge = np.array([b for _, b in EDGE_CASES], dtype=np.uint32)
    bits = np.concatenate([edge, random_bits(seed=16)])
    is_nan = np.isnan(bits.view(np.float32))
    scalar, vectorised = torch_bf16_bits(bits)
    differ = np.nonzero(scalar != vectorised)[0]
    assert is_nan[differ].all(), [f"{bits[i]:#010x}" for i in differ if not is_nan[i]]
    nan_scalar = sorted({f"{int(v):#06x}" for v in scalar[is_nan]})
    nan_vectorised = sorted({f"{int(v):#06x}" for v in vectorised[is_nan]})
    print(f"  every NaN input becomes {nan_scalar} (c10 scalar) and {nan_vectorised} "
          f"({torch.backends.cpu.get_cpu_capability()} kernel); no other value differs between the two")
    tensors = {
        "input": torch.from_numpy(bits.view(np.float32).copy()),
        "input_bits": torch.from_numpy(bits.view(np.int32).copy()),
        "expected_bits": torch.from_numpy(scalar.astype(np.int32)),
        "expected_bits_vectorised": torch.from_numpy(vectorised.astype(np.int32)),
    }
    meta = versions()
    meta["edge_cases"] = json.dumps([name for name, _ in EDGE_CASES])
    meta["nan_expected_bits"] = json.dumps(nan_scalar)
    meta["nan_expected_bits_vectorised"] = json.dumps(nan_vectorised)
    save_file(tensors, os.path.join(HERE, "rounding.safetensors"), metadata=meta)
    return {"count": len(bits), "edge": len(EDGE_CASES), "nan": int(is_nan.sum())}


# ---------------------------------------------------------------- tiny-bert heads under autocast
def load_tensors(path):
    with safe_open(path, framework="pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}


def gen_head(cls, folder):
    folder_path = os.path.join(TINY, folder)
    backbone = load_tensors(os.path.join(TINY, "backbone-reference.safetensors"))
    reference = load_tensors(os.path.join(folder_path, "reference.safetensors"))
    inputs = {k: backbone[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
    label_keys = [k for k in ("labels", "start_positions", "end_positions") if k in reference]
    labels = {k: reference[k] for k in label_keys}
    outputs = ["logits"] if "logits" in reference else ["start_logits", "end_logits"]

    model = cls.from_pretrained(folder_path)
    model.eval()  # dropout off; gradients stay on

    def run(autocast):
        model.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            out = model(**inputs, **labels)
        out.loss.backward()
        r = {"loss": out.loss.detach().float().reshape(1)}
        for name in outputs:
            r[name] = getattr(out, name).detach().float()
        grads = {"grad." + n: p.grad.detach().clone() for n, p in model.named_parameters()}
        assert all(g.dtype == torch.float32 for g in grads.values()), "autocast keeps float32 master weights"
        return r, grads, {name: str(getattr(out, name).dtype) for name in outputs + ["loss"]}

    fp32, fp32_grads, _ = run(autocast=False)
    # the same model, inputs and labels as the folder's reference: fp32 must reproduce it
    worst = max(float((fp32[k] - reference[k]).abs().max()) for k in ["loss"] + outputs)
    assert worst <= 1e-5, f"{folder}: fp32 run differs from reference.safetensors by {worst}"
    bf16, bf16_grads, dtypes = run(autocast=True)

    tensors = {**bf16, **bf16_grads, **labels}
    tensors.update({"fp32." + k: v for k, v in fp32.items()})
    meta = versions()
    meta["attn_implementation"] = str(model.config._attn_implementation)
    meta["autocast_output_dtypes"] = json.dumps(dtypes)
    path = os.path.join(HERE, f"tiny-bert-{folder}-autocast.safetensors")
    save_file({k: v.contiguous() for k, v in tensors.items()}, path, metadata=meta)

    # Gradients that are zero in exact arithmetic (the key biases: softmax ignores a shift; for
    # QA also qa_outputs.bias and the last LayerNorm bias) are rounding noise on both sides: fp32's
    # ~1e-8, autocast's ~1e-3. Their direction means nothing, so they are reported apart.
    total = sum(float(g.norm()) ** 2 for g in fp32_grads.values()) ** 0.5
    structural = [n for n, g in fp32_grads.items() if float(g.norm()) <= 1e-6 * total]
    cosines = {n: float(torch.nn.functional.cosine_similarity(bf16_grads[n].flatten().double(),
                                                             fp32_grads[n].flatten().double(), dim=0))
               for n in bf16_grads if n not in structural}
    name, cos = min(cosines.items(), key=lambda kv: kv[1])
    scale = max(float(bf16[n].abs().max()) for n in outputs)
    logit_diff = max(float((bf16[n] - fp32[n]).abs().max()) for n in outputs)
    print(f"  {folder}: loss {float(bf16['loss']):.6f} (fp32 {float(fp32['loss']):.6f}); "
          f"autocast against fp32: max |logit diff| {logit_diff:.4g} / max|logit| {scale:.4g} = {logit_diff / scale:.4g}, "
          f"worst gradient cosine {cos:.6f} ({name}); zero in exact arithmetic: "
          + ", ".join(f"{n} (|g| {float(fp32_grads[n].norm()):.2g} fp32, {float(bf16_grads[n].norm()):.2g} autocast)"
                      for n in structural)
          + f"; outputs {dtypes}; attention {model.config._attn_implementation}")


def main():
    from transformers import BertForSequenceClassification, BertForTokenClassification, BertForQuestionAnswering
    print("versions:", versions())
    r = gen_rounding()
    print(f"rounding.safetensors: {r['count']} values ({r['edge']} edge cases, {r['nan']} NaNs)")
    for cls, folder in ((BertForSequenceClassification, "sequence-classification"),
                        (BertForTokenClassification, "token-classification"),
                        (BertForQuestionAnswering, "question-answering")):
        gen_head(cls, folder)


if __name__ == "__main__":
    main()
