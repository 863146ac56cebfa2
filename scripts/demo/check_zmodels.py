"""Checks scripts/demo/zmodels.py against the golden outputs of the reference classes (diffusers
ZImageTransformer2DModel / AutoencoderKL, transformers Qwen3Model) stored in inference/models/fixtures, which
scripts/reference/components.py made from the `zimage tiny --seed 0` checkpoint. Run on any CPU with torch:

  npx tsx inference/cli/zimage.ts tiny --out /tmp/tiny0 && python3 scripts/demo/check_zmodels.py /tmp/tiny0

Also checks the batched DiT path: two items with different caption lengths in one batch give the same v as two
batch-1 calls. Deliberately checks only the modules, not training."""
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import st  # noqa: E402
from zmodels import AutoencoderKL, Qwen3Encoder, ZImageDiT  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "inference/models/fixtures"


def build(ckpt):
    ckpt = Path(ckpt)
    tc = json.loads((ckpt / "transformer/config.json").read_text())
    ec = json.loads((ckpt / "text_encoder/config.json").read_text())
    vc = json.loads((ckpt / "vae/config.json").read_text())
    dit = ZImageDiT(tc["dim"], tc["n_heads"], tc["n_layers"], tc["n_refiner_layers"], tc["axes_dims"], tc["cap_feat_dim"])
    te = Qwen3Encoder(ec["vocab_size"], ec["hidden_size"], ec["num_hidden_layers"], ec["num_attention_heads"],
                      ec["num_key_value_heads"], ec["head_dim"], ec["intermediate_size"], ec["rope_theta"])
    vae = AutoencoderKL(vc["block_out_channels"], vc["layers_per_block"], vc["latent_channels"])
    load = lambda m, f, strict=True: m.load_state_dict({k: v.float() for k, v in st.load(ckpt / f).items()}, strict=strict)
    load(dit, "transformer/diffusion_pytorch_model.safetensors")
    missing, unexpected = te.load_state_dict({k: v.float() for k, v in st.load(ckpt / "text_encoder/model.safetensors").items()}, strict=False)
    assert not unexpected and missing in ([], ["norm.weight"]), (missing, unexpected)
    missing, unexpected = vae.load_state_dict({k: v.float() for k, v in st.load(ckpt / "vae/diffusion_pytorch_model.safetensors").items()}, strict=False)
    assert not unexpected and all(k.startswith("encoder.") for k in missing), (missing, unexpected)
    return dit.eval(), te.eval(), vae.eval(), vc


def rel(a, b):
    return float((a - b).abs().max() / b.abs().max())


def main():
    dit, te, vae, vc = build(sys.argv[1])
    worst = {}
    with torch.no_grad():
        f = st.load(FIX / "te.safetensors")
        worst["te"] = rel(te(f["input_ids"].long()[None])[0], f["features"])
        items = []
        for name in ("dit_a", "dit_b"):
            f = st.load(FIX / f"{name}.safetensors")
            v = dit(f["x"], f["t"], f["cap_feats"][None], torch.tensor([f["cap_feats"].shape[0]]))
            worst[name] = rel(v, f["v"])
            items.append(f)
        # batched: same latent size needed; reuse dit_a's latent with both captions
        a, b = items
        x = torch.cat([a["x"], a["x"]])
        L = [a["cap_feats"].shape[0], b["cap_feats"].shape[0]]
        cap = torch.zeros(2, max(L), a["cap_feats"].shape[1])
        cap[0, :L[0]], cap[1, :L[1]] = a["cap_feats"], b["cap_feats"]
        t = torch.tensor([0.3, 0.3])
        vb = dit(x, t, cap, torch.tensor(L))
        v0 = dit(a["x"], t[:1], a["cap_feats"][None], torch.tensor(L[:1]))
        v1 = dit(a["x"], t[:1], b["cap_feats"][None], torch.tensor(L[1:]))
        worst["dit_batched"] = max(rel(vb[0:1], v0), rel(vb[1:2], v1))
        f = st.load(FIX / "vae.safetensors")
        z = f["latents"] / vc["scaling_factor"] + vc["shift_factor"]
        worst["vae"] = rel(vae.decoder(z), f["image"])
    print(json.dumps(worst))
    bad = {k: v for k, v in worst.items() if not v < 1e-4}
    if bad:
        sys.exit(f"MISMATCH against the reference outputs: {bad}")
    print("zmodels match the reference classes")


if __name__ == "__main__":
    main()
