"""Recipe for the synthetic "overflow" checkpoint of the BF16 vs FP16 demonstration (issue 5; spec §7.3).

The real Z-Image DiT has norm weights with outlier scales (ComfyUI refuses fp16 when std(layers.28.ffn_norm1.weight)
≥ 0.42), so activations inside the FFN exceed fp16's 65504: fp16 turns them into Inf, then NaN, then a black image,
while bf16 (same exponent range as fp32) is fine. Random weights rarely do this, so this script takes a diffusers
DiT folder (e.g. the one scripts/reference/components.py full writes) and scales the `ffn_norm1` weights of the main
layers by a factor, then measures in fp32 the largest |value| of the SwiGLU product w1x·w3x and of the FFN output
(the points ComfyUI clamps) so you can see they cross 65504 while staying far inside bf16's range.

  python3 outlier_checkpoint.py --src DIR/diffusers/transformer --out DIR/outlier/transformer [--factor 160] [--size 256]

It copies config.json, writes the scaled weights (same dtype as the source), and prints one JSON line:
{"factor", "ffn_norm1_std", "max_swiglu", "max_ffn_out", "fp16_max": 65504}. Then convert `DIR/outlier` (with the
text encoder and VAE of the source folder) to bf16 and fp16 and generate with both: fp16 must be reported as
"NaN from step k in the DiT (fp16 overflow): black image", bf16 as healthy.

Measured on a full-width 1-main-layer DiT (CPU, fp32 probe at 256²): factor 24 → max |SwiGLU| 2.4e3 (no overflow);
factor 160 (the default) → max |SwiGLU| 1.05e5, FFN output 1.8e4: over fp16's 65504, 33 orders of magnitude under
bf16's limit.
"""
import argparse
import json
import os

import torch
from diffusers.models.transformers.transformer_z_image import ZImageTransformer2DModel


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--factor", type=float, default=160.0)
    ap.add_argument("--size", type=int, default=256, help="image size of the fp32 probe forward")
    a = ap.parse_args()
    dit = ZImageTransformer2DModel.from_pretrained(a.src, torch_dtype=torch.float32).eval()
    with torch.no_grad():
        for layer in dit.layers:
            layer.ffn_norm1.weight.mul_(a.factor)
    peaks = {"swiglu": 0.0, "ffn_out": 0.0}

    def swiglu_hook(module, inputs, output):
        x = inputs[0]
        prod = torch.nn.functional.silu(module.w1(x)) * module.w3(x)
        peaks["swiglu"] = max(peaks["swiglu"], float(prod.abs().max()))
        peaks["ffn_out"] = max(peaks["ffn_out"], float(output.abs().max()))

    for layer in dit.layers:
        layer.feed_forward.register_forward_hook(swiglu_hook)
    g = torch.Generator().manual_seed(0)
    h = a.size // 8
    x = torch.randn(1, 16, h, h, generator=g)
    cap = torch.randn(40, dit.config.cap_feat_dim, generator=g)
    with torch.no_grad():
        dit([x[0].unsqueeze(1)], torch.tensor([0.3]), [cap], return_dict=False)
    os.makedirs(a.out, exist_ok=True)
    dit.save_pretrained(a.out, safe_serialization=True, max_shard_size="5GB")
    std = float(torch.cat([layer.ffn_norm1.weight.detach() for layer in dit.layers]).std())
    print(json.dumps({"factor": a.factor, "ffn_norm1_std": std, "max_swiglu": peaks["swiglu"], "max_ffn_out": peaks["ffn_out"], "fp16_max": 65504}))


if __name__ == "__main__":
    main()
