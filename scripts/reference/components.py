"""Reference oracle for the engine's three components, run on the GPU host (torch + transformers + the diffusers
source on PYTHONPATH; no download). Two modes:

  full  --out DIR [--layers N] [--te-layers N]
        Random FULL-WIDTH weights from the reference classes (diffusers ZImageTransformer2DModel with fewer main
        layers, transformers Qwen3Model at Qwen3-4B widths with fewer layers, diffusers AutoencoderKL with the FLUX
        config), saved as a diffusers folder (fp32 safetensors) plus the DiT again in the single-file ComfyUI layout
        (fused qkv, renamed keys, `model.diffusion_model.` prefix, a stray norm_final). Also dumps inputs and the
        reference outputs in bf16 and fp32 (CUDA) to DIR/io/*.safetensors.

  tiny  --ckpt DIR --out DIR
        Loads the tiny checkpoint written by `zimage tiny` into the same classes and dumps small inputs/outputs
        in fp32 on the CPU: the golden fixtures of the CI tests.

What it deliberately does not do: run our engine (compare.py compares the outputs).
"""
import argparse
import json
import os
import sys

import torch
from safetensors.torch import save_file, load_file

from diffusers import AutoencoderKL
from diffusers.models.transformers.transformer_z_image import ZImageTransformer2DModel
from transformers import Qwen3Config, Qwen3Model

SCALE, SHIFT = 0.3611, 0.1159
# REF_STRICT_BF16=1: cuBLAS without bf16 reduced-precision reductions (PyTorch allows them by default), a diagnostic
# for how much of a bf16 mismatch comes from the reference's own GEMM reductions.
if os.environ.get("REF_STRICT_BF16") == "1":
    torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = False


def randomize_(model, seed):
    """Default init leaves norms at 1 and pad tokens at 0: perturb them so those weights are tested too."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 1 and ("norm" in name):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            elif "pad_token" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            elif "adaLN_modulation" in name and p.ndim == 2:
                p.copy_(torch.randn(p.shape, generator=g) * 0.5 / p.shape[1] ** 0.5)
    return model


def dit_forward(dit, x, t, cap):
    """The pipeline's call: list inputs, [C,1,H,W] frames, returns v [1,16,H,W] (model output, not negated)."""
    out = dit([x[0].unsqueeze(1)], t, [cap], return_dict=False)[0]
    return torch.stack([o.squeeze(1) for o in out]).float()


def te_forward(te, ids):
    hs = te(input_ids=ids.unsqueeze(0), output_hidden_states=True).hidden_states
    return hs[-2][0].float()


def vae_forward(vae, z):
    return vae.decode(z / SCALE + SHIFT, return_dict=False)[0].float()


def vae_encode(vae, image):
    """The encoder's raw moments split as our graph outputs them (logvar unclamped), and the pipeline latents
    (mean - shift_factor) * scaling_factor, as ZImageImg2ImgPipeline scales retrieve_latents' result."""
    moments = vae.encoder(image)  # FLUX: no quant_conv
    mean, logvar = moments.float().chunk(2, dim=1)
    return {"mean": mean, "logvar": logvar, "latents": (mean - SHIFT) * SCALE}


def to_comfy(sd):
    """diffusers DiT keys → the single-file ComfyUI layout (the inverse of diffusers' conversion)."""
    out = {}
    for k, v in sd.items():
        k2 = k.replace("all_x_embedder.2-1.", "x_embedder.").replace("all_final_layer.2-1.", "final_layer.")
        k2 = k2.replace(".attention.to_out.0.", ".attention.out.").replace(".attention.norm_q.", ".attention.q_norm.").replace(".attention.norm_k.", ".attention.k_norm.")
        if ".attention.to_q." in k2:
            base = k2.replace(".attention.to_q.weight", "")
            out["model.diffusion_model." + base + ".attention.qkv.weight"] = torch.cat(
                [sd[k], sd[k.replace("to_q", "to_k")], sd[k.replace("to_q", "to_v")]], 0).contiguous()
            continue
        if ".attention.to_k." in k2 or ".attention.to_v." in k2:
            continue
        out["model.diffusion_model." + k2] = v.contiguous()
    out["model.diffusion_model.norm_final.weight"] = torch.ones(sd["all_x_embedder.2-1.weight"].shape[0])
    return out


def full(args):
    os.makedirs(f"{args.out}/io", exist_ok=True)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    only = set(args.only.split(","))
    torch.manual_seed(0)
    dit = None if "dit" not in only else randomize_(ZImageTransformer2DModel(n_layers=args.layers, axes_lens=[1536, 512, 512]), 1).eval()
    save_dt = torch.bfloat16 if args.save_dtype == "bf16" else torch.float32
    if dit is not None:
        dit.to(save_dt)
        dit.save_pretrained(f"{args.out}/diffusers/transformer", safe_serialization=True, max_shard_size="2GB")
        if not args.no_io:  # the single-file copy is for the parity checks; the benchmark needs only the folder
            save_file(to_comfy(dit.state_dict()), f"{args.out}/dit_single_file.safetensors")
    torch.manual_seed(2)
    te_cfg = Qwen3Config(vocab_size=151936, hidden_size=2560, intermediate_size=9728, num_hidden_layers=args.te_layers,
                         num_attention_heads=32, num_key_value_heads=8, head_dim=128, rms_norm_eps=1e-6, rope_theta=1000000,
                         max_position_embeddings=40960, tie_word_embeddings=True, attention_bias=False)
    te = None if "te" not in only else randomize_(Qwen3Model(te_cfg), 3).eval()
    if te is not None:
        te.to(save_dt)
        te.save_pretrained(f"{args.out}/diffusers/text_encoder", safe_serialization=True)
    torch.manual_seed(4)
    vae = AutoencoderKL(in_channels=3, out_channels=3, latent_channels=16, block_out_channels=[128, 256, 512, 512],
                        down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4,
                        layers_per_block=2, norm_num_groups=32, use_quant_conv=False, use_post_quant_conv=False,
                        scaling_factor=SCALE, shift_factor=SHIFT, force_upcast=True, sample_size=1024)
    vae = randomize_(vae, 5).eval()
    vae.to(save_dt)
    vae.save_pretrained(f"{args.out}/diffusers/vae", safe_serialization=True)
    with open(f"{args.out}/diffusers/model_index.json", "w") as f:
        json.dump({"_class_name": "ZImagePipeline"}, f)

    if args.no_io:
        return
    g = torch.Generator().manual_seed(10)
    L, hl, wl = 40, args.size // 8, args.size // 8
    x = torch.randn(1, 16, hl, wl, generator=g)
    t = torch.tensor([0.3])
    cap = torch.randn(L, 2560, generator=g)
    ids = torch.randint(0, 151936, (L,), generator=g)
    z = torch.randn(1, 16, hl, wl, generator=g)
    save_file({"x": x, "t": t, "cap_feats": cap}, f"{args.out}/io/dit_in.safetensors")
    save_file({"input_ids": ids}, f"{args.out}/io/te_in.safetensors")
    save_file({"latents": z}, f"{args.out}/io/vae_in.safetensors")
    image = torch.rand(1, 3, args.size, args.size, generator=g) * 2 - 1
    save_file({"image": image}, f"{args.out}/io/vae_encoder_in.safetensors")
    with torch.no_grad():
        for dtype, tag in [(torch.float32, "fp32"), (torch.bfloat16, "bf16")]:  # fp32 first: .to(bf16) rounds the weights in place
            if dit is not None:
                m = dit.to(dev, dtype)
                v = dit_forward(m, x.to(dev, dtype), t.to(dev), cap.to(dev, dtype))
                save_file({"v": v.cpu().contiguous()}, f"{args.out}/io/dit_ref_{tag}.safetensors")
            if te is not None:
                m = te.to(dev, dtype)
                save_file({"features": te_forward(m, ids.to(dev)).cpu().contiguous()}, f"{args.out}/io/te_ref_{tag}.safetensors")
            m = vae.to(dev, dtype)
            save_file({"image": vae_forward(m, z.to(dev, dtype)).cpu().contiguous()}, f"{args.out}/io/vae_ref_{tag}.safetensors")
            enc = vae_encode(m, image.to(dev, dtype))
            save_file({k: v.cpu().contiguous() for k, v in enc.items()}, f"{args.out}/io/vae_encoder_ref_{tag}.safetensors")
            print(f"reference {tag} done", flush=True)


def tiny(args):
    """fp32 on the CPU: golden fixtures for CI (small, deterministic)."""
    os.makedirs(args.out, exist_ok=True)
    src = args.ckpt
    dit = ZImageTransformer2DModel.from_pretrained(f"{src}/transformer").eval()
    te = Qwen3Model.from_pretrained(f"{src}/text_encoder").eval()
    vae = AutoencoderKL.from_config(AutoencoderKL.load_config(f"{src}/vae"))
    missing, unexpected = vae.load_state_dict(load_file(f"{src}/vae/diffusion_pytorch_model.safetensors"), strict=False)
    # the tiny checkpoint carries the encoder too (image input): only the quant convs FLUX lacks may be missing
    assert not unexpected and all(k.startswith("quant") for k in missing), (missing, unexpected)
    vae.eval()
    g = torch.Generator().manual_seed(7)
    cases = {}
    with torch.no_grad():
        ids = torch.tensor([151644, 872, 198, 32, 4549, 315, 264, 8778, 151645, 198, 151644, 77091, 198])
        feats = te_forward(te, ids)
        cases["te"] = {"input_ids": ids, "features": feats}
        # 40 caption tokens (pads to 64) and a 6×10 latent (30 image tokens, pads to 32): both padding paths.
        for name, (L, h, w, tv) in {"dit_a": (13, 8, 8, 0.0), "dit_b": (40, 6, 10, 0.7)}.items():
            x = torch.randn(1, 16, h, w, generator=g)
            cap = feats if L == 13 else torch.randn(L, te.config.hidden_size, generator=g)
            t = torch.tensor([tv])
            cases[name] = {"x": x, "t": t, "cap_feats": cap, "v": dit_forward(dit, x, t, cap)}
        z = torch.randn(1, 16, 4, 6, generator=g)
        cases["vae"] = {"latents": z, "image": vae_forward(vae, z)}
        # 32×48 pixels → a 4×6 latent; the ONNX encoder is checked against this (flux-vae-encoder.test.ts)
        image = torch.rand(1, 3, 32, 48, generator=g) * 2 - 1
        cases["vae_encoder"] = {"image": image, **vae_encode(vae, image)}
    for name, tensors in cases.items():
        save_file({k: v.contiguous() for k, v in tensors.items()}, f"{args.out}/{name}.safetensors")
    print("tiny fixtures:", ", ".join(cases))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["full", "tiny"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--ckpt")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--te-layers", type=int, default=4)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--only", default="dit,te,vae", help="full mode: which components to make (comma-separated)")
    ap.add_argument("--no-io", action="store_true", help="full mode: only write the weights (no reference outputs)")
    ap.add_argument("--save-dtype", choices=["fp32", "bf16"], default="fp32", help="full mode: dtype of the saved weights")
    a = ap.parse_args()
    full(a) if a.mode == "full" else tiny(a)
