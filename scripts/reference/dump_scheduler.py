"""Reference schedule and sampling loop for inference/sampling/scheduler.ts, from the real diffusers code.

Writes inference/sampling/fixtures/sigmas.json with two parts:
  * tables: for N in STEPS, the sigmas, scheduler timesteps, DiT model times and dt of
    FlowMatchEulerDiscreteScheduler (Turbo config: shift 3.0, no dynamic shifting) set up exactly as
    ZImagePipeline does (get_default_z_image_sigmas + retrieve_timesteps with mu);
  * loops: ZImagePipeline.__call__ itself, run with a stand-in transformer (a fixed float32 function of its inputs;
    no weights, no text encoder, output_type="latent"), recording per step the time the DiT received, its
    positive/negative outputs and the latent after the scheduler step. This checks guidance, truncation,
    normalization and the Euler update on the reference's own lines.
Every float32 is stored as the hex of its bit pattern (uint32 view); the schedule values also as decimals.
Deliberately CPU only: the schedule is computed on the CPU by the pipeline anyway.

Needs torch, transformers and the diffusers source. Run from the repository root:
  PYTHONPATH=/path/to/diffusers/src python3 scripts/reference/dump_scheduler.py
"""

import argparse
import json
import platform
from pathlib import Path

import torch
import diffusers
from diffusers import FlowMatchEulerDiscreteScheduler, ZImagePipeline
from diffusers.pipelines.z_image.pipeline_z_image import (
    calculate_shift,
    get_default_z_image_sigmas,
    retrieve_timesteps,
)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "inference/sampling/fixtures/sigmas.json"
STEPS = [1, 2, 4, 8, 9, 12, 20, 50]
# Tongyi-MAI/Z-Image-Turbo scheduler/scheduler_config.json (spec §5.1).
SCHEDULER_CONFIG = {"num_train_timesteps": 1000, "shift": 3.0, "use_dynamic_shifting": False}
# 16×16 pixels → a [1, 16, 2, 2] latent: small, and the loop is the same at any size.
SIZE = 16
LOOPS = [
    {"name": "turbo-8", "steps": 8, "guidance_scale": 0.0, "cfg_truncation": 1.0, "cfg_normalization": False},
    {"name": "legacy-9", "steps": 9, "guidance_scale": 0.0, "cfg_truncation": 1.0, "cfg_normalization": False},
    {"name": "cfg-truncated", "steps": 8, "guidance_scale": 3.0, "cfg_truncation": 0.5, "cfg_normalization": False},
    {"name": "cfg-normalized", "steps": 4, "guidance_scale": 4.0, "cfg_truncation": 1.0, "cfg_normalization": 1.0},
]


def f32(t: torch.Tensor, decimal: bool = False) -> dict:
    flat = t.detach().to(torch.float32).reshape(-1).contiguous()
    out = {"hex": [f"{v & 0xFFFFFFFF:08x}" for v in flat.view(torch.int32).tolist()]}
    if decimal:
        out["dec"] = [float(v) for v in flat.tolist()]
    return out


def make_scheduler() -> FlowMatchEulerDiscreteScheduler:
    return FlowMatchEulerDiscreteScheduler.from_config(SCHEDULER_CONFIG)


def table(steps: int) -> dict:
    scheduler = make_scheduler()
    image_seq_len = (SIZE // 8 // 2) ** 2
    mu = calculate_shift(image_seq_len, 256, 4096, 0.5, 1.15)  # passed like the pipeline does; ignored by the config
    timesteps, _ = retrieve_timesteps(scheduler, steps, "cpu", sigmas=get_default_z_image_sigmas(steps), mu=mu)
    model_times = torch.stack([((1000 - t.expand(1)) / 1000)[0] for t in timesteps])  # the loop's expression
    dt = scheduler.sigmas[1:] - scheduler.sigmas[:-1]
    return {"steps": steps, "sigmas": f32(scheduler.sigmas, True), "timesteps": f32(timesteps, True),
            "modelTimes": f32(model_times, True), "dt": f32(dt, True)}


class StandInTransformer(torch.nn.Module):
    """Answers like ZImageTransformer2DModel (a list of [C, 1, H, W] float32 tensors) and records every call."""

    in_channels = 16
    dtype = torch.float32
    device = torch.device("cpu")

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[dict] = []

    def forward(self, latents, timestep, cap_feats, return_dict=False):
        outputs = [
            torch.sin(x * 1.7 + t * 3.1) * 1.3 + torch.cos(x * 0.37) * cap.mean() - 0.25 * x
            for x, t, cap in zip(latents, timestep, cap_feats)
        ]
        self.calls.append({"timestep": timestep.clone(), "outputs": [o.clone() for o in outputs]})
        return (outputs,)


def loop(spec: dict) -> dict:
    transformer = StandInTransformer()
    pipe = ZImagePipeline(scheduler=make_scheduler(), vae=None, text_encoder=None, tokenizer=None,
                          transformer=transformer)
    pipe.set_progress_bar_config(disable=True)
    g = torch.Generator().manual_seed(2024)
    latents = torch.randn(1, 16, SIZE // 8, SIZE // 8, generator=g)
    prompt_embeds = [torch.randn(7, 8, generator=g)]
    negative_prompt_embeds = [torch.randn(3, 8, generator=g) - 0.8]
    after: list[torch.Tensor] = []

    def record(_pipe, _i, _t, kwargs):
        after.append(kwargs["latents"].clone())
        return {}

    pipe(prompt_embeds=prompt_embeds, negative_prompt_embeds=negative_prompt_embeds, height=SIZE, width=SIZE,
         num_inference_steps=spec["steps"], guidance_scale=spec["guidance_scale"],
         cfg_truncation=spec["cfg_truncation"], cfg_normalization=spec["cfg_normalization"],
         latents=latents.clone(), output_type="latent", callback_on_step_end=record)

    records = []
    for call, latent in zip(transformer.calls, after):
        outputs = call["outputs"]
        records.append({
            "modelTime": f32(call["timestep"][:1], True),
            "pos": f32(outputs[0]),
            "neg": f32(outputs[1]) if len(outputs) > 1 else None,
            "latentAfter": f32(latent),
        })
    return {**spec, "latent0": f32(latents), "records": records}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    fixture = {
        "source": "scripts/reference/dump_scheduler.py",
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "cpuCapability": torch.backends.cpu.get_cpu_capability(),
        "machine": f"{platform.system()} {platform.machine()}",
        "schedulerConfig": SCHEDULER_CONFIG,
        "tables": [table(n) for n in STEPS],
        "loops": [loop(spec) for spec in LOOPS],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(fixture) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: steps {STEPS}, loops {[spec['name'] for spec in LOOPS]}, "
          f"torch {fixture['torch']} ({fixture['cpuCapability']}), diffusers {fixture['diffusers']}")


if __name__ == "__main__":
    main()
