"""Compares our engine's outputs with the reference dumps: cosine similarity, max/mean absolute difference, and
PSNR for images (mapped from [-1,1] to [0,1] and clamped, as the pipeline does). Prints one JSON line per pair.

  python3 compare.py OURS.safetensors REF.safetensors KEY [--image]
"""
import json
import sys

import torch
from safetensors.torch import load_file


def stats(a, b, image):
    a, b = a.double().flatten(), b.double().flatten()
    out = {
        "cosine": float(torch.nn.functional.cosine_similarity(a, b, dim=0)),
        "max_abs": float((a - b).abs().max()),
        "mean_abs": float((a - b).abs().mean()),
        "ref_rms": float(b.pow(2).mean().sqrt()),
        "nan": int(torch.isnan(a).sum()),
    }
    if image:
        pa, pb = ((a + 1) / 2).clamp(0, 1), ((b + 1) / 2).clamp(0, 1)
        mse = float((pa - pb).pow(2).mean())
        out["psnr_db"] = float("inf") if mse == 0 else float(10 * torch.log10(torch.tensor(1.0 / mse)))
    return out


if __name__ == "__main__":
    ours, ref, key = sys.argv[1:4]
    image = "--image" in sys.argv
    res = stats(load_file(ours)[key], load_file(ref)[key], image)
    print(json.dumps({"ours": ours, "ref": ref, "key": key, **res}))
