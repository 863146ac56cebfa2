// Differential timing of graph formulations (issue 6; bundled into dist/ablate.mjs, run on the GPU host by
// bench/formulations.sh): each converted model folder given is loaded alone, warmed up, then one component is
// called `reps` times on fixed inputs kept on the host; the wall time per call is reported (median and mean), never
// onnxruntime's profiler. `--profile` also times each DiT with profiling on, to measure what the census costs.
// It deliberately compares folders that differ in one formulation; it asserts nothing.
//
//   node dist/ablate.mjs --dit A/bf16,B/bf16 [--vae C/bf16,D/bf16] [--size 1024] [--tokens 40] [--reps 10] [--profile]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DitRunner, VaeRunner } from '../inference/runners.ts';
import { readManifest } from '../inference/convert.ts';
import type { SessionOptions } from '../inference/runtime/onnx-runtime.ts';
import { ortOptionsFrom } from '../inference/runtime/ort-options.ts';

const { values } = parseArgs({
  options: {
    dit: { type: 'string', default: '' }, vae: { type: 'string', default: '' }, size: { type: 'string', default: '1024' },
    tokens: { type: 'string', default: '40' }, reps: { type: 'string', default: '10' }, profile: { type: 'boolean', default: false },
    ep: { type: 'string', default: 'cuda' },
  },
});
const size = Number(values.size), L = Number(values.tokens), reps = Number(values.reps);
const h = size / 8, w = size / 8;
const ep = values.ep as 'cuda' | 'cpu';
// ZIMAGE_ORT_CONFIG / ZIMAGE_ORT_MEM_PATTERN: measurement knobs, passed to the sessions as options
const ort = ortOptionsFrom(process.env.ZIMAGE_ORT_CONFIG, process.env.ZIMAGE_ORT_MEM_PATTERN);
const list = (s: string) => s.split(',').filter(Boolean);
const wave = (n: number, f: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * f) * 0.8);

async function time(fn: () => Promise<unknown>): Promise<{ median_ms: number; mean_ms: number; runs: number }> {
  for (let i = 0; i < 3; i++) await fn(); // warm-up: cuDNN/cuBLAS algorithm choice, arena growth
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { median_ms: ms[Math.floor(ms.length / 2)], mean_ms: ms.reduce((a, b) => a + b, 0) / ms.length, runs: reps };
}

async function timeDit(dir: string, opts: SessionOptions) {
  const m = readManifest(dir);
  const dit = await DitRunner.load(dir, m, opts);
  const x = wave(dit.config.inChannels * h * w, 0.37);
  const cap = wave(L * dit.config.capFeatDim, 0.011);
  const r = await time(() => dit.velocity(x, h, w, 0.4, cap, L));
  if (opts.profilePrefix) dit.takeCensus();
  await dit.release();
  return { component: 'dit', dir, graph: m.components.dit?.graph ?? 'spelled (pre-options manifest)', profiled: Boolean(opts.profilePrefix), layers: dit.config.layers, ...r };
}

async function timeVae(dir: string) {
  const m = readManifest(dir);
  const vae = await VaeRunner.load(dir, m, { ep, ort });
  const z = wave(16 * h * w, 0.21);
  const r = await time(() => vae.decode(z, h, w));
  await vae.release();
  return { component: 'vae', dir, graph: m.components.vae?.graph ?? 'spelled (pre-options manifest)', ...r };
}

const profDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ablate-prof-'));
for (const dir of list(values.dit)) {
  console.log(JSON.stringify({ size, tokens: L, ...(await timeDit(dir, { ep, ort })) }));
  if (values.profile) console.log(JSON.stringify({ size, tokens: L, ...(await timeDit(dir, { ep, ort, profilePrefix: path.join(profDir, 'dit') })) }));
}
for (const dir of list(values.vae)) console.log(JSON.stringify({ size, ...(await timeVae(dir)) }));
fs.rmSync(profDir, { recursive: true, force: true });
