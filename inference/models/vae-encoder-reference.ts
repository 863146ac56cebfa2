// A second, independent formulation of the FLUX VAE encoder for tests: diffusers' Encoder.forward written out in
// plain float64 JavaScript loops (conv2d, GroupNorm, SiLU, single-head attention, pad-then-stride-2 downsample),
// reading the diffusers-named tensors straight from the checkpoint. It shares no code with the ONNX graph builder
// (flux-vae-encoder.ts) or its blocks, so the two agree only if both follow the reference.
// Deliberately slow and small-only (the tiny config, a few dozen pixels a side); until the GPU host dumps the
// PyTorch encoder (scripts/reference/components.py), this is what the encoder graph is checked against.
import type { Checkpoint } from '../safetensors.ts';

interface T { c: number; h: number; w: number; d: Float64Array }

export function referenceEncode(ckpt: Checkpoint, image: Float32Array, H: number, W: number, opts: { scaling: number; shift: number; groups?: number; eps?: number }) {
  const G = opts.groups ?? 32, eps = opts.eps ?? 1e-6;
  const has = (k: string) => ckpt.keys().includes(k);
  const get = (k: string) => Float64Array.from(ckpt.readF32(k));
  const shape = (k: string) => ckpt.get(k).shape;

  const conv2d = (x: T, key: string, stride = 1, pad: [number, number, number, number] = [1, 1, 1, 1]): T => {
    const [co, ci, kh, kw] = shape(`${key}.weight`);
    const wt = get(`${key}.weight`), b = get(`${key}.bias`);
    const [pt, pl, pb, pr] = pad;
    const oh = Math.floor((x.h + pt + pb - kh) / stride) + 1, ow = Math.floor((x.w + pl + pr - kw) / stride) + 1;
    const out = new Float64Array(co * oh * ow);
    for (let o = 0; o < co; o++) {
      for (let y = 0; y < oh; y++) {
        for (let xx = 0; xx < ow; xx++) {
          let s = b[o];
          for (let i = 0; i < ci; i++) {
            for (let ky = 0; ky < kh; ky++) {
              const iy = y * stride + ky - pt;
              if (iy < 0 || iy >= x.h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = xx * stride + kx - pl;
                if (ix < 0 || ix >= x.w) continue;
                s += wt[((o * ci + i) * kh + ky) * kw + kx] * x.d[(i * x.h + iy) * x.w + ix];
              }
            }
          }
          out[(o * oh + y) * ow + xx] = s;
        }
      }
    }
    return { c: co, h: oh, w: ow, d: out };
  };

  const groupNorm = (x: T, key: string): T => {
    const wt = get(`${key}.weight`), b = get(`${key}.bias`);
    const per = x.c / G, n = per * x.h * x.w;
    const out = new Float64Array(x.d.length);
    for (let g = 0; g < G; g++) {
      const seg = x.d.subarray(g * n, (g + 1) * n);
      let mean = 0;
      for (const v of seg) mean += v;
      mean /= n;
      let variance = 0;
      for (const v of seg) variance += (v - mean) ** 2;
      variance /= n;
      const rstd = 1 / Math.sqrt(variance + eps);
      for (let i = 0; i < n; i++) {
        const c = g * per + Math.floor(i / (x.h * x.w));
        out[g * n + i] = (seg[i] - mean) * rstd * wt[c] + b[c];
      }
    }
    return { ...x, d: out };
  };

  const silu = (x: T): T => ({ ...x, d: x.d.map((v) => v / (1 + Math.exp(-v))) });
  const add = (a: T, b: T): T => ({ ...a, d: a.d.map((v, i) => v + b.d[i]) });

  const resnet = (x: T, p: string): T => {
    let h = conv2d(silu(groupNorm(x, `${p}.norm1`)), `${p}.conv1`);
    h = conv2d(silu(groupNorm(h, `${p}.norm2`)), `${p}.conv2`);
    const sc = has(`${p}.conv_shortcut.weight`) ? conv2d(x, `${p}.conv_shortcut`, 1, [0, 0, 0, 0]) : x;
    return add(sc, h);
  };

  const attention = (x: T, p: string): T => {
    const n = groupNorm(x, `${p}.group_norm`);
    const C = x.c, S = x.h * x.w;
    const proj = (name: string, inp: Float64Array) => { // inp [S, C] → [S, C]
      const wt = get(`${p}.${name}.weight`), b = get(`${p}.${name}.bias`); // [C_out, C_in]
      const out = new Float64Array(S * C);
      for (let s = 0; s < S; s++) for (let o = 0; o < C; o++) {
        let acc = b[o];
        for (let i = 0; i < C; i++) acc += wt[o * C + i] * inp[s * C + i];
        out[s * C + o] = acc;
      }
      return out;
    };
    const seq = new Float64Array(S * C);
    for (let c = 0; c < C; c++) for (let s = 0; s < S; s++) seq[s * C + c] = n.d[c * S + s];
    const q = proj('to_q', seq), k = proj('to_k', seq), v = proj('to_v', seq);
    const att = new Float64Array(S * C);
    const scale = 1 / Math.sqrt(C);
    for (let i = 0; i < S; i++) {
      const scores = new Float64Array(S);
      let max = -Infinity;
      for (let j = 0; j < S; j++) {
        let dot = 0;
        for (let c = 0; c < C; c++) dot += q[i * C + c] * k[j * C + c];
        scores[j] = dot * scale;
        max = Math.max(max, scores[j]);
      }
      let sum = 0;
      for (let j = 0; j < S; j++) { scores[j] = Math.exp(scores[j] - max); sum += scores[j]; }
      for (let j = 0; j < S; j++) for (let c = 0; c < C; c++) att[i * C + c] += (scores[j] / sum) * v[j * C + c];
    }
    const o = proj('to_out.0', att);
    const out = new Float64Array(C * S);
    for (let c = 0; c < C; c++) for (let s = 0; s < S; s++) out[c * S + s] = x.d[c * S + s] + o[s * C + c];
    return { ...x, d: out };
  };

  let x: T = conv2d({ c: 3, h: H, w: W, d: Float64Array.from(image) }, 'encoder.conv_in');
  for (let i = 0; has(`encoder.down_blocks.${i}.resnets.0.conv1.weight`); i++) {
    for (let j = 0; has(`encoder.down_blocks.${i}.resnets.${j}.conv1.weight`); j++) x = resnet(x, `encoder.down_blocks.${i}.resnets.${j}`);
    if (has(`encoder.down_blocks.${i}.downsamplers.0.conv.weight`)) x = conv2d(x, `encoder.down_blocks.${i}.downsamplers.0.conv`, 2, [0, 0, 1, 1]);
  }
  x = resnet(x, 'encoder.mid_block.resnets.0');
  x = attention(x, 'encoder.mid_block.attentions.0');
  x = resnet(x, 'encoder.mid_block.resnets.1');
  x = conv2d(silu(groupNorm(x, 'encoder.conv_norm_out')), 'encoder.conv_out');
  const C = x.c / 2, n = C * x.h * x.w;
  const mean = x.d.slice(0, n), logvar = x.d.slice(n);
  return { h: x.h, w: x.w, mean, logvar, latents: mean.map((m) => (m - opts.shift) * opts.scaling) };
}
