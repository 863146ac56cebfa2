// The converter: checkpoints (a diffusers folder, or DiT / text-encoder / VAE files given separately as ComfyUI
// users have them) → one ONNX graph per component in the requested precision, plus manifest.json. Output goes to
// `<out>/<precision>/` through a temporary folder renamed at the end, so a crash never leaves a model that looks
// complete. Every expected tensor is checked (key and shape); unused ones are listed in the manifest.
// Sources may also be all-in-one files, a ComfyUI models/ folder, fp8 safetensors and GGUF files
// (checkpoints/): quantised weights are dequantised here and the manifest records what the source was.
// It deliberately writes no PyTorch files and never quantises.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from './errors.ts';
import { MANIFEST_FORMAT, readManifest, type ComponentManifest, type Manifest } from './manifest.ts';
import { Graph } from './onnx/graph.ts';
import { BuildContext, precisionPlan, SHIPPED_GRAPH, type GraphOptions } from './models/blocks.ts';
import { DEFAULT_FAMILY, FAMILIES, type ComponentSpec, type FamilyConfigs, type FamilyId } from './models/registry.ts';
import { variantForShift } from './models/variants.ts';
import { Checkpoint } from './safetensors.ts';
import { convertVaeEncoder } from './convert-vae-encoder.ts';
import { loraError, loraSummary, missingPathProblem } from './checkpoints/diagnose.ts';
import { findInModelsRoot, isModelsRoot, searchedFolders, splitAllInOne } from './checkpoints/layouts.ts';
import { quantisedDtypes, sourceLabel, sourceNote, type SourcePrecision } from './checkpoints/source-precision.ts';
import type { DemoInfo } from './demo-model.ts';
import { PRECISIONS, type ComponentName, type Precision } from './pipeline/types.ts';

// The manifest moved to its own module; re-exported for the callers that import it from here.
export { MANIFEST_FORMAT, readManifest, type ComponentManifest, type Manifest };

export const COMPONENTS: ComponentName[] = ['te', 'dit', 'vae'];

export interface ConvertOptions {
  /** A diffusers folder, or one or more component files/folders. */
  sources: string[];
  out: string;
  precision: Precision;
  components?: ComponentName[];
  name?: string;
  tiny?: boolean;
  /** The model family (default Z-Image) and its variant (default the family's), recorded in the manifest. */
  family?: FamilyId;
  variant?: string;
  /** Bench and tests only: build components in another formulation than the shipped one (see FormulationOverride). */
  formulation?: FormulationOverride;
  /** The embedded demo model's note (inference/demo-model.ts), recorded in the manifest. */
  demo?: DemoInfo;
  log?: (line: string) => void;
}

/**
 * Components built by another graph formulation than the shipped one: the reference builders of
 * inference/models/reference/ (referenceFormulation), for tests and benchmarks. The manifest records `graph`.
 */
export interface FormulationOverride {
  graph: GraphOptions;
  build: { [C in ComponentName]?: (ctx: BuildContext, config: FamilyConfigs['z-image'][C]) => void };
  islands?: Partial<Record<ComponentName, string[]>>;
}

interface ComponentSource {
  ckpt: Checkpoint;
  configJson?: string;
  layout: string;
}

/** Finds each component among the sources: a diffusers folder has one subfolder per component (transformer/, …). */
export function locateComponents(sources: string[], family: FamilyId = DEFAULT_FAMILY, wanted: ComponentName[] = COMPONENTS): { found: Partial<Record<ComponentName, ComponentSource>>; tokenizer?: string; folders: string[] } {
  const specs = FAMILIES[family].components;
  const found: Partial<Record<ComponentName, ComponentSource>> = {};
  let tokenizer: string | undefined;
  const folders: string[] = [];
  const claim = (name: ComponentName, src: ComponentSource) => {
    if (found[name]) {
      throw new EngineError('convert-duplicate-component', `two sources hold a ${name.toUpperCase()}: ${found[name]!.ckpt.files[0]} and ${src.ckpt.files[0]}`, { hint: 'pass each component once' });
    }
    found[name] = src;
  };
  const roots: string[] = [];
  for (const src of sources) {
    if (!fs.existsSync(src)) {
      const problem = missingPathProblem(src, 'source');
      throw problem.code === 'checkpoint-not-found' ? new EngineError('convert-source-missing', problem.message, { hint: problem.hint }) : problem;
    }
    const sub = (d: string) => path.join(src, d);
    const dir = fs.statSync(src).isDirectory();
    // A ComfyUI models/ folder also has a vae/ subfolder: a diffusers folder is one with another component's folder.
    const diffusers = dir && COMPONENTS.some((c) => fs.existsSync(sub(specs[c].diffusersFolder))) && !isModelsRoot(src);
    if (diffusers) {
      for (const name of COMPONENTS) {
        const d = specs[name].diffusersFolder;
        if (fs.existsSync(sub(d))) claim(name, { ckpt: Checkpoint.open(sub(d)), configJson: path.join(sub(d), 'config.json'), layout: `diffusers ${d}/` });
      }
      if (fs.existsSync(sub('tokenizer/tokenizer.json'))) tokenizer = sub('tokenizer/tokenizer.json');
      folders.push(src);
      continue;
    }
    if (dir && isModelsRoot(src)) { roots.push(src); continue; }
    claimFile(src, family, claim);
  }
  // A ComfyUI models/ folder fills only what the files passed beside it did not.
  for (const root of roots) {
    const files = findInModelsRoot(root, wanted.filter((c) => !found[c]));
    for (const file of Object.values(files)) claimFile(file, family, claim, `ComfyUI models/ ${path.relative(root, path.dirname(file))}/`);
    for (const c of wanted.filter((name) => !found[name])) {
      throw new EngineError('convert-missing-component', `${root} has no ${specs[c].label} in ${searchedFolders(c)}`, {
        hint: `put the ${c === 'dit' ? 'DiT (.safetensors or .gguf)' : c === 'te' ? 'Qwen3-4B text encoder (qwen_3_4b.safetensors)' : 'FLUX VAE (ae.safetensors)'} there, pass it as a source, or limit --components`,
      });
    }
  }
  return { found, tokenizer, folders };
}

/** Opens one checkpoint file or folder and claims the component(s) it holds: one, or several for an all-in-one file. */
function claimFile(src: string, family: FamilyId, claim: (name: ComponentName, s: ComponentSource) => void, where?: string): void {
  const specs = FAMILIES[family].components;
  const ckpt = Checkpoint.open(src);
  const keys = ckpt.keys();
  const kinds = classify(keys, family);
  const configJson = fs.statSync(src).isDirectory() ? path.join(src, 'config.json') : undefined;
  if (kinds.length > 1) {
    const aio = splitAllInOne(ckpt);
    if (!aio) {
      throw new EngineError('convert-merged-file', `${src} holds several components (${kinds.join(', ')}) under no prefix this converter knows`, {
        hint: 'all-in-one files are read when their parts sit under model.diffusion_model., text_encoders.qwen3_4b.transformer. (or cond_stage_model.) and vae. (or first_stage_model.); otherwise pass the DiT, text encoder and VAE files separately',
      });
    }
    for (const [name, part] of Object.entries(aio.parts) as [ComponentName, Checkpoint][]) {
      if (classify(part.keys(), family).includes(name)) claim(name, { ckpt: part, layout: `all-in-one (${aio.prefixes[name]}*)` });
    }
    return;
  }
  if (!kinds.length) {
    const lora = loraSummary(keys, (k) => ckpt.get(k).shape);
    if (lora) throw loraError(src, lora);
    throw new EngineError('convert-unknown-file', `${src} is not a ${COMPONENTS.map((c) => specs[c].label).join(', ').replace(/, ([^,]*)$/, ' or $1')} (first keys: ${keys.slice(0, 3).join(', ')})`, {
      hint: 'pass a DiT, text encoder or VAE file (.safetensors or .gguf), an all-in-one file, a diffusers folder or a ComfyUI models/ folder',
    });
  }
  const name = kinds[0];
  const gguf = ckpt.files.some((f) => f.endsWith('.gguf')) || Object.keys(ckpt.source.dtypes).some((d) => /^Q\d/.test(d));
  const layout = specs[name].layout(keys);
  claim(name, { ckpt, configJson, layout: `${where ? `${where} ` : ''}${gguf ? layout.replace(/^single-file/, 'GGUF') : layout}` });
}

/** Which of the family's components a single file holds, by its tensor keys (several: an all-in-one file). */
function classify(keys: string[], family: FamilyId): ComponentName[] {
  return COMPONENTS.filter((c) => FAMILIES[family].components[c].claims(keys));
}

/** The shift of the first diffusers folder's scheduler/scheduler_config.json, if one is there and readable. */
function readSchedulerConfig(folders: string[]): { shift: number; source: string } | undefined {
  for (const folder of folders) {
    const file = path.join(folder, 'scheduler', 'scheduler_config.json');
    if (!fs.existsSync(file)) continue;
    let config: { shift?: unknown; use_dynamic_shifting?: unknown };
    try {
      config = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new EngineError('convert-bad-scheduler-config', `${file} is not valid JSON: ${(e as Error).message}`, { hint: 'restore the file from the model repository' });
    }
    if (config.use_dynamic_shifting === true) {
      throw new EngineError('convert-bad-scheduler-config', `${file} turns on dynamic shifting, which Z-Image's pipeline does not use`, { hint: 'restore the file from the model repository (Z-Image ships use_dynamic_shifting: false)' });
    }
    if (typeof config.shift === 'number' && config.shift > 0) return { shift: config.shift, source: 'scheduler/scheduler_config.json' };
  }
  return undefined;
}

/** The manifest's record of the source weights' storage. */
function sourcePrecision(source: SourcePrecision, precision: Precision): NonNullable<ComponentManifest['source']['precision']> {
  const quantised = quantisedDtypes(source).length > 0;
  return { label: sourceLabel(source), quantised, dtypes: source.dtypes, schemes: source.schemes, ...(quantised ? { note: sourceNote(source, precision) } : {}) };
}

function sha256(file: string, log?: (l: string) => void): string {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(16 << 20);
  const size = fs.fstatSync(fd).size;
  let pos = 0, lastLog = Date.now();
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, pos)) > 0; pos += n) {
      h.update(buf.subarray(0, n));
      if (log && Date.now() - lastLog > 5000) { log(`  hashing ${path.basename(file)}: ${Math.round((100 * pos) / size)} %`); lastLog = Date.now(); }
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Builds one component's graph from its spec: key table → config from shapes → graph, all typed by the spec. */
function buildComponent<Config>(spec: ComponentSpec<Config>, src: ComponentSource, precision: Precision, g: Graph, build = spec.build) {
  const table = spec.keyTable(src.ckpt);
  const ctx = new BuildContext(g, src.ckpt, table, precisionPlan(precision));
  const config = spec.detectConfig(src.ckpt, table, src.configJson);
  build(ctx, config);
  return { ctx, config, parameters: spec.parameters(config), table };
}

/** Converts; returns the folder written (`<out>/<precision>`). */
export function convert(opts: ConvertOptions): { dir: string; manifest: Manifest } {
  const log = opts.log ?? (() => {});
  if (!PRECISIONS.includes(opts.precision)) {
    throw new EngineError('convert-bad-precision', `unknown precision ${JSON.stringify(opts.precision)}`, { hint: `use one of ${PRECISIONS.join(', ')}` });
  }
  const family = opts.family ?? DEFAULT_FAMILY;
  const spec = FAMILIES[family];
  if (opts.variant !== undefined && !(opts.variant in spec.variants)) {
    throw new EngineError('convert-bad-variant', `${spec.label} has no variant ${JSON.stringify(opts.variant)}`, { hint: `use one of ${Object.keys(spec.variants).join(', ')}` });
  }
  const wanted = opts.components ?? COMPONENTS;
  const { found, tokenizer, folders } = locateComponents(opts.sources, family, wanted);
  // The variant: as requested, else the one whose shift the checkpoint's own scheduler config has, else the default.
  const scheduler = readSchedulerConfig(folders);
  const detected = scheduler && variantForShift(scheduler.shift);
  const variant = opts.variant ?? detected ?? spec.defaultVariant;
  const variantFrom = opts.variant !== undefined ? 'requested' : detected ? 'scheduler config' : 'default';
  if (scheduler && opts.variant !== undefined && detected && detected !== opts.variant) {
    log(`[convert] --variant ${opts.variant} given, but ${scheduler.source} has shift ${scheduler.shift} (${detected}'s); sampling keeps the checkpoint's shift`);
  }
  const missing = wanted.filter((c) => !found[c]);
  if (missing.length) {
    throw new EngineError('convert-missing-component', `no ${missing.map((m) => m.toUpperCase()).join(', ')} among the sources`, {
      hint: 'pass the diffusers folder, or the DiT, text-encoder and VAE files, or limit --components',
    });
  }
  const finalDir = path.join(opts.out, opts.precision);
  fs.mkdirSync(opts.out, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(opts.out, `.${opts.precision}.partial-`));
  fs.chmodSync(tmp, 0o755);
  try {
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      family,
      variant,
      variantFrom,
      ...(scheduler ? { scheduler } : {}),
      name: opts.name ?? path.basename(path.resolve(opts.out)),
      precision: opts.precision,
      tiny: opts.tiny ?? false,
      ...(opts.demo ? { demo: opts.demo } : {}),
      createdAt: new Date().toISOString(),
      components: {},
    };
    const graph = opts.formulation?.graph ?? SHIPPED_GRAPH;
    // an all-in-one file serves three components: hash it once
    const hashes = new Map<string, string>();
    const hash = (f: string) => hashes.get(f) ?? (hashes.set(f, sha256(f, log)), hashes.get(f)!);
    const write = <C extends ComponentName>(name: C) => {
      const src = found[name]!;
      const component = spec.components[name];
      const g = new Graph(`zimage-${name}`, component.opset);
      const built = buildComponent(component, src, opts.precision, g, opts.formulation?.build[name]);
      const file = `${name}.onnx`;
      log(`[${name}] ${src.layout}, ${sourceLabel(src.ckpt.source)}: ${built.ctx.used.size} tensors → ${file} (${opts.precision})`);
      const note = sourceNote(src.ckpt.source, opts.precision);
      if (note) log(`[${name}] ${note}`);
      let last = 0;
      const { bytes } = g.write(path.join(tmp, file), (done, total, key) => {
        if (Date.now() - last > 2000 || done === total) { log(`[${name}] ${done}/${total} ${key}`); last = Date.now(); }
      });
      const unused = built.ctx.unused();
      if (unused.length) log(`[${name}] unused tensors (${unused.length}): ${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ' …' : ''}`);
      const entry: ComponentManifest<FamilyConfigs[typeof family][C]> = {
        file,
        precision: opts.precision,
        weightDtype: built.ctx.compute.toLowerCase(),
        reason: opts.precision === 'fp16-safe' ? 'requested; fp16 with ComfyUI-style overflow guards (fp32 residual stream and norms, clamps)' : 'requested',
        fp32Islands: opts.precision === 'fp32' ? [] : opts.formulation?.islands?.[name] ?? component.islands,
        config: built.config,
        parameters: built.parameters,
        source: { layout: src.layout, files: src.ckpt.files.map((f) => ({ path: path.resolve(f), bytes: fs.statSync(f).size, sha256: hash(f) })), precision: sourcePrecision(src.ckpt.source, opts.precision) },
        tensors: { initializers: g.weights.length, sourceTensors: src.ckpt.keys().length, unused, ignored: built.table.ignored.length },
        opTypes: [...g.opTypes].sort(),
        weightBytes: bytes,
        graph,
      };
      // TypeScript cannot relate a generic key to its mapped value on assignment: the one cast, where it is written.
      (manifest.components as Record<C, typeof entry>)[name] = entry;
    };
    for (const name of wanted) write(name);
    // the VAE's encoder (image input), from the same source, recorded under the VAE's entry
    const vae = manifest.components.vae;
    if (vae && found.vae) vae.encoder = convertVaeEncoder(found.vae.ckpt, vae.config, opts.precision, tmp, log);
    if (tokenizer) {
      fs.copyFileSync(tokenizer, path.join(tmp, 'tokenizer.json'));
      manifest.tokenizer = 'tokenizer.json';
    }
    fs.writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
    // Swap in atomically: an older conversion is moved aside first and removed only after the rename.
    const old = fs.existsSync(finalDir) ? `${finalDir}.old-${process.pid}` : undefined;
    if (old) fs.renameSync(finalDir, old);
    fs.renameSync(tmp, finalDir);
    if (old) fs.rmSync(old, { recursive: true, force: true });
    return { dir: finalDir, manifest };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
