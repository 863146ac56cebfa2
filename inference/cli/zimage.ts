#!/usr/bin/env node
// The `zimage` command line: tiny (make the tiny random checkpoint), convert (checkpoints → ONNX + manifest),
// eval (run one component on tensors from a safetensors file), generate (text → PNG). Bundled by
// scripts/build-cli.mjs so a host with only node + onnxruntime-node can run it.
// It deliberately holds no logic of its own beyond argument parsing and printing.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { AbortError, EngineError } from '../errors.ts';
import { COMPONENTS, convert, readManifest } from '../convert.ts';
import { DitRunner, TextEncoderRunner, VaeRunner } from '../runners.ts';
import { census, formatCensus, readProfile } from '../runtime/census.ts';
import { Checkpoint, f32Tensor, writeSafetensors } from '../safetensors.ts';
import { writeTinyCheckpoint } from '../tiny.ts';
import { copyPackagedTokenizer } from '../tokenizer/qwen3.ts';
import { defaultPrecision, listModels, loadPipeline, precisionOptions, validateRequest } from '../pipeline/index.ts';
import { FAMILIES } from '../models/registry.ts';
import { capabilities } from '../runtime/capabilities.ts';
import { ortOptionsFrom } from '../runtime/ort-options.ts';
import { EXECUTION_PROVIDERS, PRECISIONS, type ComponentName, type ExecutionProvider, type GenerateRequest, type LoraRequest, type Precision, type ProgressEvent } from '../pipeline/types.ts';
import { buildStack, resolveStack } from '../lora/lora-stack.ts';
import type { DitConfig } from '../models/z-image-dit.ts';

const USAGE = `usage: zimage <command> [options]

  tiny     --out DIR [--seed N]                    write the tiny random checkpoint (diffusers layout)
  convert  SRC... --out DIR --precision P          convert to ONNX into DIR/P/ (P: ${PRECISIONS.join(', ')})
           [--components te,dit,vae] [--name NAME] [--variant turbo|base]
           SRC: a diffusers folder, a ComfyUI models/ folder, DiT/TE/VAE or all-in-one files (.safetensors incl. fp8, .gguf)
  eval     dit|te|vae --model DIR --in IN.safetensors --out OUT.safetensors [--ep cpu|cuda] [--lora FILE[:W]]... (dit)
             dit: x, t, cap_feats → v;  te: input_ids → features;  vae: latents → image
  generate --model DIR --prompt TEXT [--negative TEXT] [--steps N] [--cfg C] [--width 1024] [--height 1024]
           [--seed N] [--precision P] [--ep cpu|cuda] [--latents FILE] [--tiled-vae] [--low-vram] [--warmup] [--quiet]
           [--cfg-truncation T] [--cfg-normalization K] [--lora FILE.safetensors[:WEIGHT]]... --out FILE.png
           (--steps and --cfg default to the model's variant: Turbo 8 and 1, base 50 and 5 with CFG normalisation 1;
            --precision to the best one here)
`;

class UsageError extends Error {}

/** onnxruntime settings for measuring and tuning: the CLI reads its own ZIMAGE_ORT_* (inference/ elsewhere reads no env). */
const ort = () => ortOptionsFrom(process.env.ZIMAGE_ORT_CONFIG, process.env.ZIMAGE_ORT_MEM_PATTERN);

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], what: string): T {
  if (!value || !allowed.includes(value as T)) throw new UsageError(`${what} must be one of ${allowed.join(', ')} (got ${value ?? 'nothing'})`);
  return value as T;
}

function need(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`missing ${flag}`);
  return value;
}

async function cmdTiny(args: string[]) {
  const { values } = parseArgs({ args, options: { out: { type: 'string' }, seed: { type: 'string', default: '0' } }, strict: true });
  const out = need(values.out, '--out DIR');
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError('--seed must be a non-negative integer');
  writeTinyCheckpoint(out, seed, copyPackagedTokenizer);
  console.log(`tiny checkpoint written to ${out}`);
}

async function cmdConvert(args: string[]) {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { out: { type: 'string' }, precision: { type: 'string' }, components: { type: 'string' }, name: { type: 'string' }, tiny: { type: 'boolean' }, variant: { type: 'string' } },
  });
  if (!positionals.length) throw new UsageError('convert needs at least one SRC (a diffusers folder or .safetensors files)');
  const components = values.components?.split(',').map((c) => oneOf(c.trim(), COMPONENTS, '--components entries'));
  const t0 = Date.now();
  const { dir, manifest } = convert({
    sources: positionals, out: need(values.out, '--out DIR'), precision: oneOf(values.precision, PRECISIONS, '--precision'),
    components, name: values.name, tiny: values.tiny, variant: values.variant, log: (l) => console.error(l),
  });
  console.log(`converted ${Object.keys(manifest.components).join(', ')} (${manifest.precision}) into ${dir} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function cmdEval(args: string[]) {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { model: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' }, ep: { type: 'string', default: 'cpu' }, profile: { type: 'string' },
      // dit only: LoRAs merged into the weights in memory first (the reference parity of issue 22)
      lora: { type: 'string', multiple: true, default: [] } },
  });
  const component = oneOf(positionals[0], COMPONENTS, 'the component') as ComponentName;
  const dir = need(values.model, '--model DIR');
  const ep = oneOf(values.ep, EXECUTION_PROVIDERS, '--ep') as ExecutionProvider;
  const input = Checkpoint.open(need(values.in, '--in IN.safetensors'));
  const outFile = need(values.out, '--out OUT.safetensors');
  const manifest = readManifest(dir);
  // --profile DIR: onnxruntime profiles the run; the census (nodes per EP, work per dtype) is printed and saved.
  const profilePrefix = values.profile ? path.join(values.profile, `${component}-${manifest.precision}`) : undefined;
  if (values.profile) fs.mkdirSync(values.profile, { recursive: true });
  if (values.lora.length && component !== 'dit') throw new UsageError('--lora applies to `eval dit` only (LoRAs change the DiT)');
  const stack = values.lora.length
    ? await buildStack(dir, manifest.components.dit!.file, manifest.components.dit!.config as DitConfig, resolveStack(dir, values.lora.map(parseLoraArg)))
    : undefined;
  const opts = { ep, profilePrefix, ort: ort(), inMemory: stack?.inMemory };
  const t0 = performance.now();
  let result: { key: string; shape: number[]; data: Float32Array };
  if (component === 'dit') {
    const runner = await DitRunner.load(dir, manifest, opts);
    const [, , h, w] = input.get('x').shape;
    const L = input.get('cap_feats').shape[0];
    const v = await runner.velocity(input.readF32('x'), h, w, input.readF32('t')[0], input.readF32('cap_feats'), L);
    result = { key: 'v', shape: [1, runner.config.inChannels, h, w], data: v };
    report(runner.session.endProfiling(), ep);
    await runner.release();
  } else if (component === 'te') {
    const runner = await TextEncoderRunner.load(dir, manifest, opts);
    const ids = input.readInts('input_ids');
    result = { key: 'features', shape: [ids.length, runner.config.hidden], data: await runner.encode(ids) };
    report(runner.session.endProfiling(), ep);
    await runner.release();
  } else {
    const runner = await VaeRunner.load(dir, manifest, opts);
    const [, , h, w] = input.get('latents').shape;
    result = { key: 'image', shape: [1, 3, h * runner.scale, w * runner.scale], data: await runner.decode(input.readF32('latents'), h, w) };
    report(runner.session.endProfiling(), ep);
    await runner.release();
  }
  const ms = performance.now() - t0;
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  writeSafetensors(outFile, [f32Tensor(result.key, result.shape, result.data)], { component, ep, precision: manifest.precision, ms: ms.toFixed(1) });
  console.log(`${component} on ${ep} (${manifest.precision}): ${result.key} [${result.shape}] → ${outFile} (${ms.toFixed(0)} ms incl. session load)` +
    (stack ? `\n  LoRAs: ${stack.loras.map((l) => `${l.name} × ${l.weight} (${stack.effects.find((e) => e.name === l.name)?.modules ?? 0} layers)`).join(', ')}; merged in ${stack.mergeMs.toFixed(0)} ms` : ''));
}

/** Prints the census of a profile and saves it beside the profile as <profile>.census.json. */
function report(profile: string | undefined, ep: ExecutionProvider) {
  if (!profile) return;
  const c = census(readProfile(profile), ep);
  fs.writeFileSync(profile.replace(/\.json$/, '.census.json'), JSON.stringify(c, null, 2));
  console.log(`profile ${profile}\n${formatCensus(c)}`);
}

/** `FILE[:WEIGHT]` → a stack entry named after the file; a trailing `:number` is the weight (so `C:\\x.safetensors` stays a path). */
export function parseLoraArg(arg: string): LoraRequest {
  const m = arg.match(/^(.*):([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)$/i);
  const file = m ? m[1] : arg;
  if (!file) throw new UsageError(`--lora ${arg}: expected FILE.safetensors[:WEIGHT]`);
  if (!fs.existsSync(file)) throw new UsageError(`--lora ${file} does not exist (expected FILE.safetensors[:WEIGHT], e.g. --lora loras/film.safetensors:0.8)`);
  return { name: path.basename(file).replace(/\.safetensors$/i, ''), file, weight: m ? Number(m[2]) : 1 };
}

async function cmdGenerate(args: string[]) {
  const { values } = parseArgs({
    args, strict: true,
    options: {
      model: { type: 'string' }, prompt: { type: 'string' }, negative: { type: 'string', default: '' }, steps: { type: 'string' },
      cfg: { type: 'string' }, width: { type: 'string', default: '1024' }, height: { type: 'string', default: '1024' },
      seed: { type: 'string' }, precision: { type: 'string' }, ep: { type: 'string' }, latents: { type: 'string' }, out: { type: 'string' },
      'tiled-vae': { type: 'boolean', default: false }, quiet: { type: 'boolean', default: false },
      // --warmup: one untimed generation first (kernel selection, allocator), for timings that compare fairly
      warmup: { type: 'boolean', default: false },
      'cfg-truncation': { type: 'string' }, 'cfg-normalization': { type: 'string' }, 'low-vram': { type: 'boolean', default: false },
      // --lora FILE[:WEIGHT], repeatable: merged into the DiT's weights in memory, in order (weight 1 when omitted)
      lora: { type: 'string', multiple: true, default: [] },
    },
  });
  const num = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} must be a number (got ${v ?? 'nothing'})`);
    return n;
  };
  const modelDir = need(values.model, '--model DIR');
  const out = need(values.out, '--out FILE.png');
  const prompt = need(values.prompt, '--prompt TEXT');
  if (!fs.existsSync(modelDir)) throw new UsageError(`--model ${modelDir} does not exist (a folder under weights/, e.g. weights/tiny)`);
  // --model takes the model folder (weights/<model>) or one of its precision folders (weights/<model>/<precision>).
  const direct = fs.existsSync(path.join(modelDir, 'manifest.json'));
  const root = direct ? path.dirname(path.resolve(modelDir)) : path.resolve(modelDir);
  const model = listModels(path.dirname(root)).find((m) => m.dir === root);
  if (!model) throw new UsageError(`${modelDir} holds no converted model (no <precision>/manifest.json): run zimage convert first`);
  // The precision folder given, else the studio's rule: the most preferred precision converted and runnable here.
  const precision = oneOf(values.precision ?? (direct ? readManifest(modelDir).precision : defaultPrecision(precisionOptions(capabilities().precisions, model)) ?? model.precisions[0]), PRECISIONS, '--precision') as Precision;
  const ep = oneOf(values.ep ?? (precision === 'fp32' ? 'cpu' : 'cuda'), EXECUTION_PROVIDERS, '--ep') as ExecutionProvider;
  const width = num('width', values.width), height = num('height', values.height);
  // --steps and --cfg default to what the model's variant was made for (Turbo: 8 steps, CFG 1; base: 50, CFG 5)
  const family = FAMILIES[model.family];
  const variant = family.variants[model.variant] ?? family.variants[family.defaultVariant];
  let latents: Float32Array | undefined;
  if (values.latents) latents = Checkpoint.open(values.latents).readF32('latents');
  const request: GenerateRequest = {
    prompt, negativePrompt: values.negative, steps: num('steps', values.steps ?? String(variant.steps)), cfg: num('cfg', values.cfg ?? String(variant.cfg)), width, height,
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : num('seed', values.seed), precision, ep, latents, tiledVae: values['tiled-vae'],
    cfgTruncation: values['cfg-truncation'] === undefined ? undefined : num('cfg-truncation', values['cfg-truncation']),
    cfgNormalization: values['cfg-normalization'] === undefined ? undefined : num('cfg-normalization', values['cfg-normalization']),
    loras: values.lora.length ? values.lora.map(parseLoraArg) : undefined,
  };
  validateRequest(request); // before any model is loaded: a bad argument costs nothing and writes nothing
  const pipe = await loadPipeline(model, precision, ep, { residency: values['low-vram'] ? 'sequential' : 'auto', ort: ort() });
  const bar = (e: ProgressEvent) => {
    if (values.quiet) return;
    if (e.phase === 'denoise' && e.step && e.totalSteps) {
      const done = Math.round((20 * e.step) / e.totalSteps);
      process.stderr.write(`\r  denoise [${'#'.repeat(done)}${'.'.repeat(20 - done)}] ${e.step}/${e.totalSteps}  ${(e.elapsedMs / 1000).toFixed(1)} s  eta ${((e.etaMs ?? 0) / 1000).toFixed(1)} s`);
      if (e.step === e.totalSteps) process.stderr.write('\n');
    } else {
      process.stderr.write(`  ${e.phase} (${(e.elapsedMs / 1000).toFixed(2)} s)\n`);
    }
  };
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  if (values.warmup) await pipe.generate(request, { signal: controller.signal });
  const result = await pipe.generate(request, { onProgress: bar, signal: controller.signal });
  await pipe.release();
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(`${out}.tmp`, result.png);
  fs.renameSync(`${out}.tmp`, out);
  const t = result.timings;
  console.log(`${out}: ${width}×${height}, seed ${request.seed}, ${precision} on ${ep}` +
    `${result.tokens.truncated ? ' (prompt truncated at 512 tokens)' : ''}${result.vae.tiled ? ', tiled VAE' : ''}${result.residency === 'sequential' ? ', components loaded one at a time' : ''}\n` +
    (result.health.summary ? `  warning: ${result.health.summary}\n` : '') +
    (result.memory ? `  VRAM peak ${result.memory.peakMiB} MiB (${result.memory.scope}), after ${result.memory.afterMiB} MiB, card ${result.memory.totalMiB} MiB\n` : '') +
    `  timings ms: ${Object.entries(t).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
}

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = { tiny: cmdTiny, convert: cmdConvert, eval: cmdEval, generate: cmdGenerate };

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  try {
    if (!run) throw new UsageError(`unknown command ${command}`);
    await run(rest);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`zimage: ${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof EngineError) {
      console.error(`zimage: ${e.toString()}`);
      return 1;
    }
    if (e instanceof AbortError) {
      console.error('zimage: cancelled');
      return 130;
    }
    throw e;
  }
}

// Run directly (tsx inference/cli/zimage.ts, node dist/zimage.mjs), not imported (bin/zimage.mjs calls main itself).
const isMain = Boolean(process.argv[1]) && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href;
if (isMain) main(process.argv.slice(2)).then((code) => process.exit(code));
