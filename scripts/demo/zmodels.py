"""PyTorch modules of the three Z-Image components, small and batched, for training the demo model
(scripts/demo/train.py). Parameter names are exactly the diffusers/transformers checkpoint keys, so a state_dict is
the checkpoint `zimage convert` reads (inference/tiny.ts writes the same keys with random weights).

- ZImageDiT: ZImageTransformer2DModel's forward (shared/docs/zimage-spec.md §1-2): t_embedder, 3-axis interleaved
  RoPE (theta 256), noise/context refiners, sandwich-norm blocks with tanh gates, final layer. Batched with a
  key-padding mask that hides only the *batch* padding, so each item sees exactly what a batch-1 call sees
  (captions padded to a multiple of 32 with cap_pad_token, pads attending as ordinary tokens).
- Qwen3Encoder: Qwen3Model up to hidden_states[-2] (spec §3.3): rotate-half RoPE (theta 1e6), GQA, q/k norms,
  causal attention, right padding (real tokens never see pads).
- AutoencoderKL: the FLUX-layout KL VAE (encoder for training, decoder for the checkpoint), GroupNorm(32) eps 1e-6.

Checked against the golden outputs of the diffusers/transformers classes (inference/models/fixtures, made by
scripts/reference/components.py from `zimage tiny`) by scripts/demo/check_zmodels.py. Deliberately no ComfyUI
key layout and no inference loop beyond what train.py needs. Works with PyTorch 1.13 (Debian, for the CPU check) and 2.x.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def attention(q, k, v, mask=None, causal=False):
    """q,k,v [B,H,S,D]; mask [B,S] bool (True = key visible)."""
    if hasattr(F, "scaled_dot_product_attention"):
        m = None
        if mask is not None:
            m = mask[:, None, None, :]
        return F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=causal and m is None)
    s = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if causal:
        n = q.shape[-2]
        s = s.masked_fill(torch.ones(n, n, dtype=torch.bool, device=q.device).triu(1), float("-inf"))
    if mask is not None:
        s = s.masked_fill(~mask[:, None, None, :], float("-inf"))
    return s.softmax(-1) @ v


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype) * self.weight


# ---------------------------------------------------------------------------------------------------------------- DiT

class FeedForward(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class DitAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.hd = heads, dim // heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(dim, dim, bias=False)
        self.to_v = nn.Linear(dim, dim, bias=False)
        self.to_out = nn.ModuleList([nn.Linear(dim, dim, bias=False)])
        self.norm_q = RMSNorm(self.hd, 1e-5)
        self.norm_k = RMSNorm(self.hd, 1e-5)

    def forward(self, x, cos, sin, mask):
        B, S, _ = x.shape
        q = self.norm_q(self.to_q(x).view(B, S, self.heads, self.hd))
        k = self.norm_k(self.to_k(x).view(B, S, self.heads, self.hd))
        v = self.to_v(x).view(B, S, self.heads, self.hd)
        q, k = rope_interleaved(q, cos, sin), rope_interleaved(k, cos, sin)
        o = attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), mask)
        return self.to_out[0](o.transpose(1, 2).reshape(B, S, -1))


def rope_interleaved(x, cos, sin):
    """x [B,S,H,D]; cos/sin [B,S,D/2]: pair (x[2j], x[2j+1]) rotated by angle j (complex multiply), in fp32."""
    xf = x.float().unflatten(-1, (-1, 2))
    a, b = xf[..., 0], xf[..., 1]
    c, s = cos[:, :, None, :], sin[:, :, None, :]
    return torch.stack([a * c - b * s, a * s + b * c], -1).flatten(-2).to(x.dtype)


class DitBlock(nn.Module):
    def __init__(self, dim, heads, ffn, adaln, modulated):
        super().__init__()
        self.attention = DitAttention(dim, heads)
        self.feed_forward = FeedForward(dim, ffn)
        for n in ("attention_norm1", "attention_norm2", "ffn_norm1", "ffn_norm2"):
            setattr(self, n, RMSNorm(dim, 1e-5))
        self.modulated = modulated
        if modulated:
            self.adaLN_modulation = nn.ModuleList([nn.Linear(adaln, 4 * dim, bias=True)])

    def forward(self, x, cos, sin, mask, c=None):
        if self.modulated:
            scale_msa, gate_msa, scale_mlp, gate_mlp = self.adaLN_modulation[0](c)[:, None, :].chunk(4, dim=-1)
            a = self.attention(self.attention_norm1(x) * (1 + scale_msa), cos, sin, mask)
            x = x + torch.tanh(gate_msa) * self.attention_norm2(a)
            f = self.feed_forward(self.ffn_norm1(x) * (1 + scale_mlp))
            return x + torch.tanh(gate_mlp) * self.ffn_norm2(f)
        x = x + self.attention_norm2(self.attention(self.attention_norm1(x), cos, sin, mask))
        return x + self.ffn_norm2(self.feed_forward(self.ffn_norm1(x)))


class TimestepEmbedder(nn.Module):
    def __init__(self, out, mid=1024):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(256, mid), nn.SiLU(), nn.Linear(mid, out))

    def forward(self, t):
        half = 128
        freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
        arg = t.float()[:, None] * freqs[None]
        emb = torch.cat([torch.cos(arg), torch.sin(arg)], -1)
        return self.mlp(emb.to(self.mlp[0].weight.dtype))


class FinalLayer(nn.Module):
    def __init__(self, dim, adaln, out):
        super().__init__()
        self.linear = nn.Linear(dim, out)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(adaln, dim))

    def forward(self, x, c):
        scale = 1 + self.adaLN_modulation(c)[:, None, :]
        return self.linear(F.layer_norm(x, (x.shape[-1],), eps=1e-6) * scale)


class ZImageDiT(nn.Module):
    def __init__(self, dim, heads, layers, refiners, axes_dims, cap_feat_dim, in_channels=16, rope_theta=256.0):
        super().__init__()
        self.dim, self.axes_dims, self.theta, self.C = dim, axes_dims, rope_theta, in_channels
        adaln, ffn = min(dim, 256), int(dim / 3 * 8)
        self.all_x_embedder = nn.ModuleDict({"2-1": nn.Linear(4 * in_channels, dim)})
        self.all_final_layer = nn.ModuleDict({"2-1": FinalLayer(dim, adaln, 4 * in_channels)})
        self.t_embedder = TimestepEmbedder(adaln)
        self.cap_embedder = nn.Sequential(RMSNorm(cap_feat_dim, 1e-5), nn.Linear(cap_feat_dim, dim))
        self.x_pad_token = nn.Parameter(torch.zeros(1, dim))
        self.cap_pad_token = nn.Parameter(torch.zeros(1, dim))
        self.noise_refiner = nn.ModuleList([DitBlock(dim, heads, ffn, adaln, True) for _ in range(refiners)])
        self.context_refiner = nn.ModuleList([DitBlock(dim, heads, ffn, adaln, False) for _ in range(refiners)])
        self.layers = nn.ModuleList([DitBlock(dim, heads, ffn, adaln, True) for _ in range(layers)])

    def rope(self, ids):
        """ids [B,S,3] int → cos, sin [B,S,sum(d)/2], axes concatenated (spec §1.5)."""
        angles = []
        for axis, d in enumerate(self.axes_dims):
            f = self.theta ** (-torch.arange(0, d, 2, dtype=torch.float64, device=ids.device) / d)
            angles.append((ids[..., axis].double()[..., None] * f).float())
        a = torch.cat(angles, -1)
        return torch.cos(a), torch.sin(a)

    def forward(self, x, t, cap, cap_len):
        """x [B,16,H,W] latents; t [B] model time (1 − sigma); cap [B,Lmax,capdim] features (rows ≥ cap_len[i] are
        ignored); cap_len [B] real token counts. Returns v [B,16,H,W] (the model output, not negated)."""
        B, C, H, W = x.shape
        ht, wt = H // 2, W // 2
        n_img = ht * wt
        n_pad = (-n_img) % 32  # image pad tokens (x_pad_token, position id (0,0,0)), spec §1.6
        dev = x.device
        cap_len = cap_len.to(dev)
        lp = ((cap_len + 31) // 32) * 32  # per-item padded caption length
        lmax = int(lp.max())
        if cap.shape[1] < lmax:
            cap = torch.cat([cap, cap.new_zeros(B, lmax - cap.shape[1], cap.shape[2])], 1)
        cap = cap[:, :lmax]
        pos = torch.arange(lmax, device=dev)[None]
        cap_real = pos < cap_len[:, None]          # real caption tokens
        cap_mask = pos < lp[:, None]               # tokens of the batch-1 sequence (real + caption pads)

        c = self.t_embedder(t * 1000.0)
        p = x.view(B, C, ht, 2, wt, 2).permute(0, 2, 4, 3, 5, 1).reshape(B, n_img, 4 * C)
        X = self.all_x_embedder["2-1"](p)
        hh, ww = torch.meshgrid(torch.arange(ht, device=dev), torch.arange(wt, device=dev), indexing="ij")
        img_ids = torch.stack([(lp + 1)[:, None].expand(B, n_img), hh.reshape(1, -1).expand(B, -1), ww.reshape(1, -1).expand(B, -1)], -1)
        if n_pad:
            X = torch.cat([X, self.x_pad_token.to(X.dtype)[None].expand(B, n_pad, -1)], 1)
            img_ids = torch.cat([img_ids, img_ids.new_zeros(B, n_pad, 3)], 1)
        cap_ids = torch.stack([(pos + 1).expand(B, -1), torch.zeros_like(pos).expand(B, -1), torch.zeros_like(pos).expand(B, -1)], -1)
        icos, isin = self.rope(img_ids)
        ccos, csin = self.rope(cap_ids)

        for blk in self.noise_refiner:
            X = blk(X, icos, isin, None, c)
        Cf = self.cap_embedder(cap)
        Cf = torch.where(cap_real[..., None], Cf, self.cap_pad_token.to(Cf.dtype).expand(B, lmax, -1))
        cmask = None if bool(cap_mask.all()) else cap_mask
        for blk in self.context_refiner:
            Cf = blk(Cf, ccos, csin, cmask)
        U = torch.cat([X, Cf], 1)
        ucos, usin = torch.cat([icos, ccos], 1), torch.cat([isin, csin], 1)
        umask = None if cmask is None else torch.cat([torch.ones(B, n_img + n_pad, dtype=torch.bool, device=dev), cap_mask], 1)
        for blk in self.layers:
            U = blk(U, ucos, usin, umask, c)
        O = self.all_final_layer["2-1"](U[:, :n_img], c)
        return O.view(B, ht, wt, 2, 2, C).permute(0, 5, 1, 3, 2, 4).reshape(B, C, H, W)


# ------------------------------------------------------------------------------------------------------- Qwen3 encoder

class Qwen3Attention(nn.Module):
    def __init__(self, d, heads, kv, hd):
        super().__init__()
        self.heads, self.kv, self.hd = heads, kv, hd
        self.q_proj = nn.Linear(d, heads * hd, bias=False)
        self.k_proj = nn.Linear(d, kv * hd, bias=False)
        self.v_proj = nn.Linear(d, kv * hd, bias=False)
        self.o_proj = nn.Linear(heads * hd, d, bias=False)
        self.q_norm = RMSNorm(hd, 1e-6)
        self.k_norm = RMSNorm(hd, 1e-6)

    def forward(self, x, cos, sin):
        B, L, _ = x.shape
        q = self.q_norm(self.q_proj(x).view(B, L, self.heads, self.hd)).transpose(1, 2)
        k = self.k_norm(self.k_proj(x).view(B, L, self.kv, self.hd)).transpose(1, 2)
        v = self.v_proj(x).view(B, L, self.kv, self.hd).transpose(1, 2)
        q, k = rope_half(q, cos, sin), rope_half(k, cos, sin)
        rep = self.heads // self.kv
        k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        o = attention(q, k, v, causal=True)
        return self.o_proj(o.transpose(1, 2).reshape(B, L, -1))


def rope_half(x, cos, sin):
    """x [B,H,L,D], cos/sin [L,D] (rotate-half / NeoX convention, like transformers' Qwen3)."""
    d = x.shape[-1] // 2
    rot = torch.cat([-x[..., d:], x[..., :d]], -1)
    return (x.float() * cos + rot.float() * sin).to(x.dtype)


class Qwen3Mlp(nn.Module):
    def __init__(self, d, f):
        super().__init__()
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Qwen3Layer(nn.Module):
    def __init__(self, d, heads, kv, hd, f):
        super().__init__()
        self.self_attn = Qwen3Attention(d, heads, kv, hd)
        self.mlp = Qwen3Mlp(d, f)
        self.input_layernorm = RMSNorm(d, 1e-6)
        self.post_attention_layernorm = RMSNorm(d, 1e-6)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class Qwen3Encoder(nn.Module):
    def __init__(self, vocab, hidden, layers, heads, kv_heads, head_dim, intermediate, rope_theta=1e6):
        super().__init__()
        self.hd, self.theta = head_dim, rope_theta
        self.embed_tokens = nn.Embedding(vocab, hidden)
        self.layers = nn.ModuleList([Qwen3Layer(hidden, heads, kv_heads, head_dim, intermediate) for _ in range(layers)])
        self.norm = RMSNorm(hidden, 1e-6)  # in the checkpoint for the Qwen3 layout; hidden_states[-2] never uses it

    def forward(self, ids):
        """ids [B,L] (right-padded; causal attention keeps pads out of real rows) → hidden_states[-2] [B,L,hidden]."""
        L = ids.shape[1]
        inv = 1.0 / (self.theta ** (torch.arange(0, self.hd, 2, dtype=torch.float32, device=ids.device) / self.hd))
        ang = torch.arange(L, dtype=torch.float32, device=ids.device)[:, None] * inv[None]
        ang = torch.cat([ang, ang], -1)
        cos, sin = torch.cos(ang), torch.sin(ang)
        x = self.embed_tokens(ids)
        for layer in self.layers[:-1]:  # layers 0..n−2 feed hidden_states[-2]
            x = layer(x, cos, sin)
        return x


# ----------------------------------------------------------------------------------------------------------------- VAE

def group_norm(c):
    return nn.GroupNorm(32, c, eps=1e-6)


class Resnet(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.norm1, self.conv1 = group_norm(i), nn.Conv2d(i, o, 3, padding=1)
        self.norm2, self.conv2 = group_norm(o), nn.Conv2d(o, o, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(i, o, 1) if i != o else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.conv_shortcut is None else self.conv_shortcut(x)) + h


class VaeAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.group_norm = group_norm(c)
        self.to_q, self.to_k, self.to_v = nn.Linear(c, c), nn.Linear(c, c), nn.Linear(c, c)
        self.to_out = nn.ModuleList([nn.Linear(c, c)])

    def forward(self, x):
        B, C, H, W = x.shape
        h = self.group_norm(x).view(B, C, H * W).transpose(1, 2)
        q, k, v = self.to_q(h)[:, None], self.to_k(h)[:, None], self.to_v(h)[:, None]
        o = attention(q, k, v)[:, 0]
        return x + self.to_out[0](o).transpose(1, 2).view(B, C, H, W)


class MidBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.resnets = nn.ModuleList([Resnet(c, c), Resnet(c, c)])
        self.attentions = nn.ModuleList([VaeAttention(c)])

    def forward(self, x):
        return self.resnets[1](self.attentions[0](self.resnets[0](x)))


class Sampler(nn.Module):
    def __init__(self, c, down):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=2 if down else 1, padding=0 if down else 1)
        self.down = down

    def forward(self, x):
        if self.down:
            return self.conv(F.pad(x, (0, 1, 0, 1)))
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Stage(nn.Module):
    def __init__(self, i, o, n, sampler):
        super().__init__()
        self.resnets = nn.ModuleList([Resnet(i if j == 0 else o, o) for j in range(n)])
        if sampler is not None:
            setattr(self, "downsamplers" if sampler == "down" else "upsamplers", nn.ModuleList([Sampler(o, sampler == "down")]))
        self.sampler = sampler

    def forward(self, x):
        for r in self.resnets:
            x = r(x)
        if self.sampler == "down":
            x = self.downsamplers[0](x)
        elif self.sampler == "up":
            x = self.upsamplers[0](x)
        return x


class Encoder(nn.Module):
    def __init__(self, block_out, lpb, latent):
        super().__init__()
        self.conv_in = nn.Conv2d(3, block_out[0], 3, padding=1)
        self.down_blocks = nn.ModuleList([
            Stage(block_out[max(i - 1, 0)], c, lpb, "down" if i < len(block_out) - 1 else None) for i, c in enumerate(block_out)])
        self.mid_block = MidBlock(block_out[-1])
        self.conv_norm_out = group_norm(block_out[-1])
        self.conv_out = nn.Conv2d(block_out[-1], 2 * latent, 3, padding=1)

    def forward(self, x):
        x = self.conv_in(x)
        for b in self.down_blocks:
            x = b(x)
        return self.conv_out(F.silu(self.conv_norm_out(self.mid_block(x))))


class Decoder(nn.Module):
    def __init__(self, block_out, lpb, latent):
        super().__init__()
        up = list(reversed(block_out))
        self.conv_in = nn.Conv2d(latent, up[0], 3, padding=1)
        self.mid_block = MidBlock(up[0])
        self.up_blocks = nn.ModuleList([
            Stage(up[max(i - 1, 0)], c, lpb + 1, "up" if i < len(up) - 1 else None) for i, c in enumerate(up)])
        self.conv_norm_out = group_norm(up[-1])
        self.conv_out = nn.Conv2d(up[-1], 3, 3, padding=1)

    def forward(self, z):
        x = self.mid_block(self.conv_in(z))
        for b in self.up_blocks:
            x = b(x)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


class AutoencoderKL(nn.Module):
    def __init__(self, block_out, layers_per_block, latent=16):
        super().__init__()
        self.encoder = Encoder(block_out, layers_per_block, latent)
        self.decoder = Decoder(block_out, layers_per_block, latent)
