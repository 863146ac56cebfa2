// What a live preview costs per denoising step, measured: the latents → RGB projection plus the JPEG encode
// (lib/jpeg.ts previewDataUrl) at the latent grids of 512², 1024² and 2048² images, and a whole generation on the
// embedded tiny model at 1024² with previews on and off, side by side (per-step wall time from the progress events).
// Run: npx tsx bench/preview-cost.ts [--weights DIR] [--runs N]. Prints one JSON object; asserts nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDefaultModel, ZImagePipeline } from '../inference/pipeline/index.ts';
import { previewDataUrl } from '../lib/jpeg.ts';

const { values } = parseArgs({ options: { weights: { type: 'string' }, runs: { type: 'string', default: '3' }, size: { type: 'string', default: '1024' }, steps: { type: 'string', default: '8' } } });
const runs = Number(values.runs);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// 1. The preview alone, on latents drawn like a half-denoised image (normal noise, σ ≈ 1).
const alone: Record<string, { ms: number; bytes: number; side: number }> = {};
for (const image of [512, 1024, 2048]) {
  const h = image / 8, w = image / 8;
  const latents = Float32Array.from({ length: 16 * h * w }, () => Math.sqrt(-2 * Math.log(Math.random() || 1e-9)) * Math.cos(2 * Math.PI * Math.random()));
  for (let i = 0; i < 20; i++) await previewDataUrl(latents, h, w); // warm-up (JIT, libvips)
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 200; i++) {
    const start = performance.now();
    const url = await previewDataUrl(latents, h, w);
    times.push(performance.now() - start);
    bytes = Math.round(((url.length - 'data:image/jpeg;base64,'.length) * 3) / 4);
  }
  alone[`${image}²`] = { ms: Math.round(median(times) * 100) / 100, bytes, side: w };
}

// 2. A whole generation on the tiny model, previews off and on, alternating so machine noise hits both alike.
const weights = values.weights ?? fs.mkdtempSync(path.join(os.tmpdir(), 'zimage-preview-bench-'));
const model = await ensureDefaultModel(weights);
const pipe = await ZImagePipeline.load(model, 'fp32', 'cpu', { residency: 'resident' });
const size = Number(values.size), steps = Number(values.steps);
const request = (seed: number) => ({ prompt: 'a portrait', negativePrompt: '', steps, cfg: 1, width: size, height: size, seed, precision: 'fp32' as const, ep: 'cpu' as const });
async function stepTimes(seed: number, preview: boolean): Promise<number[]> {
  const marks: number[] = [];
  const encodes: Promise<string>[] = [];
  // As the studio does it (lib/server/generation.ts): the encode runs while the next step computes.
  await pipe.generate(request(seed), {
    onProgress: (event) => { if (event.phase === 'noise' || event.phase === 'denoise') marks.push(event.elapsedMs); },
    onDenoised: preview ? (x0, h, w) => void encodes.push(previewDataUrl(x0, h, w)) : undefined,
  });
  await Promise.all(encodes);
  return marks.slice(1).map((mark, i) => mark - marks[i]);
}
await stepTimes(0, false); // the profiled first generation
const off: number[] = [], on: number[] = [];
for (let run = 0; run < runs; run++) {
  off.push(...(await stepTimes(run + 1, false)));
  on.push(...(await stepTimes(run + 1, true)));
}
await pipe.release();
const offMs = median(off), onMs = median(on);
console.log(JSON.stringify({
  machine: `${os.cpus()[0]?.model} ×${os.cpus().length}`,
  previewAlone: alone,
  tinyModel: { size, steps, runs, stepMsPreviewOff: Math.round(offMs * 10) / 10, stepMsPreviewOn: Math.round(onMs * 10) / 10, ratio: Math.round((onMs / offMs) * 1000) / 1000 },
}, null, 2));
