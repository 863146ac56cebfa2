"""Reference noise for inference/sampling/rng.ts: `torch.manual_seed(seed); torch.randn(shape)` on the CPU generator.

Writes inference/sampling/fixtures/randn.json. Small shapes keep every value as the hex of its float32 bit pattern
(uint32 view); the [1,16,128,128] latent keeps its first and last 64 values, the exactly rounded float64 sum
(math.fsum) and the sha256 of the raw little-endian float32 bytes. It also records the torch version, the compiler
torch was built with and the CPU capability it dispatched to, because the float kernel depends on them (see the
header of rng.ts). Deliberately needs nothing but torch, and never touches a GPU.

Run from the repository root, on any x86-64 Linux machine with torch:  python3 scripts/reference/dump_rng.py
"""

import argparse
import hashlib
import json
import math
import platform
import re
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "inference/sampling/fixtures/randn.json"
SEEDS = [0, 1, 42, 123456789, 2**32 + 7, 2**63 - 1]
# [1,3] and [1,15] take the double path (numel < 16); [1,20] makes PyTorch redraw its last 16 values.
SMALL_SHAPES = [[1, 16, 2, 2], [1, 16, 4, 4], [1, 16, 8, 8], [1, 16, 16, 12], [1, 3], [1, 15], [1, 20]]
LARGE_SHAPES = [[1, 16, 128, 128]]
EDGE = 64


def noise(seed: int, shape: list[int]) -> torch.Tensor:
    torch.manual_seed(seed)
    return torch.randn(*shape, dtype=torch.float32, device="cpu")


def hex_bits(t: torch.Tensor) -> list[str]:
    return [f"{v & 0xFFFFFFFF:08x}" for v in t.reshape(-1).view(torch.int32).tolist()]


def compiler() -> str:
    found = re.search(r"^\s*- (GCC|MSVC|clang|Clang|Apple clang)[^\n]*", torch.__config__.show(), re.MULTILINE)
    return found.group(0).strip(" -") if found else "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    cases = []
    for seed in SEEDS:
        for shape in SMALL_SHAPES:
            cases.append({"seed": str(seed), "shape": shape, "float32Hex": hex_bits(noise(seed, shape))})
        for shape in LARGE_SHAPES:
            flat = noise(seed, shape).reshape(-1)
            cases.append({
                "seed": str(seed),
                "shape": shape,
                "first64Hex": hex_bits(flat[:EDGE]),
                "last64Hex": hex_bits(flat[-EDGE:]),
                "sumFloat64": math.fsum(flat.double().tolist()),
                "sha256": hashlib.sha256(flat.numpy().astype("<f4").tobytes()).hexdigest(),
            })

    meta = {
        "source": "scripts/reference/dump_rng.py: torch.manual_seed(seed); torch.randn(*shape) (float32, CPU)",
        "torch": torch.__version__,
        "compiler": compiler(),
        "cpuCapability": torch.backends.cpu.get_cpu_capability(),
        "machine": f"{platform.system()} {platform.machine()}",
    }
    # Seeds are strings: 2**63-1 does not fit a JavaScript number. One case per line keeps diffs readable.
    head = json.dumps(meta)[:-1]
    body = ",\n".join("  " + json.dumps(c) for c in cases)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(head + ', "cases": [\n' + body + "\n]}\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(cases)} cases, torch {meta['torch']}, {meta['compiler']}, {meta['cpuCapability']}")


if __name__ == "__main__":
    main()
