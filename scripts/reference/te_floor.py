"""How close two correct bf16 runs of the text encoder get (issue 2): transformers' Qwen3Model on one set of weights
and token ids, run several legitimate ways — SDPA (the default), SDPA without cuBLAS's reduced-precision bf16
reductions, eager attention, and fp32 — and our engine's output if given. Prints the cosine of every pair as JSON
lines. The spread between the reference's own bf16 variants is the floor any bf16 implementation can be held to.

  python3 te_floor.py --te DIR/text_encoder --ids te_in.safetensors [--ours ours_te.safetensors] [--layer -2]
"""
import argparse
import itertools
import json

import torch
from safetensors.torch import load_file
from transformers import Qwen3Model


def features(path, dtype, attn, strict, ids):
    torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = not strict
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    te = Qwen3Model.from_pretrained(path, torch_dtype=dtype, attn_implementation=attn).to("cuda").eval()
    with torch.no_grad():
        hs = te(input_ids=ids.unsqueeze(0).to("cuda"), output_hidden_states=True).hidden_states
    out = hs[-2][0].float().cpu()
    del te
    torch.cuda.empty_cache()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--te", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--ours")
    a = ap.parse_args()
    ids = load_file(a.ids)["input_ids"].long()
    runs = {
        "ref bf16 sdpa": features(a.te, torch.bfloat16, "sdpa", False, ids),
        "ref bf16 sdpa strict-reductions": features(a.te, torch.bfloat16, "sdpa", True, ids),
        "ref bf16 eager": features(a.te, torch.bfloat16, "eager", False, ids),
        "ref fp32 sdpa": features(a.te, torch.float32, "sdpa", True, ids),
    }
    if a.ours:
        runs["ours bf16"] = load_file(a.ours)["features"].float()
    for (na, x), (nb, y) in itertools.combinations(runs.items(), 2):
        cos = torch.nn.functional.cosine_similarity(x.flatten().double(), y.flatten().double(), dim=0).item()
        print(json.dumps({"a": na, "b": nb, "cosine": cos, "max_abs": (x - y).abs().max().item(), "tokens": len(ids)}))


if __name__ == "__main__":
    main()
