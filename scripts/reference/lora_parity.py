"""LoRA parity oracle for the GPU evidence issue (22), run on the GPU host beside components.py (torch + the diffusers
source on PYTHONPATH; no download). NOT RUN YET: written with issue 16, it needs the device.

  python3 scripts/reference/lora_parity.py --dit DIR/full/diffusers/transformer --io DIR/full/io --out DIR/lora

1. Writes two LoRAs for the full-width DiT that components.py made: `a.safetensors` in ai-toolkit's format
   (`diffusion_model.<path>.lora_A/lora_B.weight` + `.alpha`, rank 16, every Linear of the main layers including
   adaLN_modulation.0) and `b.safetensors` in musubi-tuner/kohya's (`lora_unet_<path with _>.lora_down/lora_up.weight`
   + `.alpha`, rank 8, attention only), random factors large enough to move the output.
2. Runs the reference with them: diffusers' own loader (`ZImagePipeline.lora_state_dict`, which converts
   non-diffusers files through `_convert_non_diffusers_z_image_lora_to_diffusers`, then `load_lora_into_transformer`
   and `set_adapters` with weights 0.8 and 0.5) on the DiT inputs io/dit_in.safetensors, in bf16 and fp32 on CUDA,
   to DIR/lora/dit_lora_ref_{bf16,fp32}.safetensors; and the same stack merged by hand here (W + w·alpha/rank·B·A in
   fp32, then cast), to dit_lora_merged_ref_bf16.safetensors — the difference between diffusers' unmerged adapters
   and a merge is the reference's own spread.
3. scripts/gpu/lora-parity.sh then runs `zimage eval dit --lora a.safetensors:0.8 --lora b.safetensors:0.5` on the
   CUDA EP and compares with compare.py.

What it deliberately does not do: run our engine, or write LoHa/LoKr files (diffusers loads neither for Z-Image).
"""
import argparse
import os

import torch
from safetensors.torch import load_file, save_file

from diffusers.models.transformers.transformer_z_image import ZImageTransformer2DModel


def linears(dit, main_only=True):
    """(diffusers path, out, in) of every Linear a trainer targets."""
    out = []
    for name, mod in dit.named_modules():
        if not isinstance(mod, torch.nn.Linear):
            continue
        if main_only and not name.startswith("layers."):
            continue
        out.append((name, mod.out_features, mod.in_features))
    return out


def write_loras(dit, out_dir, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b = {}, {}
    for name, o, i in linears(dit):
        r = 16
        a[f"diffusion_model.{name}.lora_A.weight"] = torch.randn(r, i, generator=g) / i ** 0.5
        a[f"diffusion_model.{name}.lora_B.weight"] = torch.randn(o, r, generator=g) * 0.05
        a[f"diffusion_model.{name}.alpha"] = torch.tensor(8.0)
        if ".attention." in name:
            r = 8
            k = "lora_unet_" + name.replace(".", "_")
            b[f"{k}.lora_down.weight"] = torch.randn(r, i, generator=g) / i ** 0.5
            b[f"{k}.lora_up.weight"] = torch.randn(o, r, generator=g) * 0.05
            b[f"{k}.alpha"] = torch.tensor(8.0)
    os.makedirs(out_dir, exist_ok=True)
    save_file(a, os.path.join(out_dir, "a.safetensors"))
    save_file(b, os.path.join(out_dir, "b.safetensors"))


def dit_forward(dit, x, t, cap):
    out = dit([x[0].unsqueeze(1)], t, [cap], return_dict=False)[0]
    return torch.stack([o.squeeze(1) for o in out]).float()


def merged_by_hand(dit_dir, out_dir, dtype):
    """W + w·alpha/rank·B·A in fp32 for both files (b's kohya names mapped back to dotted paths), then cast."""
    dit = ZImageTransformer2DModel.from_pretrained(dit_dir, torch_dtype=torch.float32)
    names = {n.replace(".", "_"): n for n, _, _ in linears(dit)}
    params = dict(dit.named_parameters())
    with torch.no_grad():
        for file, weight in (("a.safetensors", 0.8), ("b.safetensors", 0.5)):
            sd = load_file(os.path.join(out_dir, file))
            for key in [k for k in sd if k.endswith((".lora_A.weight", ".lora_down.weight"))]:
                stem = key.rsplit(".lora_", 1)[0]
                up = sd[key.replace("lora_A", "lora_B").replace("lora_down", "lora_up")].float()
                down = sd[key].float()
                alpha = float(sd[f"{stem}.alpha"])
                path = stem.removeprefix("diffusion_model.")
                if path.startswith("lora_unet_"):
                    path = names[path.removeprefix("lora_unet_")]
                params[f"{path}.weight"].add_(weight * alpha / down.shape[0] * (up @ down))
    return dit.to(dtype)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dit", required=True, help="the diffusers transformer/ folder components.py full wrote")
    ap.add_argument("--io", required=True, help="components.py's io/ folder (dit_in.safetensors)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    dev = "cuda"
    base = ZImageTransformer2DModel.from_pretrained(args.dit, torch_dtype=torch.float32)
    write_loras(base, args.out)
    del base
    io = load_file(os.path.join(args.io, "dit_in.safetensors"))

    from diffusers import ZImagePipeline  # the pipeline class carries the Z-Image LoRA loader mixin

    for dtype, tag in ((torch.bfloat16, "bf16"), (torch.float32, "fp32")):
        dit = ZImageTransformer2DModel.from_pretrained(args.dit, torch_dtype=dtype).to(dev)
        for file, name in (("a.safetensors", "a"), ("b.safetensors", "b")):
            sd = ZImagePipeline.lora_state_dict(os.path.join(args.out, file))
            sd = sd[0] if isinstance(sd, tuple) else sd
            ZImagePipeline.load_lora_into_transformer(sd, transformer=dit, adapter_name=name)
        dit.set_adapters(["a", "b"], weights=[0.8, 0.5])
        x, t, cap = io["x"].to(dev, dtype), io["t"].to(dev, dtype), io["cap_feats"].to(dev, dtype)
        with torch.no_grad():
            v = dit_forward(dit, x, t, cap)
        save_file({"v": v.cpu().contiguous()}, os.path.join(args.out, f"dit_lora_ref_{tag}.safetensors"))
        del dit
        torch.cuda.empty_cache()

    dit = merged_by_hand(args.dit, args.out, torch.bfloat16).to(dev)
    x, t, cap = io["x"].to(dev, torch.bfloat16), io["t"].to(dev, torch.bfloat16), io["cap_feats"].to(dev, torch.bfloat16)
    with torch.no_grad():
        v = dit_forward(dit, x, t, cap)
    save_file({"v": v.cpu().contiguous()}, os.path.join(args.out, "dit_lora_merged_ref_bf16.safetensors"))


if __name__ == "__main__":
    main()
