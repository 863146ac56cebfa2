// Test helper: tiny LoRA files in each trainer's format for the tiny model's layers, with factors that are small
// multiples of 1/8 (every product and sum of a rank-4 delta is exact in fp32, so "W + scale·ΔW" has one right answer
// whatever the GEMM's summation order), and each module's ΔW [out, in] computed here by plain loops, independently
// of the merge code. Deliberately writes only what the trainers write (keys, shapes, alpha), nothing the reader needs
// beyond that.
import { writeSafetensors, f32Tensor, type TensorToWrite } from '../safetensors.ts';

export type TestFormat = 'ai-toolkit' | 'peft-transformer' | 'peft-bare' | 'diffsynth' | 'kohya' | 'kohya-fun' | 'kohya-dotted' | 'loha' | 'lokr';

export interface TestModule {
  /** diffusers (or ComfyUI, e.g. layers.0.attention.qkv) dotted path. */
  path: string;
  out: number;
  in: number;
}

export interface WrittenModule extends TestModule {
  /** ΔW [out, in] row-major, exact, before scaling. */
  delta: Float64Array;
  /** alpha / rank as the trainer means it (1 when the file has no alpha). */
  alphaOverRank: number;
}

/** Deterministic multiples of 1/8 in [−0.5, 0.5]. */
export function dyadic(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = (((s >>> 16) % 9) - 4) / 8;
  }
  return out;
}

function matmul(a: Float32Array | Float64Array, b: Float32Array | Float64Array, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
    let sum = 0;
    for (let t = 0; t < k; t++) sum += a[i * k + t] * b[t * m + j];
    out[i * m + j] = sum;
  }
  return out;
}

/** Writes a LoRA for `modules` in `format`; returns each module's exact ΔW and alpha/rank. */
export function writeTestLora(file: string, format: TestFormat, modules: TestModule[], opts: { rank?: number; alpha?: number; seed?: number; metadata?: Record<string, string>; deltas?: boolean } = {}): WrittenModule[] {
  const rank = opts.rank ?? 4;
  const tensors: TensorToWrite[] = [];
  const written: WrittenModule[] = [];
  let seed = opts.seed ?? 1;
  const alpha = opts.alpha;
  // deltas: false skips the exact ΔW (benchmarks at full width, where it is GFLOPs of JavaScript and GBs of float64)
  const exact = opts.deltas !== false;
  const matmulIf = (a: Float32Array | Float64Array, b: Float32Array | Float64Array, n: number, k: number, m: number) => (exact ? matmul(a, b, n, k, m) : new Float64Array(0));
  const scalar = (key: string, v: number) => tensors.push(f32Tensor(key, [], Float32Array.of(v)));
  modules.forEach((m) => {
    const t = (key: string, shape: number[]) => {
      const v = dyadic(shape[0] * shape[1], seed++);
      tensors.push(f32Tensor(key, shape, v));
      return v;
    };
    const under = m.path.replace(/\./g, '_');
    if (format === 'loha') {
      const p = `diffusion_model.${m.path}`;
      const w1a = t(`${p}.hada_w1_a`, [m.out, rank]), w1b = t(`${p}.hada_w1_b`, [rank, m.in]);
      const w2a = t(`${p}.hada_w2_a`, [m.out, rank]), w2b = t(`${p}.hada_w2_b`, [rank, m.in]);
      if (alpha !== undefined) scalar(`${p}.alpha`, alpha);
      const p1 = matmulIf(w1a, w1b, m.out, rank, m.in), p2 = matmulIf(w2a, w2b, m.out, rank, m.in);
      written.push({ ...m, delta: p1.map((v, i) => v * p2[i]), alphaOverRank: alpha === undefined ? 1 : alpha / rank });
      return;
    }
    if (format === 'lokr') {
      // w1 [2, 2] full, w2 [out/2, in/2] as w2a·w2b of the rank
      const p = `lora_unet_${under}`;
      const w1 = t(`${p}.lokr_w1`, [2, 2]);
      const w2a = t(`${p}.lokr_w2_a`, [m.out / 2, rank]), w2b = t(`${p}.lokr_w2_b`, [rank, m.in / 2]);
      if (alpha !== undefined) scalar(`${p}.alpha`, alpha);
      const w2 = matmulIf(w2a, w2b, m.out / 2, rank, m.in / 2);
      const c = m.out / 2, d = m.in / 2;
      const delta = new Float64Array(exact ? m.out * m.in : 0);
      if (exact) for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < c; k++) for (let l = 0; l < d; l++) {
        delta[(i * c + k) * m.in + j * d + l] = w1[i * 2 + j] * w2[k * d + l];
      }
      written.push({ ...m, delta, alphaOverRank: alpha === undefined ? 1 : alpha / rank });
      return;
    }
    const [stem, down, up] = {
      'ai-toolkit': [`diffusion_model.${m.path}`, 'lora_A.weight', 'lora_B.weight'],
      'peft-transformer': [`transformer.${m.path}`, 'lora_A.weight', 'lora_B.weight'],
      'peft-bare': [m.path, 'lora_A.weight', 'lora_B.weight'],
      diffsynth: [m.path, 'lora_A.default.weight', 'lora_B.default.weight'],
      kohya: [`lora_unet_${under}`, 'lora_down.weight', 'lora_up.weight'],
      'kohya-fun': [`lora_unet__${under}`, 'lora_down.weight', 'lora_up.weight'],
      'kohya-dotted': [`diffusion_model.${m.path}`, 'lora_down.weight', 'lora_up.weight'],
    }[format];
    const a = t(`${stem}.${down}`, [rank, m.in]);
    const b = t(`${stem}.${up}`, [m.out, rank]);
    if (alpha !== undefined) scalar(`${stem}.alpha`, alpha);
    written.push({ ...m, delta: matmulIf(b, a, m.out, rank, m.in), alphaOverRank: alpha === undefined ? 1 : alpha / rank });
  });
  writeSafetensors(file, tensors, opts.metadata);
  return written;
}
