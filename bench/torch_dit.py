"""PyTorch baselines of the DiT step (issue 20), run on the GPU host by bench/native.sh: diffusers'
ZImageTransformer2DModel in bf16 (SDPA) on the given random full-width weights, at the pipeline's shapes (1024²:
latents [16,128,128], a 40-token caption), timed per call with CUDA events (median of --reps after warm-up):
  eager, then torch.compile with mode="reduce-overhead" and mode="max-autotune-no-cudagraphs" (each after a
  dynamo reset; the first calls, which compile, are timed apart as compile_ms), batch 1 (CFG off) and batch 2 (CFG
  on, as diffusers' pipeline batches the two branches). Peak VRAM per variant (torch's caching allocator, reserved).
It deliberately does not run the text encoder or the VAE, and asserts nothing. Prints one JSON line per variant.

  python3 bench/torch_dit.py --model DIR/diffusers [--size 1024 --tokens 40 --reps 10 --budget-s 420]
"""
import argparse
import json
import os
import time

import torch
from diffusers.models.transformers.transformer_z_image import ZImageTransformer2DModel


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--tokens", type=int, default=40)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--modes", default="eager,reduce-overhead,max-autotune-no-cudagraphs")
    ap.add_argument("--budget-s", type=float, default=420, help="skip the remaining compile modes past this many seconds")
    a = ap.parse_args()
    start = time.perf_counter()
    t0 = time.perf_counter()
    dit = ZImageTransformer2DModel.from_pretrained(os.path.join(a.model, "transformer"), torch_dtype=torch.bfloat16).to("cuda").eval()
    load_ms = 1000 * (time.perf_counter() - t0)
    layers = len(dit.layers)
    g = torch.Generator().manual_seed(10)
    h = a.size // 8
    x = [torch.randn(16, 1, h, h, generator=g).to("cuda", torch.bfloat16) for _ in range(2)]
    cap = [torch.randn(a.tokens, 2560, generator=g).to("cuda", torch.bfloat16) for _ in range(2)]
    t1, t2 = torch.tensor([0.3], device="cuda"), torch.tensor([0.3, 0.3], device="cuda")

    def call(m, batch):
        with torch.no_grad():
            if batch == 1:
                return m(x[:1], t1, cap[:1], return_dict=False)[0]
            return m(x, t2, cap, return_dict=False)[0]

    def timed(m, batch, reps):
        ev = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(reps)]
        for s, e in ev:
            s.record()
            call(m, batch)
            e.record()
        torch.cuda.synchronize()
        ms = sorted(s.elapsed_time(e) for s, e in ev)
        return ms[len(ms) // 2], ms

    for mode in a.modes.split(","):
        if mode != "eager" and time.perf_counter() - start > a.budget_s:
            print(json.dumps({"engine": "pytorch", "mode": mode, "skipped": f"time budget of {a.budget_s} s spent"}), flush=True)
            continue
        torch._dynamo.reset()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        m = dit if mode == "eager" else torch.compile(dit, mode=mode)
        out = {"engine": "pytorch" if mode == "eager" else "pytorch_compile", "mode": mode, "torch": torch.__version__, "layers": layers,
               "size": a.size, "tokens": a.tokens, "load_ms": load_ms}
        try:
            for batch, key in [(1, "cfg_off"), (2, "cfg_on")]:
                if batch == 2 and mode != "eager" and time.perf_counter() - start > a.budget_s:
                    out[key] = {"skipped": f"time budget of {a.budget_s} s spent (batch 2 recompiles)"}
                    continue
                torch.cuda.synchronize()
                c0 = time.perf_counter()
                call(m, batch)  # compiles (or warms up eager)
                torch.cuda.synchronize()
                first_ms = 1000 * (time.perf_counter() - c0)
                for _ in range(3):  # reduce-overhead records its CUDA graphs over the first calls
                    call(m, batch)
                torch.cuda.synchronize()
                med, ms = timed(m, batch, a.reps)
                out[key] = {"batch": batch, "dit_ms_per_step": med, "runs_ms": [round(v, 3) for v in ms], "first_call_ms": first_ms}
            out["compile_ms"] = sum(out[k].get("first_call_ms", 0) for k in ("cfg_off", "cfg_on")) if mode != "eager" else 0
            out["peak_vram_mib"] = torch.cuda.max_memory_reserved() / 2**20
            out["vram_scope"] = "torch caching allocator, reserved (no CUDA context)"
        except Exception as e:  # a compile mode that fails is reported, not fatal
            out["error"] = f"{type(e).__name__}: {str(e)[:400]}"
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
