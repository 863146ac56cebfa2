// Benchmark of our engine (bundled into dist/bench.mjs; run on the GPU host by bench/run.sh): session load time,
// then, after --warmups generations (default 1; the first is the profiled one), N generations at the given size with CFG off and on,
// each with a fresh prompt so the text encoder really runs. Prints one JSON object. Timings are wall clock around
// whole calls with inputs and outputs on the host, as a user sees them — never onnxruntime's profiler.
// It deliberately measures; it asserts nothing (see bench/compare.mjs for the ratios).
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { listModels, ZImagePipeline } from '../inference/pipeline/index.ts';
import { ortOptionsFrom } from '../inference/runtime/ort-options.ts';
import type { GenerateResult } from '../inference/pipeline/types.ts';

const { values } = parseArgs({
  options: {
    weights: { type: 'string' }, model: { type: 'string' }, size: { type: 'string', default: '1024' }, steps: { type: 'string', default: '8' },
    runs: { type: 'string', default: '3' }, precision: { type: 'string', default: 'bf16' }, ep: { type: 'string', default: 'cuda' },
    out: { type: 'string' }, warmups: { type: 'string', default: '1' },
    // what the first generation's census costs the ones after it: --no-census (none), --gc (a full GC after the
    // warm-up; needs node --expose-gc)
    'no-census': { type: 'boolean', default: false }, gc: { type: 'boolean', default: false },
    // --dit-census all: the profiled generation's DiT census covers every step (default: the pipeline's, first-step)
    'dit-census': { type: 'string' },
  },
});
const size = Number(values.size), steps = Number(values.steps), runs = Number(values.runs);
const model = listModels(values.weights!).find((m) => m.id === values.model);
if (!model) throw new Error(`no model ${values.model} in ${values.weights}`);
const precision = values.precision as 'bf16';
const ep = values.ep as 'cuda';

const t0 = performance.now();
// ZIMAGE_ORT_CONFIG / ZIMAGE_ORT_MEM_PATTERN: the measurement knobs of bench/*.sh, passed as options
const ort = ortOptionsFrom(process.env.ZIMAGE_ORT_CONFIG, process.env.ZIMAGE_ORT_MEM_PATTERN);
const pipe = await ZImagePipeline.load(model, precision, ep, { residency: 'resident', census: !values['no-census'], ditCensus: values['dit-census'] as 'all' | 'first-step' | undefined, ort });
const loadMs = performance.now() - t0;
const request = (i: number, cfg: number) => ({
  prompt: `a studio portrait, variation ${i}, soft window light, 85mm`, negativePrompt: '', steps, cfg, width: size, height: size,
  seed: i, precision, ep,
});
// Each DiT step's wall time, from the progress events (the first step counts from the end of the noise phase).
async function generate(req: ReturnType<typeof request>) {
  const marks: number[] = [];
  const result = await pipe.generate(req, { onProgress: (e) => { if (e.phase === 'noise' || e.phase === 'denoise') marks.push(e.elapsedMs); } });
  return { result, stepsMs: marks.slice(1).map((m, i) => Math.round((m - marks[i]) * 10) / 10) };
}
const warm = await generate(request(0, 1));
const warmups = [warm];
for (let w = 1; w < Number(values.warmups); w++) warmups.push(await generate(request(w, 1)));
if (values.gc) (globalThis as { gc?: () => void }).gc?.();

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
async function series(cfg: number) {
  const results: GenerateResult[] = [];
  const stepsMs: number[][] = [];
  for (let i = 1; i <= runs; i++) {
    const g = await generate(request(cfg * 100 + i, cfg));
    results.push(g.result);
    stepsMs.push(g.stepsMs);
  }
  const t = (k: string) => mean(results.map((r) => r.timings[k] ?? 0));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return {
    runs, cfg,
    // every phase of every run (validate, tokenize, encode, noise, denoise, decode, png, total): the spread behind the means
    per_run: results.map((r) => Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, Math.round(v * 10) / 10]))),
    steps_ms: stepsMs,
    median_image_ms: median(results.map((r) => r.timings.total - (r.timings.png ?? 0))),
    // image_ms: up to the image in memory, as diffusers returns it; png_ms (pixels, health checks, PNG file) is ours alone
    total_ms: t('total'), image_ms: t('total') - t('png'), encode_ms: t('encode'), denoise_ms: t('denoise'), dit_ms_per_step: t('denoise') / steps,
    decode_ms: t('decode'), png_ms: t('png'),
    peak_vram_mib: Math.max(...results.map((r) => r.memory?.peakMiB ?? 0)), vram_scope: results[0].memory?.scope,
  };
}
const cfgOff = await series(1);
const cfgOn = await series(2);
const report = JSON.stringify({
  engine: `zimage-bf16-studio (onnxruntime-node, ${ep})`, precision, size, steps, load_ms: loadMs, warmups: Number(values.warmups),
  warmup_total_ms: warm.result.timings.total, warmup_steps_ms: warmups.map((w) => w.stepsMs), census: warm.result.census?.verdict,
  dit_census: pipe.ditCensusScope, cfg_off: cfgOff, cfg_on: cfgOn,
});
console.log(report);
if (values.out) fs.writeFileSync(values.out, `${report}\n`); // --out: also a file (stdout may carry --trace-gc lines)
await pipe.release();
