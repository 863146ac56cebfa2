"""Reference text-to-image run with diffusers' ZImagePipeline (bf16, CUDA) on the random full-width weights written
by components.py, for the pipeline parity check: same prompt, same initial latents, 8 steps, CFG off.

  python3 pipeline.py --model DIR/diffusers --tokenizer TOKDIR --out DIR [--size 1024] [--steps 8]

Writes DIR/latents.safetensors (the initial noise, for `zimage generate --latents`), DIR/ref.png-pixels as a
safetensors U8 tensor [H,W,3], and DIR/ref_timings.json (per-stage ms, CUDA-synchronised, after one warm-up run).
`compare_png.py` then compares our PNG with the reference pixels. It deliberately does not run our engine.
"""
import argparse
import json
import time
from collections import defaultdict

import torch
from safetensors.torch import save_file
from transformers import AutoTokenizer, Qwen3Model

from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, ZImagePipeline
from diffusers.models.transformers.transformer_z_image import ZImageTransformer2DModel

PROMPT = "A studio portrait of an elderly fisherman with a weathered face, soft window light, 85mm, photorealistic"


def load_pipeline(model_dir, tokenizer_dir, dtype=torch.bfloat16, device="cuda"):
    """diffusers' ZImagePipeline on a diffusers folder, Turbo's scheduler (shift 3, static)."""
    return ZImagePipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=3.0, use_dynamic_shifting=False),
        vae=AutoencoderKL.from_pretrained(f"{model_dir}/vae", torch_dtype=dtype),
        text_encoder=Qwen3Model.from_pretrained(f"{model_dir}/text_encoder", torch_dtype=dtype),
        tokenizer=AutoTokenizer.from_pretrained(tokenizer_dir),
        transformer=ZImageTransformer2DModel.from_pretrained(f"{model_dir}/transformer", torch_dtype=dtype),
    ).to(device)


def time_stages(pipe):
    """Wraps encode_prompt, the transformer and the VAE decode with CUDA-synchronised timers; returns ms lists."""
    times = defaultdict(list)

    def timed(fn, name):
        def wrapper(*args, **kw):
            torch.cuda.synchronize()
            t = time.perf_counter()
            r = fn(*args, **kw)
            torch.cuda.synchronize()
            times[name].append(1000 * (time.perf_counter() - t))
            return r
        return wrapper

    pipe.encode_prompt = timed(pipe.encode_prompt, "encode")
    pipe.transformer.forward = timed(pipe.transformer.forward, "dit")
    pipe.vae.decode = timed(pipe.vae.decode, "decode")
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=8)
    a = ap.parse_args()
    dev = "cuda"
    pipe = load_pipeline(a.model, a.tokenizer)
    h = a.size // 8
    latents = torch.randn(1, 16, h, h, generator=torch.Generator().manual_seed(1234))
    save_file({"latents": latents}, f"{a.out}/latents.safetensors")

    times = time_stages(pipe)
    run = lambda: pipe(PROMPT, height=a.size, width=a.size, num_inference_steps=a.steps, guidance_scale=0.0,
                       latents=latents.to(dev, torch.float32), output_type="np")
    run()  # warm-up
    times.clear()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    image = run().images[0]
    total = 1000 * (time.perf_counter() - t0)
    pixels = torch.from_numpy((image * 255).round().clip(0, 255).astype("uint8"))
    save_file({"pixels": pixels.contiguous()}, f"{a.out}/ref_pixels.safetensors")
    summary = {"total_ms": total, "encode_ms": sum(times["encode"]), "dit_ms_per_step": sum(times["dit"]) / len(times["dit"]),
               "dit_calls": len(times["dit"]), "decode_ms": sum(times["decode"]),
               "peak_vram_gib": torch.cuda.max_memory_allocated() / 2**30, "prompt": PROMPT}
    json.dump(summary, open(f"{a.out}/ref_timings.json", "w"), indent=1)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
