"""PyTorch eager reference for the benchmark (run on the GPU host by bench/run.sh): diffusers' ZImagePipeline in
bf16 with SDPA on the same random full-shape weights and settings as bench/ours.ts. Session load time, then after
one warm-up generation, N generations with CFG off and on (fresh prompts), per-stage times with CUDA
synchronisation around the text encoder, each DiT call and the VAE decode, and the peak VRAM. Prints one JSON.

  python3 bench/torch_ref.py --model DIR/diffusers --tokenizer TOKDIR [--size 1024 --steps 8 --runs 3]
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts", "reference"))
from pipeline import load_pipeline, time_stages  # noqa: E402  (the reference scripts' shared pipeline setup)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmups", type=int, default=1, help="generations before the timed ones (bench/run.sh: WARMUPS)")
    a = ap.parse_args()
    t0 = time.perf_counter()
    pipe = load_pipeline(a.model, a.tokenizer)
    torch.cuda.synchronize()
    load_ms = 1000 * (time.perf_counter() - t0)
    times = time_stages(pipe)

    def run(i, cfg):
        g = torch.Generator().manual_seed(i)
        return pipe(f"a studio portrait, variation {i}, soft window light, 85mm", height=a.size, width=a.size,
                    num_inference_steps=a.steps, guidance_scale=cfg - 1.0, generator=g, output_type="np")

    for w in range(a.warmups):
        run(w, 1.0)  # warm-up
    out = {"engine": "diffusers ZImagePipeline (PyTorch eager, SDPA)", "torch": torch.__version__, "size": a.size,
           "steps": a.steps, "load_ms": load_ms, "warmups": a.warmups}
    for cfg, key in [(1.0, "cfg_off"), (2.0, "cfg_on")]:
        times.clear()
        torch.cuda.reset_peak_memory_stats()
        totals = []
        for i in range(1, a.runs + 1):
            torch.cuda.synchronize()
            t = time.perf_counter()
            run(int(cfg * 100) + i, cfg)
            totals.append(1000 * (time.perf_counter() - t))
        n = a.runs
        denoise = sum(times["dit"]) / n
        out[key] = {"runs": n, "cfg": cfg, "total_ms": sum(totals) / n, "image_ms": sum(totals) / n, "encode_ms": sum(times["encode"]) / n,
                    "denoise_ms": denoise, "dit_ms_per_step": denoise / a.steps, "dit_calls_per_image": len(times["dit"]) / n,
                    "decode_ms": sum(times["decode"]) / n,
                    "peak_vram_mib": torch.cuda.max_memory_reserved() / 2**20, "peak_allocated_mib": torch.cuda.max_memory_allocated() / 2**20,
                    "vram_scope": "torch caching allocator, reserved (no CUDA context)"}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
