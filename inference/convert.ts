// The converter: checkpoints (a diffusers folder, or DiT / text-encoder / VAE files given separately as ComfyUI
// users have them) → one ONNX graph per component in the requested precision, plus manifest.json. Output goes to
// `<out>/<precision>/` through a temporary folder renamed at the end, so a crash never leaves a model that looks
// complete. Every expected tensor is checked (key and shape); unused ones are listed in the manifest.
// It deliberately converts no quantized formats (FP8, GGUF) and writes no PyTorch files.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from './errors.ts';
import { MANIFEST_FORMAT, readManifest, type ComponentManifest, type Manifest } from './manifest.ts';
import { Graph } from './onnx/graph.ts';
import { BuildContext, precisionPlan, SHIPPED_GRAPH, type GraphOptions } from './models/blocks.ts';
import { DEFAULT_FAMILY, FAMILIES, type ComponentSpec, type FamilyConfigs, type FamilyId } from './models/registry.ts';
import { Checkpoint } from './safetensors.ts';
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
export function locateComponents(sources: string[], family: FamilyId = DEFAULT_FAMILY): { found: Partial<Record<ComponentName, ComponentSource>>; tokenizer?: string } {
  const specs = FAMILIES[family].components;
  const found: Partial<Record<ComponentName, ComponentSource>> = {};
  let tokenizer: string | undefined;
  const claim = (name: ComponentName, src: ComponentSource) => {
    if (found[name]) {
      throw new EngineError('convert-duplicate-component', `two sources hold a ${name.toUpperCase()}: ${found[name]!.ckpt.files[0]} and ${src.ckpt.files[0]}`, { hint: 'pass each component once' });
    }
    found[name] = src;
  };
  for (const src of sources) {
    if (!fs.existsSync(src)) throw new EngineError('convert-source-missing', `source ${src} does not exist`, { hint: 'pass a diffusers folder or .safetensors files' });
    const sub = (d: string) => path.join(src, d);
    if (fs.statSync(src).isDirectory() && COMPONENTS.some((c) => fs.existsSync(sub(specs[c].diffusersFolder)))) {
      for (const name of COMPONENTS) {
        const d = specs[name].diffusersFolder;
        if (fs.existsSync(sub(d))) claim(name, { ckpt: Checkpoint.open(sub(d)), configJson: path.join(sub(d), 'config.json'), layout: `diffusers ${d}/` });
      }
      if (fs.existsSync(sub('tokenizer/tokenizer.json'))) tokenizer = sub('tokenizer/tokenizer.json');
      continue;
    }
    const ckpt = Checkpoint.open(src);
    const keys = ckpt.keys();
    const name = classify(keys, family);
    if (!name) {
      throw new EngineError('convert-unknown-file', `${src} is not a ${COMPONENTS.map((c) => specs[c].label).join(', ').replace(/, ([^,]*)$/, ' or $1')} (first keys: ${keys.slice(0, 3).join(', ')})`, {
        hint: 'merged "AIO" checkpoints are not supported: pass the DiT, text encoder and VAE files separately',
      });
    }
    const configJson = fs.statSync(src).isDirectory() ? path.join(src, 'config.json') : undefined;
    claim(name, { ckpt, configJson, layout: specs[name].layout(keys) });
  }
  return { found, tokenizer };
}

/** Which of the family's components a single file is, by its tensor keys. */
function classify(keys: string[], family: FamilyId): ComponentName | undefined {
  const kinds = COMPONENTS.filter((c) => FAMILIES[family].components[c].claims(keys));
  if (kinds.length > 1) throw new EngineError('convert-merged-file', `one file holds several components (${kinds.join(', ')})`, { hint: 'merged "AIO" checkpoints are not supported: pass the DiT, text encoder and VAE files separately' });
  return kinds[0];
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
  const variant = opts.variant ?? spec.defaultVariant;
  if (!(variant in spec.variants)) {
    throw new EngineError('convert-bad-variant', `${spec.label} has no variant ${JSON.stringify(variant)}`, { hint: `use one of ${Object.keys(spec.variants).join(', ')}` });
  }
  const wanted = opts.components ?? COMPONENTS;
  const { found, tokenizer } = locateComponents(opts.sources, family);
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
      name: opts.name ?? path.basename(path.resolve(opts.out)),
      precision: opts.precision,
      tiny: opts.tiny ?? false,
      createdAt: new Date().toISOString(),
      components: {},
    };
    const graph = opts.formulation?.graph ?? SHIPPED_GRAPH;
    const write = <C extends ComponentName>(name: C) => {
      const src = found[name]!;
      const component = spec.components[name];
      const g = new Graph(`zimage-${name}`, component.opset);
      const built = buildComponent(component, src, opts.precision, g, opts.formulation?.build[name]);
      const file = `${name}.onnx`;
      log(`[${name}] ${src.layout}: ${built.ctx.used.size} tensors → ${file} (${opts.precision})`);
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
        source: { layout: src.layout, files: src.ckpt.files.map((f) => ({ path: path.resolve(f), bytes: fs.statSync(f).size, sha256: sha256(f, log) })) },
        tensors: { initializers: g.weights.length, sourceTensors: src.ckpt.keys().length, unused, ignored: built.table.ignored.length },
        opTypes: [...g.opTypes].sort(),
        weightBytes: bytes,
        graph,
      };
      // TypeScript cannot relate a generic key to its mapped value on assignment: the one cast, where it is written.
      (manifest.components as Record<C, typeof entry>)[name] = entry;
    };
    for (const name of wanted) write(name);
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
